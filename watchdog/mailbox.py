"""The mailbox platforms answer follow-ups at (mailbox.toml), read over IMAP with imap-tools.

    address = "watchdog@example.org"   # each follow-up leaves watchdog+<tag>@example.org
    host = "imap.example.org"
    port = 993                         # default: 993 with ssl, 143 without
    user = "watchdog@example.org"      # default: the address
    ssl = true                         # false only for a server on this machine
    password_env = "WATCHDOG_IMAP_PASSWORD"   # the default; or password_file = "/etc/watchdog/imap"
    folder = "INBOX"
    name = "访客"                      # the name a message left on a form gives

The password is read when the mailbox is opened, from the environment or a file outside the
repository, and is kept nowhere: not in the database, an export, a page or a log line.
"""

from __future__ import annotations

import email.utils
import imaplib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from imap_tools import AND, BaseMailBox, MailBox, MailBoxUnencrypted
from imap_tools.errors import ImapToolsError
from imap_tools.message import MailMessage

from .config import Problem, _read_toml, _Table
from .errors import ConfigError, MailboxError
from .followups import Mail, matching, question_left, record_reply, reply_kind, settle
from .leave import Contact
from .publish.ratings import compute_ratings
from .records import FollowUp, FollowUpState
from .store import Store
from .text import clean_text, page_text

DEFAULT_PATH = Path("mailbox.toml")
DEFAULT_PASSWORD_ENV = "WATCHDOG_IMAP_PASSWORD"
DEFAULT_NAME = "访客"
TIMEOUT_S = 30.0
AUTOMATIC_HEADERS = ("x-autoreply", "x-autorespond", "x-auto-response-suppress")
MAX_REPLY_CHARS = 4000


@dataclass(frozen=True)
class Mailbox:
    path: str
    address: str
    host: str
    port: int
    user: str
    ssl: bool = True
    password_env: str = DEFAULT_PASSWORD_ENV
    password_file: str | None = None
    folder: str = "INBOX"
    name: str = DEFAULT_NAME

    @property
    def contact(self) -> Contact:
        return Contact(self.address, self.name)

    def password(self) -> str:
        """Read now, never kept: a missing one is the user's to fix, named with its source."""
        if self.password_file:
            try:
                return Path(self.password_file).read_text(encoding="utf-8").strip()
            except OSError as e:
                raise ConfigError(f"{self.path}: password_file: cannot read {self.password_file} ({e.strerror})") from e
        password = os.environ.get(self.password_env)
        if not password:
            raise ConfigError(f"{self.path}: password_env: the environment variable {self.password_env} is not set")
        return password


def parse_mailbox(path: Path, problems: list[Problem]) -> Mailbox | None:
    count = len(problems)
    data = _read_toml(path, problems)
    if data is None:
        return None
    top = _Table(data, str(path), "", problems)
    address = top.text("address", required=True) or ""
    if address and ("@" not in address or "+" in address.partition("@")[0]):
        problems.append(Problem(str(path), "address", f"{address!r}: a plain address, like watchdog@example.org"))
    host = top.text("host", required=True) or ""
    ssl = top.flag("ssl", True)
    port = top.whole("port", 993 if ssl else 143, 65535)
    user = top.text("user") or address
    password_env = top.text("password_env") or DEFAULT_PASSWORD_ENV
    password_file = top.text("password_file")
    if "password" in data:
        problems.append(Problem(str(path), "password", "not here: set password_env or password_file"))
        top.seen.add("password")
    folder = top.text("folder") or "INBOX"
    name = top.text("name") or DEFAULT_NAME
    top.finish()
    if len(problems) > count:
        return None
    return Mailbox(str(path), address, host, port, user, ssl, password_env, password_file, folder, name)


def load_mailbox(path: Path) -> Mailbox:
    if not path.exists():
        raise ConfigError(f"{path}: no such file: write the mailbox follow-ups are answered at (see docs: follow-ups)")
    problems: list[Problem] = []
    mailbox = parse_mailbox(path, problems)
    if mailbox is None:
        raise ConfigError("\n".join(map(str, problems)))
    return mailbox


