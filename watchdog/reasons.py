"""Reasons as data: a code and its values, worded at the edge in the reader's language.

A `Reason` is the English sentence every reason used to be (a str: logs, `--json`, anything
that joins or searches reasons reads it as before) that also carries its code and values. It
is stored as `{"code": ..., values...}` in the JSON lists of reasons; a plain string there is
a reason written before codes (kept, shown as it was written). Pages, exports, alerts and
feeds word each one with `words(reason, lang)` from the catalogues (i18n).

Values are worded by their names: `seconds` and `passed` (a measured time in the sentence's
unit), `held` (a measured time, in its own units), `waited` (a configured wait), `kinds`
(message kinds), `notice`, `status` and `moment`
(WORDS), `quote` (page text in quotes), `count` (picks the plural), a nested reason (a dict),
a list (its items joined); anything else is page text or a number, shown as it is."""

from __future__ import annotations

import json
from typing import Any

from .i18n import EN, N_, NP_, duration_words, join_words, translate, translate_plural, wait_words

Message = str | tuple[str, str]

MESSAGES: dict[str, Message] = {
    # verdicts (verdicts/decide.py)
    "human_replied": N_("a human replied %(seconds)s s after the question"),
    "stock_answered": N_(
        "answered in stock words %(seconds)s s after the question (a quick reply or a macro that addresses it), "
        "and no free-form reply"
    ),
    "no_agent_after_question": N_("the chat said no agent is on duty after we asked (%(quote)s) and no human replied"),
    "automated_only": N_("only automated replies (%(kinds)s) within %(waited)s"),
    "offline_no_reply": N_("the widget said offline (%(claimed)s) and nobody replied"),
    "no_reply": N_("no reply within %(waited)s"),
    "fake_online_nobody": N_(
        "fake online: the widget claimed online (%(claimed)s) but nobody answered within %(waited)s"
    ),
    "fake_online_no_human": N_(
        "fake online: the widget claimed online (%(claimed)s) but no human answered within %(waited)s"
    ),
    "bot_loop": NP_(
        "bot loop: asked for a human, got %(count)s automated reply and no human within %(waited)s",
        "bot loop: asked for a human, got %(count)s automated replies and no human within %(waited)s",
    ),
    "template_only": N_("template only: every reply was a greeting or a stalling template"),
    "queue_stuck": N_(
        "queue stuck: the chat put us %(place)s places back in a queue and the place did not move for "
        "%(held)s, and no human answered within %(waited)s"
    ),
    "queue_grew": N_(
        "queue stuck: the chat's queue grew from %(before)s to %(after)s ahead of us, and no human answered "
        "within %(waited)s"
    ),
    "read_no_reply": N_(
        "read, no reply (已读不回): the widget showed our question as read %(seconds)s s after we asked, and no "
        "human answered within %(waited)s"
    ),
    "handoff_broken": N_(
        "handoff broken: the chat announced a person (%(quote)s) %(seconds)s s after the question, then no "
        "human answered within %(waited)s"
    ),
    "blind_question_unseen": N_(
        "blind: the probe could not see the conversation: our question never showed among the observed "
        "messages (%(observed)s platform message(s) observed): check chat.message and chat.visitor in the "
        "platform file"
    ),
    "blind_unknown_ours": N_(
        "blind: the probe could not see the conversation: the widget marks as ours %(count)s message(s) we "
        "never sent, so whose they are is unknown: check chat.visitor in the platform file"
    ),
    "blind_unreported": N_(
        "blind: the probe could not see the conversation: the screen shows %(count)s platform message(s) the "
        "observer never reported: check chat.message and chat.frame in the platform file"
    ),
    "blind_unchecked": N_(
        "blind: the probe could not see the conversation: the chat could not be read at the end, so the "
        "transcript was never checked against the screen: see the probe's notes, and chat.message in the "
        "platform file"
    ),
    # message kinds (verdicts/classify.py, verdicts/templates.py)
    "system_line": N_("a line of the chat outside its bubbles that only tells %(notice)s"),
    "system_bubble": N_("a bubble that only tells %(notice)s"),
    "before_question": N_("appeared before our first message"),
    "marked_bot": N_("the widget marks it as a bot or system message (chat.bot)"),
    "bot_sender": N_("sender name %(sender)s"),
    "says_program": N_("it says it is a program (%(said)s)"),
    "welcome_too_fast": N_("a welcome line %(seconds)s s after our message: too fast to be an answer"),
    "by_rote": N_("the same text again in answer to a different message of ours (a bot answering by rote)"),
    "repeats_automated": N_("the same text (numbers aside) as an automated reply earlier in this conversation"),
    "stalling": N_("stalling template (%(phrase)s) that does not address the question"),
    "template_off_topic": N_("%(evidence)s, and it does not address the question"),
    "canned_greeting": N_("a canned greeting that does not address the question"),
    "replied": N_("replied %(seconds)s s after our message with %(chars)s characters"),
    "stock_words": N_(
        "replied %(seconds)s s after our message with %(chars)s characters, in stock words: %(evidence)s"
    ),
    "stock_addresses": N_("it addresses the question (%(topic)s): a quick reply or a macro answered it"),
    "typed_too_fast": N_("%(chars)s characters %(seconds)s s after our message: faster than a person types"),
    "typed_too_fast_together": N_(
        "with the replies before it, %(chars)s characters %(seconds)s s after our message: faster than a person types"
    ),
    "typing_shown": N_("typing indicator shown before it"),
    "addresses_question": N_("addresses the question"),
    "template_crowd": N_("the same text in more than %(probes)s other probes"),
    "template_own": N_(
        "same text as replies in %(probes)s other probes on %(platforms)s over %(days)s "
        "(%(here)s of this platform's %(own_probes)s other probes)"
    ),
    "template_pooled": N_(
        "same text as replies in %(probes)s other probes on %(platforms)s over %(days)s "
        "(%(share)s of the %(their_probes)s probes of the platforms that sent it)"
    ),
    "platforms": NP_("%(count)s platform", "%(count)s platforms"),
    "days": NP_("%(count)s day", "%(count)s days"),
    "seen_at_end": N_("on screen at the end, never reported by the observer: no time"),
    "not_shown": N_("not shown by the widget: timed from pressing send"),
    "unknown_visitor": N_("marked as ours by the widget (chat.visitor), but we never sent it"),
    # what the probe noticed (probe/conversation.py, probe/driver.py, the store)
    "read_seen": N_("the widget showed our question as read %(seconds)s s after we asked, by %(by)s (chat.read)"),
    "learned_list": N_("learned the message list from our question: %(said)s (chat.* in the platform file)"),
    "echo_missing": N_("the widget did not show our message: timed from pressing send"),
    "unreported_on_screen": N_(
        "the screen shows %(count)s of %(shown)s platform message(s) that the observer never reported, e.g. %(quote)s"
    ),
    "screen_checked": N_("checked against the screen at the end: %(shown)s platform message(s), all recorded"),
    "status_changed": N_("the widget's status changed during the probe: %(changes)s"),
    "status_at": N_("%(status)s %(moment)s"),
    "navigated_after_human": N_("the chat's page navigated after a human replied (to %(url)s)"),
    "navigated_lost": N_(
        "the chat's page navigated during the probe (to %(url)s): the conversation was lost before anyone "
        "answered, so there is no verdict"
    ),
    "clock_untrusted": N_(
        "the page's clock is not to be trusted: it advanced %(seconds)s s while %(passed)s s passed, so none of "
        "its times can time a reply"
    ),
    "observer_error": N_("the chat's observer failed: %(detail)s"),
    "no_screenshot_stopped": N_("no screenshot: the page was not answering, or the run was stopped"),
    "no_screenshot": N_("no screenshot: %(detail)s"),
    "new_window": N_("the chat opened in a new window (%(url)s)"),
    "message_left": N_("left our question on its 留言 form, to be answered at %(address)s"),
    "message_not_left": N_("did not leave a message on its form (%(problem)s: %(detail)s)"),
    "message_left_lately": N_("a message was left on its form within the last %(hours)s h: not again"),
    "no_status": N_("no status shown within %(waited)s: status unknown"),
    "reloaded_followed": N_("the chat's page reloaded (%(url)s) and showed our conversation again: followed it"),
    "no_list_to_check": N_(
        "no chat.message, and our question never showed to learn the list from: the transcript could not be "
        "checked against the screen"
    ),
    "unreadable_at_end": N_("could not read the chat at the end: %(detail)s"),
    "dialog_accepted": N_("the page showed a %(dialog)s dialog, accepted: %(said)s"),
    "interrupted_process": N_("interrupted: the probing process (pid %(pid)s) ended mid-probe"),
    "interrupted_run": N_("interrupted: the run was stopped before the probe ended"),
    "revised": N_(
        "revised after probe %(probe)s: %(quote)s is now a template (the same text in other probes), so the "
        "verdict went from %(was)s to %(now)s"
    ),
    # a probe that could not have a conversation (probe/driver.py, probe/conversation.py)
    "browser_error": N_("browser error: %(detail)s"),
    "internal_error": N_("internal error: %(detail)s"),
    "page_timeout": N_("page did not load within %(waited)s"),
    "page_failed": N_("page did not load: %(detail)s"),
    "no_control": N_("%(why)s (no control URL checked)"),
    "control_failed": N_("%(why)s, and the control URL %(url)s failed too (%(detail)s): our network, not the platform"),
    "control_loaded": N_("%(why)s (the control URL %(url)s loaded)"),
    "offline_no_chat": N_("the widget said offline (%(claimed)s) and offers no chat: %(why)s"),
    "im_only": N_("no web chat: the page offers only %(contacts)s (%(why)s)"),
    "unresponsive": N_("the page did not answer (%(what)s) within %(waited)s: a frozen page"),
    "deadline": N_(
        "the probe did not end within %(seconds)s s (max_wait plus %(grace)s s): stopped, with what it saw kept"
    ),
    "open_not_found": N_("chat.open %(selector)s not found on the page"),
    "popup_not_loaded": N_("the chat window opened by chat.open did not load"),
    "frame_not_found": N_("chat.frame %(selector)s not found"),
    "frame_not_iframe": N_("chat.frame %(selector)s is not an iframe"),
    "start_not_shown": N_("chat.start %(selector)s: neither it nor chat.input shows in the chat"),
    "start_not_clickable": N_("chat.start %(selector)s cannot be clicked"),
    "input_missing": N_("chat.input %(selector)s not found in the chat"),
    "input_read_only": N_("chat.input %(selector)s is read-only or disabled"),
    "input_refuses_text": N_("chat.input %(selector)s does not accept text"),
}

