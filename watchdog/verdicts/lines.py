"""The chat's own lines: what a widget draws in its message list that no one wrote to us.

Real widgets put service notices among the bubbles, often as another element (a `div` among
`li`s): an agent assigned ("客服 小美 为您服务"), a queue ("您前面还有 3 位"), a transfer ("正在转接中"),
no agent on duty ("暂时没有客服上班"), a time or date separator, the session opening or closing.
Such a line is `system`: kept in the transcript, never a reply, never ours.

Precision first: a line the observer saw outside the bubbles is `system` only when its words
say what it is; any other line could be a reply and is judged like one. A bubble is `system`
only when it is short and says what no reply says (an agent assigned, the session opening or
closing, someone typing, a satisfaction survey) or shows nothing but a time: a bubble about a queue or a transfer is a
stalling template (auto), and one saying no agent is on duty an offline claim (verdicts/decide.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..config import READ_WORDS
from ..text import DECORATION, TIME_LABEL

MAX_LINE_CHARS = 60  # a notice is short; a longer text could be an answer
MAX_BUBBLE_NOTICE_CHARS = 30
BUBBLE_NOTICES = ("agent_assigned", "session", "typing", "survey", "read")  # notices even when drawn as a bubble
NAME = r"[\w\u4e00-\u9fff·.\- ]{0,16}"
# Each kind of notice, as the alternatives that say it (searched in a line's text).
NOTICES: dict[str, tuple[str, ...]] = {
    "agent_assigned": (
        # (not "客服在线为您服务": a greeting that claims online, no agent named)
        rf"(?:客服|专员|顾问|坐席|工号)(?!\s*在线){NAME}(?:正在)?(?:为您服务|已接入|接入了?(?:会话|对话)|已?加入了?(?:会话|对话)?|接起)",
        rf"会话已被{NAME}接起",
        rf"与\s*{NAME}\s*(?:交流|对话|聊天)中",
        rf"{NAME}\s+has (?:accepted|joined|taken) (?:the|this|your) chat",
        rf"{NAME}\s+joined the (?:chat|conversation)",
    ),
    "queue": (
        r"前面还有|前方还有|前面有|排队人数|排队位置|排在第|当前排队|排队中|正在排队",
        r"queue position|in the queue|people ahead of you|waiting in line",
    ),
    "transfer": (r"(?:正在)?(?:为您)?转接(?:中|人工)?|已被?转接", r"transferr(?:ing|ed) (?:you|the chat|to)"),
    "no_agent": (
        r"(?:暂时|暂无|当前|目前|现在)?(?:没有|无)(?:人工)?客服",
        r"客服(?:已|都)?(?:下班|离线|不在线|不在)|(?:已|现在是)下班",
        r"非(?:工作|服务|营业)时间|不在(?:工作|服务|营业)时间|请(?:您)?留言",
        r"no (?:agents?|operators?|one) (?:is |are )?(?:online|available)",
        r"(?:we are|we're) (?:offline|away|closed)|leave (?:us )?a message",
    ),
    "session": (
        r"会话(?:已)?(?:结束|关闭|创建|开始)|对话(?:已)?(?:结束|关闭)",
        r"(?:chat|conversation) (?:has )?(?:ended|closed|started)",
        r"以[上下]是?(?:历史|聊天)(?:消息|记录)|(?:没有)?更多(?:历史)?消息|加载中|loading",
    ),
    "typing": (r"正在输入|输入中|is typing|are typing",),
    # a line that only says our message was read (对方已读, Seen 14:05): never a reply
    "read": (r"^\W*(?:对方)?已读\W*$", r"^\W*(?:read|seen)(?:\W+[0-9]{1,2}:[0-9]{2})?\W*$"),
    "survey": (
        r"请对(?:我的|本次|我们的)?服务(?:做出|进行)?评价|满意度(?:评价|调查)",
        r"rate (?:this|our|the) (?:chat|conversation|service)",
    ),
}
SYSTEM_LINES = {category: re.compile("|".join(words), re.IGNORECASE) for category, words in NOTICES.items()}
# Words that only say an agent is away or off duty (an honest offline claim mid-chat).
NO_AGENT = SYSTEM_LINES["no_agent"]


DATE = re.compile(r"[0-9]{4}[-/.年][0-9]{1,2}|[0-9]{1,2}月[0-9]{1,2}[日号]|昨天|今天|前天|星期.|周[一二三四五六日天]")


def timestamp_only(text: str) -> bool:
    """A time or date separator ("14:05", "昨天 09:12", "2026-12-04"): nothing else."""
    return bool(TIME_LABEL.search(text) or DATE.search(text)) and bool(DECORATION.fullmatch(text))


def system_line(text: str, *, bubble: bool) -> str | None:
    """What kind of notice `text` is, or None when it could be someone's message (`bubble`:
    the widget drew it as a message, not as a line of its own)."""
    if SYSTEM_LINES["read"].search(text):
        return "read"  # before times: "Seen 14:05" says more than the time
    if timestamp_only(text):
        return "time"
    if len(text) > (MAX_BUBBLE_NOTICE_CHARS if bubble else MAX_LINE_CHARS):
        return None
    categories = BUBBLE_NOTICES if bubble else tuple(SYSTEM_LINES)
    return next((category for category in categories if SYSTEM_LINES[category].search(text)), None)


def says_no_agent(text: str) -> bool:
    """The chat says no agent is on duty (暂时没有客服, 已下班, 请留言, ...)."""
    return len(text) <= MAX_LINE_CHARS * 2 and bool(NO_AGENT.search(text))


# A place in a queue, as widgets say it: 您前面还有 3 位, 前方 3 人, 排队中 3, 当前排队人数：5, 您排在第 2 位,
# "3 people ahead of you", "queue position: 3". Chinese numerals up to ten too (前面还有三位).
CHINESE_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
QUEUE_PLACE = re.compile(
    r"(?:前面还有|前方还有|前面有|前方|排在第|排队人数|排队位置|当前排队|排队中)[^0-9一二两三四五六七八九十]{0,6}"
    r"(?P<zh>[0-9]{1,4}|[一二两三四五六七八九十])\s*(?:位|人|名|个)?"
    r"|(?P<en>[0-9]{1,4})\s*(?:people|persons?|users?|customers?|visitors?) (?:are )?ahead"
    r"|queue position\D{0,3}(?P<position>[0-9]{1,4})",
    re.IGNORECASE,
)


def queue_place(text: str) -> int | None:
    """The place in a queue a line claims (how many are ahead), or None when it claims none."""
    if len(text) > MAX_LINE_CHARS * 2:
        return None
    found = QUEUE_PLACE.search(text)
    if found is None:
        return None
    said = found.group("zh") or found.group("en") or found.group("position")
    return int(said) if said.isdigit() else CHINESE_DIGITS[said]


def announces_agent(text: str) -> bool:
    """The chat announces a person: an agent assigned, or a transfer to one under way."""
    return len(text) <= MAX_LINE_CHARS and bool(
        SYSTEM_LINES["agent_assigned"].search(text) or SYSTEM_LINES["transfer"].search(text)
    )


# A read mark, as widgets write it beside our bubble or as a line of its own; a sent or
# delivered tick (已送达, ✓, Delivered) says nothing about reading.
READ = re.compile(r"(?<!未)已读|\bread\b|\bseen\b", re.IGNORECASE)
UNREAD = re.compile(r"未读|\bunread\b", re.IGNORECASE)


def says_read(decoration: str) -> bool:
    """What a widget put around our message says it was read (已读, 对方已读, Read, Seen)."""
    return bool(READ.search(decoration)) and not UNREAD.search(decoration)


@dataclass(frozen=True)
class ReadRule:
    """How a platform shows our message read (chat.read): a selector of the read marker in or
    next to our bubble, or the words it writes (`text=已阅`); neither: the defaults (已读 / 对方已读
    / Read / Seen in or beside the bubble or as a line of its own, and the markers the observer
    reports: a class named read or seen, a title or label saying so).

    Each answer is how the read showed (`text=已读`, `.msg-status--seen`, `[title="Seen"]`),
    kept as evidence and printed for a file that does not say it yet; None: not read."""

    selector: str | None = None
    words: tuple[str, ...] = ()

    @classmethod
    def of(cls, read: str | None) -> ReadRule:
        """The rule a platform file's chat.read says (None: the defaults)."""
        if read and read.startswith(READ_WORDS):
            return cls(words=(read.removeprefix(READ_WORDS).strip(),))
        return cls(selector=read)

    @property
    def word_forms(self) -> tuple[str, ...]:
        """What the platform's words may put around our message: each word, and its unread
        form where it has the usual one (已阅: 未阅)."""
        return tuple(form for word in self.words for form in (word, *(["未" + word[1:]] if word[0] == "已" else [])))

    def bubble(self, decoration: str, marks: list[list[str]]) -> str | None:
        """Our bubble, with the `decoration` around our text and the observer's `marks` of it
        ([word, selector] pairs): how it says read, if it does."""
        if self.selector:
            return self.selector if any(word == "read" for word, _ in marks) else None
        if self.words:
            return next((f"text={word}" for word in self.words if word in decoration), None)
        said = " ".join([decoration, *(word for word, _ in marks)])
        if UNREAD.search(said):
            return None
        if found := READ.search(decoration):
            return f"text={found.group(0)}"
        return next((by for word, by in marks if by and READ.search(word)), None)

    def line(self, text: str) -> str | None:
        """A line of its own (对方已读, Seen 14:05): how it says our message was read, if it does."""
        if self.selector or len(text) > MAX_LINE_CHARS:
            return None
        if self.words:
            return next((f"text={word}" for word in self.words if word in text), None)
        found = READ.search(text) if system_line(text, bubble=True) == "read" else None
        return f"text={found.group(0)}" if found else None
