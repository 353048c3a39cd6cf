"""A flood of replies through the conversation core: the cost per message must not grow with
the conversation (issue 12: 5,000 messages in 2 s used to never finish).

    .venv/bin/python bench/flood.py              # 1,000 / 5,000 / 20,000 messages, median of 3
    .venv/bin/python bench/flood.py --sizes 5000 --runs 5

Prints, per size, the median seconds to observe and classify every message live and then
judge the probe, and the microseconds per message. Two texts: one that repeats (digits
aside, the same template) and one worded afresh each time (every reply a new key).
"""

from __future__ import annotations

import argparse
import statistics
import time

from watchdog.config import Handoff
from watchdog.probe.conversation import Conversation
from watchdog.records import ProbeRecord
from watchdog.store.templates import TemplateIndex

ORIGIN = 1_763_800_000_000.0
QUESTION = "你好，请问你们的话费充值一般多久到账？如果充值失败了怎么退款？"
WORDS = "充值到账退款卡密发货订单客服稍等查询处理核实系统通知状态更新支付宝微信话费点卡游戏"


def repeated(n: int) -> str:
    return f"系统通知第{n}条：您的订单状态已更新，编号{100000 + n * 7919}"


def fresh(n: int) -> str:
    return "".join(WORDS[(n * 7 + i * (n % 13 + 1)) % len(WORDS)] for i in range(24)) + str(n)


def flood(size: int, text) -> float:
    probe = ProbeRecord("p", "x", "2026-11-23T00:00:00.000Z", question=QUESTION, max_wait_s=600)
    talk = Conversation(probe, Handoff(), TemplateIndex.in_memory())
    talk.page_loaded(ORIGIN)
    started = time.perf_counter()
    talk.sending(QUESTION, ORIGIN + 4000)
    talk.observe({"type": "message", "id": 0, "at": ORIGIN + 4030, "text": QUESTION, "side": "visitor"})
    talk.question_sent(0.0)
    for n in range(size):
        event = {"type": "message", "id": n + 1, "at": ORIGIN + 5000 + n * 0.4, "text": text(n), "side": "platform"}
        talk.observe(event)
        talk.next_step(1.0)
    talk.finish(None)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{'texts':<9} {'messages':>9} {'median s':>9} {'µs/message':>11}")
    for name, text in (("repeated", repeated), ("fresh", fresh)):
        for size in args.sizes:
            median = statistics.median(flood(size, text) for _ in range(args.runs))
            print(f"{name:<9} {size:>9} {median:>9.2f} {median / size * 1e6:>11.0f}")


if __name__ == "__main__":
    main()