# Words a value may be made of: message kinds, the notices a chat's own line gives, the
# moments the status was read at, and outcomes and flags (a revision's "from X to Y").
WORDS: dict[str, str] = {
    # kinds
    "question": N_("our question"),
    "handoff": N_("we asked for a human"),
    "human": N_("human"),
    "bot": N_("bot"),
    "auto": N_("automated"),
    "greeting": N_("greeting"),
    "stock_answer": N_("stock answer"),
    "system": N_("the chat's own notice"),
    "unknown": N_("unknown"),
    # notices
    "notice.time": N_("a time or a date"),
    "notice.agent_assigned": N_("which agent was assigned"),
    "notice.queue": N_("a place in a queue"),
    "notice.transfer": N_("a transfer"),
    "notice.no_agent": N_("that no agent is on duty"),
    "notice.session": N_("that the session opened, closed or loads"),
    "notice.typing": N_("that someone is typing"),
    "notice.survey": N_("a request to rate the service"),
    "notice.read": N_("that our message was read"),
    # when the status was read
    "moment.load": N_("at load"),
    "moment.question": N_("when we asked"),
    "moment.end": N_("at the end"),
    "moment.chat": N_("in the chat"),
    # outcomes and flags
    "outcome.human": N_("a human replied"),
    "outcome.auto_only": N_("only bots or templates replied"),
    "outcome.no_reply": N_("nobody replied"),
    "outcome.offline_declared": N_("the widget said offline"),
    "outcome.unreachable": N_("the site did not load"),
    "outcome.chat_missing": N_("the chat was not found: needs review"),
    "outcome.blind": N_("the probe could not see the chat: needs review"),
    "outcome.probe_error": N_("our probe failed: not counted"),
    "outcome.im_only": N_("no web chat, QQ/WeChat only: not rated"),
    "outcome.running": N_("still running"),
    "flag.fake_online": N_("fake online"),
    "flag.bot_loop": N_("bot loop"),
    "flag.template_only": N_("templates only"),
    "flag.stock_answer": N_("answered in stock words"),
    "flag.queue_stuck": N_("queue stuck"),
    "flag.handoff_broken": N_("handoff broken"),
    "flag.read_no_reply": N_("read, no reply"),
    # statuses
    "status.online": N_("online"),
    "status.offline": N_("offline"),
    "status.unknown": N_("unknown"),
}


