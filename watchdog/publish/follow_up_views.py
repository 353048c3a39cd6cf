"""What the published pages say of follow-ups (留言 / 工单: our question left on a platform's
form, answered by e-mail): the leaderboard's 留言 cell, a platform's list of messages left, and
on a probe's page the form as submitted, the page's confirmation and the replies, in the
reader's language. Pure, as views.py: the plugin queries, these word it, the templates lay it
out and escape it (form labels, confirmations and replies are page and mail text: untrusted)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..i18n import N_, duration_words, translate, when_words
from ..records import FollowUpState, FormProblem
from .ratings import FOLLOW_UP_HOURS, FollowUpCounts, utc_moment

Row = dict[str, Any]

STATE_WORDS = {
    FollowUpState.PENDING: N_("waiting for an answer"),
    FollowUpState.ANSWERED: N_("answered by a person"),
    FollowUpState.AUTO_ONLY: N_("only an automatic receipt"),
    FollowUpState.UNANSWERED: N_("no answer"),
    FollowUpState.NOT_LEFT: N_("could not be left"),
}
STATE_TONES = {FollowUpState.ANSWERED: "good", FollowUpState.AUTO_ONLY: "bad", FollowUpState.UNANSWERED: "bad"}
# Why a message could not be left (records.FormProblem), in words: each a case to review.
PROBLEM_WORDS: dict[str, str] = {  # keyed by FormProblem: the stored values are its strings
    FormProblem.NO_FORM: N_("no 留言 form found"),
    FormProblem.NEEDS_PHONE: N_("needs a phone number"),
    FormProblem.NEEDS_QQ: N_("needs a QQ or WeChat id"),
    FormProblem.ASKS_ORDER: N_("asks for an order number or payment data"),
    FormProblem.CAPTCHA: N_("a captcha or a login stands before it"),
    FormProblem.NO_CONTACT: N_("nowhere to give an address"),
    FormProblem.UNKNOWN_REQUIRED: N_("a required field we cannot honestly fill"),
    FormProblem.NOT_SENT: N_("the form was not sent"),
}
REPLY_WORDS = {"auto": N_("automatic receipt"), "human": N_("a person's answer")}


def answered_share(counts: FollowUpCounts, lang: str) -> str:
    """The leaderboard's 留言 cell: "24 h 2/3 · 48 h 3/3" (answered by a person in time, of
    those due), how many wait when none is due yet, or "—"."""
    said = []
    for hours in FOLLOW_UP_HOURS:
        answered, counted = counts.answered_within(hours)
        if counted:
            share = N_("%(hours)s h %(answered)s/%(counted)s")
            said.append(translate(lang, share) % {"hours": hours, "answered": answered, "counted": counted})
    if said:
        return " · ".join(said)
    if counts.left:
        return translate(lang, N_("%(count)s waiting")) % {"count": len(counts.left)}
    if counts.not_left:
        return translate(lang, N_("%(count)s could not be left")) % {"count": counts.not_left}
    return "—"


def promise_words(promise_h: float | None, promise: str, lang: str) -> str:
    """The platform's own promise of an answer: "within 24 h (“24小时内回复”)", or "—"."""
    if promise_h is None:
        return "—"
    said = translate(lang, N_("within %(time)s")) % {"time": duration_words(promise_h * 3600, lang)}
    return said + (translate(lang, N_(" (“%(words)s”)")) % {"words": promise} if promise else "")


@dataclass
class LeftFigures:
    """A platform's follow-ups in words (its page's 留言 figures)."""

    share: str  # "24 h 2/3 · 48 h 3/3"
    median: str  # the median delay of the first human answer
    promise: str
    not_left: int


def left_figures(counts: FollowUpCounts, lang: str) -> LeftFigures:
    median = counts.median_s
    return LeftFigures(
        share=answered_share(counts, lang),
        median="—" if median is None else duration_words(median, lang),
        promise=promise_words(counts.promise_h, counts.promise, lang),
        not_left=counts.not_left,
    )


@dataclass
class LeftSummary:
    """One message left (or tried), as a platform's page lists it."""

    probe_id: str
    left_at: str
    state: str
    state_words: str
    tone: str  # good / bad / neutral
    answered_after: str  # the delay of the first human answer, or ""
    problem: str  # why it could not be left, in words, or ""


def left_summary(follow_up: Row, lang: str) -> LeftSummary:
    state = follow_up["state"]
    delay = follow_up.get("human_delay_s")
    return LeftSummary(
        probe_id=follow_up["probe_id"],
        left_at=when_words(follow_up.get("submitted_at"), lang),
        state=state,
        state_words=translate(lang, STATE_WORDS[state]) if state in STATE_WORDS else state,
        tone=STATE_TONES.get(state, "neutral"),
        answered_after="" if delay is None else duration_words(delay, lang),
        problem=problem_words(follow_up, lang) if state == FollowUpState.NOT_LEFT else "",
    )


def problem_words(follow_up: Row, lang: str) -> str:
    """Why a message could not be left, with the field or the page's words behind it."""
    problem = follow_up.get("problem") or "not_sent"
    said = translate(lang, PROBLEM_WORDS[problem]) if problem in PROBLEM_WORDS else problem
    detail = follow_up.get("detail")
    return said + (translate(lang, N_(" (“%(words)s”)")) % {"words": detail} if detail else "")


@dataclass
class FieldShown:
    label: str
    value: str  # what we typed, or "left empty"
    required: bool
    empty: bool


@dataclass
class ReplyShown:
    after: str  # "+3 h 12 min" after the message was left
    kind: str
    kind_words: str
    subject: str
    text: str


@dataclass
class MessageLeft:
    """A probe's follow-up as its page shows it: the form as submitted, the page's
    confirmation, and the replies."""

    summary: LeftSummary
    form_url: str
    fields: list[FieldShown]
    confirmation: str
    promise: str
    replies: list[ReplyShown]


def message_left(follow_up: Row, replies: list[Row], lang: str) -> MessageLeft:
    empty = translate(lang, N_("left empty"))
    fields = [
        FieldShown(str(f.get("label") or ""), str(f.get("value") or empty), bool(f.get("required")), not f.get("value"))
        for f in _fields(follow_up.get("form_fields"))
    ]
    return MessageLeft(
        summary=left_summary(follow_up, lang),
        form_url=follow_up.get("form_url") or "",
        fields=fields,
        confirmation=follow_up.get("confirmation") or "",
        promise=promise_words(follow_up.get("promise_h"), follow_up.get("promise") or "", lang),
        replies=[_reply(reply, follow_up.get("submitted_at"), lang) for reply in replies],
    )


def _fields(stored: str | None) -> list[Row]:
    """The form's fields as stored (a JSON list), or none when it cannot be read."""
    try:
        fields = json.loads(stored or "[]")
    except ValueError:
        return []
    return [f for f in fields if isinstance(f, dict)] if isinstance(fields, list) else []


def _reply(reply: Row, submitted_at: str | None, lang: str) -> ReplyShown:
    kind = reply.get("kind") or ""
    after = ""
    if submitted_at and reply.get("received_at"):
        seconds = (utc_moment(reply["received_at"]) - utc_moment(submitted_at)).total_seconds()
        after = "+" + duration_words(max(0.0, seconds), lang)
    return ReplyShown(
        after=after,
        kind=kind,
        kind_words=translate(lang, REPLY_WORDS[kind]) if kind in REPLY_WORDS else kind,
        subject=reply.get("subject") or "",
        text=reply.get("text") or "",
    )
