"""Personal data in transcripts, masked the same way wherever it is published."""

from __future__ import annotations

import re

PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
CONTACT = re.compile(
    r"((?:QQ|qq|Q号|扣扣|企鹅号?|微信号?|weixin|WeChat|wechat|vx|VX|wx|WX)\s*[:：号是]?\s*)"
    r"([A-Za-z0-9][-_A-Za-z0-9]{4,19})"
)
LONG_NUMBER = re.compile(r"(?<!\d)\d{6,11}(?!\d)")
STAFF_NAME = re.compile(r"(我是(?:人工|在线)?客服)[-·]?([\u4e00-\u9fffA-Za-z]{1,4})")


def mask_personal(text: str | None) -> str | None:
    """Phone numbers, QQ/WeChat ids, long numbers and staff names in a transcript, masked."""
    if not text:
        return text
    text = PHONE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    text = CONTACT.sub(lambda m: m.group(1) + "*" * len(m.group(2)), text)
    text = LONG_NUMBER.sub(lambda m: "*" * len(m.group(0)), text)
    return STAFF_NAME.sub(lambda m: m.group(1) + "**", text)


def public_sender(sender: str | None, kind: str | None) -> str | None:
    """Software has names (智能客服小美); people do not get theirs published."""
    return sender if kind == "bot" or not sender else "客服"
