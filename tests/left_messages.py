"""Follow-ups (留言 / 工单) written through the store as a probe and the mailbox write them, at
times counted back from now: small databases for the tests of what is published of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from watchdog.config import Chat, Platform
from watchdog.followups import record_reply, settle, tagged
from watchdog.records import FollowUp, FollowUpState, FormField, FormProblem, Outcome, ProbeRecord, State
from watchdog.store import Store

ADDRESS = "watchdog@watchdog.test"
QUESTION = "你好，请问你们的话费充值一般多久到账？如果充值失败了怎么退款？"
FIELDS = [
    FormField("您的称呼", "name", True, "kefu-watchdog"),
    FormField("邮箱", "email", True, ""),  # our tagged address goes here
    FormField("手机号", "phone", False, ""),
    FormField("留言内容", "message", True, QUESTION),
]


def add_platform(store: Store, slug: str = "shop", name: str = "话费卡盟") -> None:
    store.save_platform(Platform(slug, name, f"https://{slug}.example/", Chat(input="textarea"), f"probes/{slug}.toml"))


def add_probe(store: Store, probe_id: str, platform: str, started: datetime) -> None:
    """The probe that found the chat offline and left the message."""
    stamp = started.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    store.start_probe(ProbeRecord(probe_id, platform, stamp, state=State.FINISHED, outcome=Outcome.OFFLINE_DECLARED))


def leave(
    store: Store,
    tag: str,
    *,
    platform: str = "shop",
    hours_ago: float = 30.0,
    replies: tuple[tuple[float, str, str], ...] = (),
    promise_h: float | None = None,
    problem: FormProblem | None = None,
    detail: str = "",
    screenshot: str | None = None,
    probe_id: str | None = None,
    now: datetime | None = None,
) -> FollowUp:
    """A message left `hours_ago` on the platform's form (or, with `problem`, not left), with
    its probe (or of the probe `probe_id`, stored already); each reply (hours after it was
    left, kind, text) stored as the mailbox stores it, and the follow-up settled as of `now`."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)  # as mails are timed
    submitted = now - timedelta(hours=hours_ago)
    address = tagged(ADDRESS, tag)
    follow_up = FollowUp(
        tag,
        probe_id or f"probe-{len(store.follow_ups()) + 1}",
        platform,
        f"https://{platform}.example/",
        address,
        submitted,
        FollowUpState.NOT_LEFT if problem else FollowUpState.PENDING,
        form_url=f"https://{platform}.example/liuyan",
        form_fields=[FormField(f.label, f.kind, f.required, address if f.kind == "email" else f.value) for f in FIELDS],
        confirmation="" if problem else "留言成功！我们将在24小时内回复您。",
        screenshot=screenshot,
        promise_h=promise_h,
        promise="24小时内回复" if promise_h == 24 else "",
        problem=problem,
        detail=detail,
    )
    if probe_id is None:
        add_probe(store, follow_up.probe_id, platform, submitted)
    store.start_follow_up(follow_up)
    if problem:
        return follow_up
    for number, (after_h, kind, text) in enumerate(replies):
        received = submitted + timedelta(hours=after_h)
        record_reply(follow_up, kind, received)
        reply = {
            "message_id": f"<{tag}.{number}@mail.{platform}.example>",
            "received_at": received.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "sender": f"kefu@{platform}.example",
            "subject": "回复：售前咨询",
            "text": text,
            "kind": kind,
            "reason": "a person's answer" if kind == "human" else "an automatic receipt's words (已收到您的留言)",
        }
        store.add_reply(follow_up, reply)
    if settle(follow_up, now) != FollowUpState.PENDING:
        store.save_follow_up(follow_up)
    return follow_up
