#!/usr/bin/env python3
"""An LHC operator who reads and never answers (已读不回), for the lab's read-receipt case.

Online (heartbeat) like ../shared/labs/lhc/operator.py, whose REST and web-session classes it
uses; each chat that turns up pending is opened in the back office --delay seconds later, as an
operator clicking it does: LHC marks the visitor's messages seen (del_st 3) and the widget's
tick turns "Seen". Nobody ever answers.

    python3 tests/labs/lhc/reader.py --delay 8 --max-seconds 200
"""

import argparse
import importlib.util
import os
import sys
import time

LABS = os.environ.get("WATCHDOG_LABS", os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "shared", "labs"))


def operator_module():
    spec = importlib.util.spec_from_file_location("lhc_operator", os.path.join(LABS, "lhc", "operator.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--delay", type=float, default=8.0, help="seconds from seeing a chat to opening it")
    parser.add_argument("--max-seconds", type=float, default=200.0)
    parser.add_argument("--base", default="http://127.0.0.1:8081/index.php/")
    args = parser.parse_args()
    lhc = operator_module()
    api = lhc.LHC(args.base, "operator1", "opkey-0123456789abcdef")
    me = int(api.me()["id"])
    api.set_online(True)
    api.heartbeat(me)
    web = lhc.WebSession(args.base, "operator1", "OperPass123")
    seen = {int(chat["id"]) for chat in api.chats(0)}  # pending before we started: not ours
    due: dict[int, float] = {}
    began = last_beat = time.time()
    while time.time() - began < args.max_seconds:
        now = time.time()
        if now - last_beat > 30:
            api.heartbeat(me)
            last_beat = now
        for chat in api.chats(0):
            if int(chat["id"]) not in seen:
                seen.add(int(chat["id"]))
                due[int(chat["id"])] = now + args.delay
        for chat_id, when in list(due.items()):
            if when <= now:
                web.open_chat(chat_id)
                print(time.strftime("%H:%M:%S"), f"chat #{chat_id} opened: its messages seen", flush=True)
                del due[chat_id]
        time.sleep(0.5)


if __name__ == "__main__":
    sys.exit(main())
