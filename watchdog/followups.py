"""留言 / 工单 follow-ups (issue 28): a message left on a platform's form with an address the
watchdog owns, and whether and when a person answers it by e-mail.

Decisions only, no I/O: which follow-up a mail answers, whether a reply is automatic, and when
a follow-up closes. The mailbox is read by mailbox.py; the follow-ups are kept by the store.

A follow-up closes `answered` at its first human reply (the delay kept), and otherwise stays
pending until CLOSE_AFTER_S has passed since the message was left: then `auto_only` when only
automatic receipts came, `unanswered` when nothing did.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlparse

from .i18n import EN, duration_words
from .records import FollowUp, FollowUpState

CLOSE_AFTER_S = 7 * 24 * 3600.0
AUTO, HUMAN = "auto", "human"

# What an automatic receipt says: 已收到您的留言, 我们会尽快回复, 请勿回复, "do not reply", ...
RECEIPT_WORDS = re.compile(
    r"已收到您的(?:留言|反馈|工单|消息|来信)|我们(?:会|将)(?:尽快|在\s*\d+\s*小时内)|自动回复|请勿(?:直接)?回复|系统邮件"
    r"|工单(?:已|号)|auto-?reply|automatic(?:ally)? (?:reply|response)|do not reply|we (?:have )?received your"
    r"|your (?:ticket|request) (?:has been|was) (?:created|received)",
    re.IGNORECASE,
)
NO_REPLY_SENDER = re.compile(r"^(?:no-?reply|do-?not-?reply|mailer-daemon|postmaster|notifications?)\b", re.IGNORECASE)
SAME_TEXT_ELSEWHERE = 2  # the same words answering this many other follow-ups: a template, not a person
# Fewer characters of its own than this, once our message is taken out: an echo (您的留言：…).
OWN_WORDS_MIN = 12
WORD = re.compile(r"[^\w]|[\d_]")  # what is not a letter or a character of words


@dataclass(frozen=True)
class Mail:
    """One mail from the mailbox, as far as the decisions need it."""

    message_id: str
    sender: str  # the address
    to: tuple[str, ...]  # To, Cc, Delivered-To: where the tag shows
    subject: str
    text: str
    received_at: datetime  # aware
    automatic: bool = False  # its headers say so (Auto-Submitted, X-Autoreply, Precedence)


def tagged(address: str, tag: str) -> str:
    """The address a follow-up leaves: user+tag@domain (sub-addressing, as Gmail, Outlook,
    QQ Mail and Dovecot deliver it)."""
    user, _, domain = address.partition("@")
    return f"{user}+{tag}@{domain}"


def tag_of(address: str) -> str | None:
    user = address.strip().strip("<>").partition("@")[0]
    return user.partition("+")[2] or None


def matching(mail: Mail, pending: list[FollowUp]) -> FollowUp | None:
    """The follow-up a mail answers: by the tag in the address it was sent to, then by the tag
    quoted in its subject or text (a reply to a thread), then by the sender's domain when it is
    the platform's and only one follow-up of that platform waits."""
    by_tag = {f.id: f for f in pending}
    for address in mail.to:
        if (tag := tag_of(address)) in by_tag:
            return by_tag[tag]
    quoted = [f for f in pending if f.id in mail.subject or f.id in mail.text]
    if len(quoted) == 1:
        return quoted[0]
    domain = mail.sender.rpartition("@")[2].lower()
    theirs = [f for f in pending if domain and _same_site(domain, urlparse(f.platform_url).hostname or "")]
    return theirs[0] if len(theirs) == 1 else None


def _same_site(domain: str, host: str) -> bool:
    """mail.shop.com and www.shop.com are one site: the last two labels agree."""
    return domain.split(".")[-2:] == host.lower().split(".")[-2:]


def reply_kind(mail: Mail, same_text_elsewhere: int = 0, ours: str = "") -> tuple[str, str]:
    """Whether a reply is automatic or a person's, and why (in English: stored as the reason).
    `ours`: the message we left; a mail that only quotes it back ("您的留言：…") answers nothing."""
    if mail.automatic:
        return AUTO, "its headers say it was sent automatically"
    if NO_REPLY_SENDER.match(mail.sender):
        return AUTO, f"sent from a no-reply address ({mail.sender})"
    if found := RECEIPT_WORDS.search(mail.subject + " " + mail.text):
        return AUTO, f"an automatic receipt's words ({found.group(0)})"
    if same_text_elsewhere >= SAME_TEXT_ELSEWHERE:
        return AUTO, f"the same words answered {same_text_elsewhere} other follow-ups"
    if ours and _echoes(mail.text, ours):
        return AUTO, "only our own message, sent back"
    return HUMAN, "a person's answer"


def _echoes(text: str, ours: str) -> bool:
    """The mail holds our message outside quoted lines (> ...), and little of its own beside it:
    labels such as 您的留言：, 提交时间：. A short answer that does not repeat us is not an echo."""
    unquoted = re.sub(r"\s+", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(">")))
    ours = re.sub(r"\s+", " ", ours).strip()
    return ours in unquoted and len(WORD.sub("", unquoted.replace(ours, ""))) < OWN_WORDS_MIN


def question_left(follow_up: FollowUp) -> str:
    """The message we typed into the form's message field."""
    return next((f.value for f in follow_up.form_fields if f.kind == "message" and f.value), "")


def record_reply(follow_up: FollowUp, kind: str, received_at: datetime) -> None:
    """A reply matched to the follow-up: its first reply, its first human one."""
    follow_up.replies.append(kind)
    if follow_up.first_reply_at is None or received_at < follow_up.first_reply_at:
        follow_up.first_reply_at = received_at
    if kind == HUMAN and (follow_up.first_human_at is None or received_at < follow_up.first_human_at):
        follow_up.first_human_at = received_at


def settle(follow_up: FollowUp, now: datetime) -> FollowUpState:
    """Its state now: answered at a human reply; after CLOSE_AFTER_S, auto_only or unanswered."""
    if follow_up.first_human_at is not None:
        follow_up.state = FollowUpState.ANSWERED
    elif now - follow_up.submitted_at >= timedelta(seconds=CLOSE_AFTER_S):
        follow_up.state = FollowUpState.AUTO_ONLY if follow_up.replies else FollowUpState.UNANSWERED
    return follow_up.state


def settled_line(follow_up: FollowUp) -> str:
    """A settled follow-up in one log line."""
    delay = f" after {duration_words(follow_up.human_delay_s, EN)}" if follow_up.human_delay_s is not None else ""
    return f"{follow_up.platform}: {follow_up.state}{delay} (follow-up {follow_up.id}, probe {follow_up.probe_id})"
