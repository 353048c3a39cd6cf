"""Personal data in what leaves the store (public pages, their JSON and CSV, and every
export), masked by one function the same way everywhere.

`mask_personal` masks, each in the spellings people use to get past filters:

- digit runs of 6 or more, counted across single spaces, dashes, dots, slashes or middle
  dots between the digits, full-width digits included: mobile numbers (13812345678,
  138 1234 5678, 138-1234-5678, 138.1234.5678, +86 138 1234 5678, 0086-138..., 86 138...),
  landlines with area code (010-12345678, 0755 1234 5678), QQ numbers of 6+ digits, ID card
  numbers (15 or 18 characters, a final X left as it is), bank card numbers (6222 0212 3456
  7890 123) and order or account numbers (which may be a person's);
- runs of 7 or more digits spelled as Chinese numerals (一三八一二三四五六七八, 幺 for one);
- QQ, WeChat and similar ids after their keyword, however short: QQ/qq/Q/扣扣/企鹅/球球,
  微信/威信/薇信/围信/V信/v信/VX/vx/wx/weixin/wechat/加V, with or without 号, 是, a colon
  and spaces (QQ 12345, V信：kf_abc123, 加v kefu888);
- e-mail addresses, also written with ＠ or (at);
- staff ids and names: 工号8899 王丽, 工号：A12, 我是(人工/在线/售前/售后)客服阿杰,
  客服小王为您服务, 客服-小红.

Masking keeps the text's shape (each hidden character becomes *) and never touches quotes or
backslashes, so JSON text (reasons) stays valid JSON. Senders are never published: a name
is a person's even when the message read as a bot.

The store keeps each message's masked columns beside the originals (`masked_copies`, written
with the message), so that a first public snapshot of a long history is a copy rather than a
million calls into Python; `FINGERPRINT` tells copies made by this code from older ones.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

MASK = "*"
_SEP = r"[ \-.·/\u00a0]"
# The look-behind after the first digit (no digit just before it) lets the regex engine skip
# to digits instead of testing the look-behind at every character.
DIGIT_RUN = re.compile(rf"\d(?<!\d\d)(?:{_SEP}?\d){{5,}}(?!\d)")
CHINESE_DIGITS = re.compile(r"[零〇一二三四五六七八九幺]{7,}")
CONTACT_WORDS = (  # each starts with a character of SUBSTITUTIONS' test for CONTACT
    r"QQ|qq|Q号|扣扣|企鹅号?|球球|微信号?|威信|薇信|围信|[Vv]信|VX|vx|Vx|vX|wx|WX|weixin|WeiXin|wechat|WeChat|加[Vv]"
)
CONTACT = re.compile(
    r"((?:" + CONTACT_WORDS + r")"
    r"[\s:：号是为]*)"
    r"([A-Za-z0-9](?:[-_A-Za-z0-9]|" + _SEP + r"(?=[A-Za-z0-9])){3,29})"
)
EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+\s*(?:[@＠]|\(at\)|\[at\])\s*[A-Za-z0-9\-]+(?:\s*\.\s*[A-Za-z0-9\-]+)+")
# A name ends at a phrase, punctuation, a space, the end, or a quote or bracket: reasons quote
# page text ('我是客服小王' is now a template) and are stored as JSON (["...客服小王"]).
_NAME_END = r"(?=为您服务|很高兴|竭诚|[，。,.!！\s\"'“”‘’「」『』()（）\[\]]|$)"
STAFF_ID = re.compile(
    r"(工号[\s:：]*)([A-Za-z0-9]+)((?:\s*(?:[\u4e00-\u9fff]{1,3}?" + _NAME_END + r"|[\u4e00-\u9fff]{2}))?)"
)
STAFF_NAME = re.compile(
    r"((?:我是|我叫)(?:人工|在线|售前|售后|专属)?(?:客服|专员|顾问)?[-·\s]?"
    r"|(?:客服|专员|顾问)[-·\s]?(?=(?:小|阿|老)?[\u4e00-\u9fff]{1,2}(?:为您服务|很高兴|竭诚)))"
    r"((?:小|阿|老)?[\u4e00-\u9fffA-Za-z]{1,3}?)" + _NAME_END
)
STAFF_TAG = re.compile(r"(客服[-·])([\u4e00-\u9fffA-Za-z]{1,4})")
PUBLIC_SENDER = "客服"


def _hide(text: str) -> str:
    """Letters, digits and ideographs become *; separators stay, so the shape shows."""
    return re.sub(r"[0-9A-Za-z\u4e00-\u9fff\uff10-\uff19]|\d", MASK, text)


# Each substitution, in order, with a character or word its pattern cannot match without: a
# cheap search that spares most texts the pattern itself (masking only turns characters into
# *, which none of them needs, so an earlier substitution never makes a later one match).
SUBSTITUTIONS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str], re.Pattern[str] | None], ...] = (
    (EMAIL, lambda m: _hide(m.group(0)), re.compile(r"[@＠(\[]")),
    (CONTACT, lambda m: m.group(1) + _hide(m.group(2)), re.compile(r"[QqVvWw扣企球微威薇围加]")),  # CONTACT_WORDS
    (STAFF_ID, lambda m: m.group(1) + _hide(m.group(2)) + _hide(m.group(3)), re.compile("工号")),
    (STAFF_NAME, lambda m: m.group(1) + _hide(m.group(2)), re.compile("我是|我叫|客服|专员|顾问")),
    (STAFF_TAG, lambda m: m.group(1) + _hide(m.group(2)), re.compile("客服")),
    (DIGIT_RUN, lambda m: _hide(m.group(0)), re.compile(r"\d")),
    (CHINESE_DIGITS, lambda m: MASK * len(m.group(0)), None),
)


@functools.lru_cache(maxsize=16384)  # templates, greetings and reasons repeat
def mask_personal(text: str | None) -> str | None:
    """The text with personal data masked (see the module docstring for what is covered)."""
    if not text:
        return text
    for pattern, replace, needs in SUBSTITUTIONS:
        if needs is None or needs.search(text):
            text = pattern.sub(replace, text)
    return text


def public_sender(sender: str | None) -> str | None:
    """Whoever sent it, published as 客服: a name is a person's, or may be."""
    return PUBLIC_SENDER if sender else sender


