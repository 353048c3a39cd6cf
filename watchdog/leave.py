"""Leaving a message (留言 / 工单): what each field of a platform's form asks for, what we put
in it, and whether the form may be submitted at all. Decisions only; the browser side is
probe/form.py.

The rules (issue 28): we leave our genuine pre-sales question, a name and the watchdog's own
address, and nothing else. Phone and QQ / WeChat fields are left empty; a form that requires
one is not submitted (needs_phone, needs_qq), never filled with an invented number. A form
that asks for an order number or payment data is never submitted, required or not. A required
field we cannot fill honestly (a captcha, an unknown question) stops the submit too, named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from .records import FormField, FormProblem, Outcome

SUBJECT = "售前咨询"


@dataclass(frozen=True)
class Contact:
    """Who leaves the message: the mailbox's address (each follow-up tags it) and a name."""

    address: str
    name: str


def leaves_message(when: str, outcome: Outcome | None) -> bool:
    """[leave_message] when: "offline" leaves one when the chat said it was offline."""
    return when == "always" or (when == "offline" and outcome == Outcome.OFFLINE_DECLARED)


class FieldKind(StrEnum):
    NAME = "name"
    EMAIL = "email"
    CONTACT = "contact"  # 联系方式: free text, where an address fits
    MESSAGE = "message"
    SUBJECT = "subject"
    PHONE = "phone"
    QQ = "qq"  # QQ, WeChat and kin
    ORDER = "order"  # an order number
    PAYMENT = "payment"  # card, account or payment data
    CAPTCHA = "captcha"
    CHOICE = "choice"  # a select: 问题类型
    CONSENT = "consent"  # a box to tick: 同意隐私政策
    OTHER = "other"


# Tried in this order on the field's label, placeholder, name and id (lowercased): the first
# that matches names the kind. Orders come first: 订单联系人 is still about an order.
KIND_WORDS: tuple[tuple[FieldKind, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(words, re.IGNORECASE))
    for kind, words in (
        (FieldKind.CAPTCHA, r"验证码|captcha|verif|校验码"),
        (FieldKind.ORDER, r"订单|单号|order|交易号|流水号|卡号|卡密|trade"),
        # QQ账号 is a QQ number, not an account to pay from: QQ before payment.
        (FieldKind.QQ, r"(?<![a-z])qq(?![a-z])|微信号?(?!支付)|wechat|weixin|\bwx\b|旺旺|telegram"),
        (FieldKind.PAYMENT, r"支付|付款|银行|账户|账号|payment|card|bank|alipay|支付宝|金额|amount"),
        (FieldKind.EMAIL, r"e-?mail|邮箱|邮件|mail"),
        (FieldKind.PHONE, r"手机|电话|phone|mobile|tel\b|联系电话"),
        (FieldKind.CONTACT, r"联系方式|联系|contact"),
        (FieldKind.NAME, r"姓名|称呼|昵称|名字|联系人|name|nickname"),
        (FieldKind.SUBJECT, r"标题|主题|subject|title"),
        (FieldKind.MESSAGE, r"留言|内容|问题|描述|详情|反馈|message|content|question|describe|comment|备注"),
        (FieldKind.CONSENT, r"同意|agree|consent|隐私"),
    )
)
INPUT_KINDS = {"email": FieldKind.EMAIL, "tel": FieldKind.PHONE}
# A choice of topic: the option that fits a question before buying, else the first real one.
PRE_SALES = re.compile(r"售前|咨询|购买|其他|其它|pre-?sales|question|other", re.IGNORECASE)
PLACEHOLDER_OPTION = re.compile(r"^\s*$|请选择|--|select|choose", re.IGNORECASE)


@dataclass(frozen=True)
class FieldSeen:
    """A field of the form as the page shows it (probe/form.py reads it)."""

    index: int  # its place among the form's fields
    tag: str  # input, textarea, select
    type: str  # the input's type: text, email, tel, checkbox, ...
    label: str  # its label, else placeholder, else aria-label, else name
    name: str  # name and id, for the kind
    required: bool
    options: tuple[str, ...] = ()  # a select's option texts


@dataclass(frozen=True)
class Filled:
    index: int
    value: str  # text to type; for a select the option's text; "on" to tick a box


@dataclass(frozen=True)
class Refused:
    problem: FormProblem
    detail: str  # the field's label


def field_kind(seen: FieldSeen) -> FieldKind:
    if seen.tag == "select":
        kind = _words_kind(seen)
        return kind if kind in (FieldKind.ORDER, FieldKind.PAYMENT) else FieldKind.CHOICE
    if seen.tag == "textarea":
        kind = _words_kind(seen)
        return kind if kind in (FieldKind.ORDER, FieldKind.PAYMENT, FieldKind.CAPTCHA) else FieldKind.MESSAGE
    if seen.type == "password":  # a login stands before the form
        return FieldKind.CAPTCHA
    if seen.type in INPUT_KINDS:
        return INPUT_KINDS[seen.type]
    kind = _words_kind(seen)
    if seen.type == "checkbox":
        return FieldKind.CONSENT if kind == FieldKind.CONSENT else FieldKind.OTHER
    return kind


def _words_kind(seen: FieldSeen) -> FieldKind:
    said = f"{seen.label} {seen.name}"
    for kind, words in KIND_WORDS:
        if words.search(said):
            return kind
    return FieldKind.OTHER


