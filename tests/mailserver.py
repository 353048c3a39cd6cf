"""A real mail stack for the follow-up tests: Debian's Dovecot (.ci/setup installs
dovecot-imapd and dovecot-lmtpd), run from a folder of its own with one user and a Maildir,
IMAP and LMTP on loopback ports. Mail is delivered over LMTP (SMTP's local-delivery sibling,
spoken by Python's smtplib), so what the watchdog reads over IMAP went through a real server.

Why Dovecot: one daemon is both the delivery end and the IMAP server, it runs unprivileged
from a temporary folder, and it is what most self-hosted mailboxes run.
"""

from __future__ import annotations

import os
import pwd
import shutil
import smtplib
import socket
import subprocess
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

USER, PASSWORD = "watchdog", "imap-secret-7f3a9c"
DOMAIN = "watchdog.test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MailServer:
    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="watchdog-mail-"))
        self.imap_port, self.lmtp_port = free_port(), free_port()
        # As root, Dovecot keeps mail as its own system user; otherwise as whoever runs the tests.
        self.owner = pwd.getpwnam("dovecot") if os.getuid() == 0 else pwd.getpwuid(os.getuid())

    @property
    def address(self) -> str:
        return f"{USER}@{DOMAIN}"

    def start(self) -> MailServer:
        os.chmod(self.folder, 0o755)
        mail = self.folder / "mail"
        mail.mkdir()
        os.chown(mail, self.owner.pw_uid, self.owner.pw_gid)
        (self.folder / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n", encoding="utf-8")
        unprivileged = "" if os.getuid() == 0 else (
            f"default_internal_user = {self.owner.pw_name}\ndefault_login_user = {self.owner.pw_name}\n"
        )  # fmt: skip
        (self.folder / "dovecot.conf").write_text(
            f"""base_dir = {self.folder}/run
state_dir = {self.folder}/state
log_path = {self.folder}/dovecot.log
{unprivileged}protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
auth_failure_delay = 0  # a wrong password answered at once (its next login still waits: Dovecot's penalty)
recipient_delimiter = +
mail_location = maildir:{mail}/%n
first_valid_uid = {min(self.owner.pw_uid, 100)}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {self.folder}/users
}}
userdb {{
  driver = static
  args = uid={self.owner.pw_uid} gid={self.owner.pw_gid} home={mail}/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {self.lmtp_port}
  }}
}}
""",
            encoding="utf-8",
        )
        dovecot = shutil.which("dovecot") or "/usr/sbin/dovecot"
        # Its output to nowhere (it daemonizes; a pipe would be held open): what it says is in its log.
        started = subprocess.run([dovecot, "-c", str(self.folder / "dovecot.conf")], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=20)  # fmt: skip
        if started.returncode:
            log = self.folder / "dovecot.log"
            raise OSError(f"dovecot did not start: {log.read_text() if log.exists() else 'no log'}")
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.imap_port), timeout=1).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        doveadm = shutil.which("doveadm") or "/usr/bin/doveadm"
        subprocess.run([doveadm, "-c", str(self.folder / "dovecot.conf"), "stop"], check=False,
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=20)  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)

    def deliver(self, message: EmailMessage, to: str) -> None:
        """Delivered to `to` (an address of ours, plus-address included) through LMTP."""
        with smtplib.LMTP("127.0.0.1", self.lmtp_port) as lmtp:
            lmtp.send_message(message, to_addrs=[to.partition("@")[0]])

    def mailbox_toml(self) -> str:
        return (
            f'address = "{self.address}"\nhost = "127.0.0.1"\nport = {self.imap_port}\nuser = "{USER}"\n'
            'ssl = false  # a server on this machine\npassword_env = "WATCHDOG_TEST_IMAP_PASSWORD"\n'
        )