def no_evidence(path: str | None) -> None:
    """A screenshot shows the chat unmasked: never published, never in a masked export."""
    return None


def hidden_tag(tag: str | None) -> str | None:
    """A follow-up's tag (its id, the +tag of the address it left) as published: a hash of it.
    The tag is what a mail answering the follow-up is recognised by, so whoever knew it could
    answer in the platform's name; the hash still ties each reply to its follow-up. Mail ids
    too: a Message-ID may hold the sender's address or host."""
    return tag if tag is None else "h" + hashlib.sha256(tag.encode()).hexdigest()[:16]


# What is masked, by table and column, in public mode and in masked exports alike.
Mask = Callable[[str | None], str | None]
MASKED: dict[str, dict[str, Mask]] = {
    "probes": {
        "claimed_status_text": mask_personal,
        "reasons": mask_personal,
        "screenshot": no_evidence,
    },
    "messages": {"text": mask_personal, "sender": public_sender, "reasons": mask_personal},
    # Follow-ups (留言 / 工单): the form as we filled it holds our own tagged address, the
    # page's words and the replies may hold anyone's number; the form's screenshot shows it all.
    "follow_ups": {
        "id": hidden_tag,
        "address": mask_personal,
        "form_fields": mask_personal,  # JSON: masking never touches quotes or backslashes
        "confirmation": mask_personal,
        "promise": mask_personal,
        "detail": mask_personal,
        "screenshot": no_evidence,
    },
    "follow_up_replies": {
        "follow_up": hidden_tag,
        "message_id": hidden_tag,
        "sender": mask_personal,
        "subject": mask_personal,
        "text": mask_personal,
        "reason": mask_personal,
    },
}


# Of this module's code: masked copies the store holds from another version are not trusted.
FINGERPRINT = int.from_bytes(hashlib.sha256(Path(__file__).read_bytes()).digest()[:4], "big") >> 1
MASKED_WITH = "masked_with"


def masked_name(column: str) -> str:
    """Where the store keeps a message column's masked copy."""
    return f"masked_{column}"


def masked_copy(column: str, value: str | None) -> str | None:
    """A message column's masked copy as the store keeps it: NULL where masking leaves the
    value as it is (most messages: nothing is stored twice). No message mask turns a value
    into NULL, so a NULL copy always means "as it is"."""
    masked = MASKED["messages"][column](value)
    return None if masked == value else masked


def masked_copies(message: dict[str, Any]) -> dict[str, Any]:
    """The masked copies of a message row's columns, with the fingerprint of the code that
    made them."""
    copies: dict[str, Any] = {MASKED_WITH: FINGERPRINT}
    for column, name in _COPY_NAMES:
        copies[name] = masked_copy(column, message.get(column))
    return copies


_COPY_NAMES = [(column, masked_name(column)) for column in MASKED["messages"]]