class Reason(str):
    """A reason's English sentence, with its code and values."""

    code: str
    values: dict[str, Any]

    def __new__(cls, code: str, **values: Any) -> Reason:
        if code not in MESSAGES:
            raise KeyError(f"no reason {code!r} in reasons.MESSAGES")
        made = super().__new__(cls, _words(code, values, EN))
        made.code, made.values = code, values
        return made

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, **{key: _stored(value) for key, value in self.values.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reason | str:
        values = {key: value for key, value in data.items() if key != "code"}
        code = str(data.get("code"))
        if code not in MESSAGES:  # from a newer watchdog: its words, as far as they can be told
            return f"{code} " + json.dumps(values, ensure_ascii=False)
        return cls(code, **{key: _loaded(value) for key, value in values.items()})


def _stored(value: Any) -> Any:
    if isinstance(value, Reason):
        return value.to_json()
    if isinstance(value, list | tuple):
        return [_stored(v) for v in value]
    return value


def _loaded(value: Any) -> Any:
    if isinstance(value, dict) and "code" in value:
        return Reason.from_json(value)
    if isinstance(value, list):
        return [_loaded(v) for v in value]
    return value


def words(reason: str, lang: str) -> str:
    """A reason in the reader's language (a reason from before codes: as it was written)."""
    return _words(reason.code, reason.values, lang) if isinstance(reason, Reason) else str(reason)


def word(name: str, lang: str) -> str:
    """One of WORDS in the reader's language (an unknown name as it is)."""
    return translate(lang, WORDS[name]) if name in WORDS else name


def _words(code: str, values: dict[str, Any], lang: str) -> str:
    message = MESSAGES[code]
    shown = {key: _value(key, value, lang) for key, value in values.items()}
    if isinstance(message, tuple):
        return translate_plural(lang, *message, int(values["count"])) % shown
    return translate(lang, message) % shown


def _value(key: str, value: Any, lang: str) -> str:
    if isinstance(value, Reason):
        return words(value, lang)
    if key in ("seconds", "passed") and isinstance(value, int | float):
        return f"{value:.1f}"  # in the reasons' precision; the unit is the sentence's
    if key == "waited" and isinstance(value, int | float):
        return wait_words(value, lang)
    if key == "held" and isinstance(value, int | float):
        return duration_words(value, lang)
    if key == "kinds" and isinstance(value, list):
        return join_words((word(str(kind), lang) for kind in value), lang)
    if key in ("notice", "status", "moment"):
        return word(f"{key}.{value}", lang)
    if key in ("was", "now") and isinstance(value, list):  # an outcome and its flags
        shown = (
            value if lang == EN else [word(f"outcome.{value[0]}", lang), *(word(f"flag.{f}", lang) for f in value[1:])]
        )
        return " + ".join(shown)
    if isinstance(value, list):
        return join_words((_value(key, v, lang) for v in value), lang)
    if key == "quote":
        return repr(str(value)) if lang == EN else f"“{value}”"
    return str(value)


def dumps(reasons: list[str]) -> list[Any]:
    """Reasons as their JSON list stores them (a reason from before codes: its text)."""
    return [r.to_json() if isinstance(r, Reason) else r for r in reasons]


def loads(stored: str | None) -> list[str]:
    """A stored JSON list of reasons (None or "": none; anything else: one reason as written)."""
    if not stored:
        return []
    try:
        parsed = json.loads(stored)
    except ValueError:
        return [stored]
    if not isinstance(parsed, list):
        return [str(parsed)]
    return [Reason.from_json(r) if isinstance(r, dict) else str(r) for r in parsed]


def loads_one(stored: str) -> str:
    """One stored reason: a JSON object with a code, or text written before codes."""
    if stored.startswith("{"):
        try:
            parsed = json.loads(stored)
        except ValueError:
            return stored
        if isinstance(parsed, dict):
            return Reason.from_json(parsed)
    return stored
