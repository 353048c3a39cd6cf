"""The one exception family the CLI turns into a clear message and a non-zero exit.

Platform failures are never exceptions: they are recorded as probe outcomes.
"""


class WatchdogError(Exception):
    "A fault on our side (configuration, database, browser) that stops a command"


class ConfigError(WatchdogError):
    "Platform, question or schedule files are missing or invalid"


class StoreError(WatchdogError):
    "The SQLite database cannot be opened or written"


class BrowserMissing(WatchdogError):
    "No usable Chromium was found"


class Interrupted(WatchdogError):
    "The run was stopped by a signal; probes in flight were recorded as interrupted"


class MailboxError(WatchdogError):
    "The follow-ups' mailbox cannot be reached or read"