def plan(fields: list[FieldSeen], *, name: str, address: str, message: str) -> list[Filled] | Refused:
    """What to type where, or why the form must not be submitted."""
    kinds = [(seen, field_kind(seen)) for seen in fields]
    for seen, kind in kinds:
        if kind in (FieldKind.ORDER, FieldKind.PAYMENT):
            return Refused(FormProblem.ASKS_ORDER, seen.label)
    for seen, kind in kinds:
        if kind == FieldKind.CAPTCHA and (seen.required or seen.type == "password"):
            return Refused(FormProblem.CAPTCHA, seen.label)
        if seen.required and kind == FieldKind.PHONE:
            return Refused(FormProblem.NEEDS_PHONE, seen.label)
        if seen.required and kind == FieldKind.QQ:
            return Refused(FormProblem.NEEDS_QQ, seen.label)
    if not any(kind == FieldKind.MESSAGE for _, kind in kinds):
        return Refused(FormProblem.NO_FORM, "no field for a message")
    contact = next((k for k in (FieldKind.EMAIL, FieldKind.CONTACT) if any(kind == k for _, kind in kinds)), None)
    if contact is None:
        return Refused(FormProblem.NO_CONTACT, "no field for an e-mail address")
    values = {FieldKind.NAME: name, contact: address, FieldKind.MESSAGE: message, FieldKind.SUBJECT: SUBJECT}
    filled: list[Filled] = []
    for seen, kind in kinds:
        if kind in values and not (kind == FieldKind.MESSAGE and any(f.value == message for f in filled)):
            filled.append(Filled(seen.index, values[kind]))
        elif kind == FieldKind.CHOICE and (seen.required or any(PRE_SALES.search(o) for o in seen.options)):
            option = _topic(seen.options)
            if option is None:
                return Refused(FormProblem.UNKNOWN_REQUIRED, seen.label)
            filled.append(Filled(seen.index, option))
        elif kind == FieldKind.CONSENT and seen.required:
            filled.append(Filled(seen.index, "on"))
        elif seen.required and kind not in values:
            return Refused(FormProblem.UNKNOWN_REQUIRED, seen.label)
    return filled


def _topic(options: tuple[str, ...]) -> str | None:
    real = [o for o in options if not PLACEHOLDER_OPTION.search(o)]
    return next((o for o in real if PRE_SALES.search(o)), real[0] if real else None)


def as_left(fields: list[FieldSeen], filled: list[Filled]) -> list[FormField]:
    """The form as submitted, for the record: every field, with what we typed or ""."""
    typed = {f.index: f.value for f in filled}
    return [FormField(seen.label, field_kind(seen), seen.required, typed.get(seen.index, "")) for seen in fields]


# -- what the page says ---------------------------------------------------------------------

_NUMBER = r"(\d+(?:\.\d+)?|[一二两三四五六七八九十]+)"
PROMISE = re.compile(
    _NUMBER + r"\s*(?:个)?\s*(小时|工作日|天|日|h\b|hours?|business days?|working days?|days?)\s*(?:内|之内|以内)?"
    r"(?=[^。.!！\n]{0,12}(?:回复|答复|回电|联系|处理|反馈|reply|respond|answer|get back|contact))"
    r"|(?:within|in)\s+" + _NUMBER + r"\s*(hours?|business days?|working days?|days?)",
    re.IGNORECASE,
)
CHINESE_NUMBERS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
DONE_WORDS = re.compile(
    r"提交成功|留言成功|发送成功|已提交|已送达|已收到|已经收到|感谢您的(?:留言|反馈|来信)|谢谢您的(?:留言|反馈)|工单(?:已|号)|我们会尽快"
    r"|success|thank you|thanks for|received|submitted|we will get back",
    re.IGNORECASE,
)
ERROR_WORDS = re.compile(
    r"请填写|请输入|不能为空|必填|格式不正确|格式错误|提交失败|发送失败|失败|错误|出错|稍后再试|请重试|invalid|required|failed|error"
    r"|problem|try again|unable to|could not|couldn't",  # Live Helper Chat: "There was a problem sending ..."
    re.IGNORECASE,
)


def promised_hours(text: str) -> tuple[float, str] | None:
    """The answer time a page promises ("我们会在24小时内回复您", "1个工作日内答复", "within 48
    hours"), in hours, with the words it said it in."""
    found = PROMISE.search(text)
    if found is None:
        return None
    number, unit = (found.group(1), found.group(2)) if found.group(1) else (found.group(3), found.group(4))
    count = float(number) if number[0].isdigit() else float(_chinese_number(number))
    hours = count if unit.lower().startswith(("小时", "h")) else count * 24
    return hours, found.group(0).strip()


def _chinese_number(words: str) -> int:
    """一 … 九十九, as pages write their promises (二十四小时, 两个工作日)."""
    if "十" not in words:
        return CHINESE_NUMBERS.get(words, 0)
    tens, _, ones = words.partition("十")
    return CHINESE_NUMBERS.get(tens, 1) * 10 + CHINESE_NUMBERS.get(ones, 0)


def page_answer(before: str, after: str) -> tuple[bool, str]:
    """What the page said after the submit, from its text before and after: (refused, words).
    Refused only when words of an error appeared and none of success (the page's own "请填写"):
    a submit the page took in silence is still a message left, and owed an answer."""
    new = after.replace(before, " ") if before and before in after else _new_lines(before, after)
    new = re.sub(r"\s+", " ", new).strip()[:300]
    return bool(ERROR_WORDS.search(new)) and not DONE_WORDS.search(new), new


def _new_lines(before: str, after: str) -> str:
    seen = set(before.splitlines())
    return "\n".join(line for line in after.splitlines() if line not in seen)