def read_mail(mailbox: Mailbox, since: datetime) -> list[Mail]:
    """The mails that arrived on or after `since`'s day, left unread as they were."""
    password = mailbox.password()
    try:
        box: BaseMailBox = (MailBox if mailbox.ssl else MailBoxUnencrypted)(
            mailbox.host, mailbox.port, timeout=TIMEOUT_S
        )
        with box.login(mailbox.user, password, mailbox.folder) as opened:
            day = (since - timedelta(days=1)).date()  # IMAP's SINCE is a date in the server's zone
            return [_mail(message) for message in opened.fetch(AND(date_gte=day), mark_seen=False, bulk=True)]
    except (OSError, ImapToolsError, imaplib.IMAP4.error) as e:
        said = str(e).replace(password, "***") if password else str(e)  # a server may echo what it was sent
        raise MailboxError(f"{mailbox.path}: {mailbox.user} at {mailbox.host}:{mailbox.port}: {said}") from None


def check(store: Store, mailbox: Mailbox, now: datetime) -> list[FollowUp]:
    """`watchdog follow-up`: the mailbox read for the pending follow-ups, each settled, and the
    ratings of the platforms whose follow-ups settled recomputed (their 留言 figures)."""
    pending = store.pending_follow_ups()
    if not pending:
        return []
    settled = follow_up(store, read_mail(mailbox, min(f.submitted_at for f in pending)), now, pending)
    if settled:
        compute_ratings(store, platforms={f.platform for f in settled})
    return settled


def _mail(message: MailMessage) -> Mail:
    headers = {name.lower(): " ".join(values) for name, values in message.headers.items()}
    auto = headers.get("auto-submitted", "no").strip().lower()
    precedence = headers.get("precedence", "").strip().lower()
    automatic = (
        auto not in ("", "no")
        or precedence in ("bulk", "junk", "auto_reply", "list")
        or any(name in headers for name in AUTOMATIC_HEADERS)
    )
    to = (*message.to, *message.cc, *(a for _, a in email.utils.getaddresses([headers.get("delivered-to", "")])))
    received = message.date if message.date.tzinfo else message.date.replace(tzinfo=UTC)
    return Mail(
        message_id=headers.get("message-id", "").strip() or f"uid:{message.uid}",
        sender=message.from_,
        to=tuple(a for a in to if a),
        subject=message.subject,
        text=message.text or message.html,
        received_at=received,
        automatic=automatic,
    )


def follow_up(
    store: Store, mails: Iterable[Mail], now: datetime, pending: list[FollowUp] | None = None
) -> list[FollowUp]:
    """Each new mail that answers a pending follow-up stored as its reply (automatic or a
    person's), then every pending follow-up settled; returns those whose state changed.
    `pending`: the store's pending follow-ups, when the caller has just read them."""
    pending = store.pending_follow_ups() if pending is None else pending
    for mail in mails:
        if store.has_reply(mail.message_id):
            continue
        answered = matching(mail, pending)
        if answered is None or mail.received_at < answered.submitted_at:
            continue
        text = clean_text(page_text(mail.text))[:MAX_REPLY_CHARS]
        kind, why = reply_kind(mail, store.replies_elsewhere(text, answered.id), question_left(answered))
        record_reply(answered, kind, mail.received_at)
        reply = {
            "message_id": mail.message_id,
            "received_at": mail.received_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "sender": page_text(mail.sender),
            "subject": clean_text(page_text(mail.subject)),
            "text": text,
            "kind": kind,
            "reason": why,
        }
        store.add_reply(answered, reply)
    changed = []
    for waiting in pending:
        if settle(waiting, now) != FollowUpState.PENDING:
            store.save_follow_up(waiting)
            changed.append(waiting)
    return changed
