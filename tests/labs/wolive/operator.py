#!/usr/bin/env python3
"""The agent (客服) of the wolive lab (来客PHP在线客服系统, ../RECIPE.md), standard library only.

It works as the agent's back office does: the agent's page is logged in (the service_token
cookie a login sets), and it holds wolive's push connection (workerman, Pusher protocol 7 over a
websocket) subscribed to the agent's channels kefuN / udN / allB. Subscribing kefuN is what makes
wolive count the agent online (the pusher's channel hook -> admin/event: state online); closing
the connection makes it offline again. Visitor messages arrive on kefuN as cu-event, at once.

  python3 operator.py --delay 20           # online; answer each new visitor's first message after 20 s
  python3 operator.py --mode none          # online, never answers
  python3 operator.py --mode bot --per-message
                                           # the FAQ robot (常见问题) answers every visitor message
  python3 operator.py --offline            # 下班: off-duty dialog on, every agent offline, exit
  python3 operator.py --setup --host-dir /work/labs/wolive/host
                                           # generate the 浮层 embed (admin 接入) and the shop page
  --duration S: exit after S seconds (0 = run until killed).

Each run first puts the business in the state its mode needs (admin pages' own endpoints):
off-duty dialog (下班设置) off except --offline, FAQ entries shown only in bot mode.
"""

import os
import sys

# This file is called operator.py, which shadows the stdlib module "operator" for any script run
# from this directory. Drop our own directory from sys.path before importing anything else.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.getcwd()) != _HERE]

import argparse  # noqa: E402
import base64  # noqa: E402
import hashlib  # noqa: E402
import http.cookiejar  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import select  # noqa: E402
import socket  # noqa: E402
import struct  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.parse  # noqa: E402
import urllib.request  # noqa: E402

# A human agent's answers: the one whose words the visitor's question has (the probe asks one
# of the standard pre-sales questions), else a general one.
HUMAN_ANSWERS = [
    (("点卡", "卡密", "发货"), "您好，游戏点卡付款后卡密是自动发货的，一般1分钟内就能在订单详情里看到卡密。"),
    (("已使用", "找谁"), "您好，充值卡显示已使用的话，您把卡号和订单截图发给我，我马上帮您联系供货商核实处理。"),
    (("付款方式", "支付"), "您好，我们支持微信、支付宝和银行卡付款，充值不到账的话1到3个工作日原路退回。"),
    (("话费", "到账", "退款"), "您好，话费充值一般1到3分钟到账，如果充值失败会原路退款，1到3个工作日退回。"),
]
HUMAN_DEFAULT = "您好，充值一般1到3分钟到账，如果没到可以联系我们退款。"
BOT_TEXT = "我是智能助手，请描述您的问题。"
# The FAQ (常见问题) of the shop, shown as the robot's menu (我猜你想问的：) in bot mode only. The
# robot's catch-all answer is the entry whose answer is BOT_TEXT (or --text).
FAQ = [
    ("话费充值多久到账？", "充值", "话费充值一般1到3分钟到账，高峰期可能延迟到30分钟。", 3),
    ("充值失败怎么退款？", "退款", "充值失败的订单会在1到3个工作日内原路退款。", 2),
    ("其他问题", "", BOT_TEXT, 1),
]
OFF_DUTY_TEXT = "您好，现在是客服下班时间，请留下您的姓名和联系方式，我们上班后第一时间联系您。"


def log(*parts):
    print(time.strftime("%H:%M:%S"), *parts, flush=True)


def read_install(src):
    """app_key, the cookie salt and the websocket port install.php wrote into public/index.php."""
    text = open(os.path.join(src, "public", "index.php"), encoding="utf-8").read()
    found = dict(re.findall(r"define\('(\w+)',\s*'?([^')]*)'?\);", text))
    return found["app_key"], found["YMWL_SALT"], int(found["wport"])


def md5(text):
    return hashlib.md5(text.encode() if isinstance(text, str) else text).hexdigest()


def cp_encode(data, key, expire=0):
    """Common::cpEncode (application/common.php): the service_token cookie admin/login/check sets."""
    raw = data.encode()
    string = b's:%d:"%s";' % (len(raw), raw)  # PHP serialize() of a string
    key = md5(key)
    keya, keyb = md5(key[:16]), md5(key[16:32])
    keyc = md5(str(time.time()))[-4:]
    cryptkey = (keya + md5(keya + keyc)).encode()
    string = (
        (b"%010d" % (expire + int(time.time()) if expire else 0)) + md5(string + keyb.encode())[:16].encode() + string
    )
    box = list(range(256))
    rndkey = [cryptkey[i % len(cryptkey)] for i in range(256)]
    j = 0
    for i in range(256):
        j = (j + box[i] + rndkey[i]) % 256
        box[i], box[j] = box[j], box[i]
    out = bytearray()
    a = j = 0
    for byte in string:
        a = (a + 1) % 256
        j = (j + box[a]) % 256
        box[a], box[j] = box[j], box[a]
        out.append(byte ^ box[(box[a] + box[j]) % 256])
    return urllib.parse.quote(keyc + base64.b64encode(bytes(out)).decode().replace("=", ""), safe="-_.~")


class Admin:
    """The agent's back office over HTTP, logged in by its service_token cookie (the login form
    itself asks for an image captcha)."""

    def __init__(self, base, user, salt):
        self.base = base.rstrip("/")
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        self.token = cp_encode(user, salt, 7 * 86400)

    def call(self, path, data=None, method=None):
        body = None
        headers = {"Cookie": "service_token=" + self.token, "X-Requested-With": "XMLHttpRequest"}
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded; charset=UTF-8"
        req = urllib.request.Request(self.base + path, data=body, headers=headers, method=method)
        try:
            with self.opener.open(req, timeout=20) as r:
                raw = r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            raw = e.read().decode("utf-8", "replace")
        try:
            return json.loads(raw)
        except ValueError:
            return {"raw": raw[:300]}

    def rest(self, off_duty, reply=OFF_DUTY_TEXT):
        """下班设置 (admin/rest/setting): the off-duty dialog, shown outside the working hours on the
        checked weekdays. Off duty now: working hours that do not hold the present time."""
        hour = time.gmtime(time.time() + 8 * 3600).tm_hour  # wolive's clock: PRC (config.php)
        start, end = (hour + 2) % 24, (hour + 3) % 24
        data = {
            "dialog": "true" if off_duty else "false",
            "start[hour]": "%02d" % start,
            "start[minutes]": "00",
            "off[hour]": "%02d" % end,
            "off[minutes]": "00",
            "week[]": [str(d) for d in range(1, 8)],
            "reply": reply,
            "name_input": "true",
            "tel_input": "true",
        }
        return self.call("/admin/rest/saveSetting", data)

    def save_question(self, question, keyword, answer, sort, shown, qid=0):
        data = {"question": question, "keyword": keyword, "answer": answer, "sort": sort, "status": 1 if shown else 0}
        if qid:
            data["qid"] = qid
        return self.call("/admin/manager/addquestion", data)

    def reply(self, visiter_id, text):
        """What the agent's 发送 posts (admin/set/chats): wolive pushes it to the visitor (my-event)."""
        return self.call("/admin/set/chats", {"visiter_id": visiter_id, "content": text})

    def faq_answer(self, qid, service_id, visiter_id):
        """The FAQ robot's answer (admin/event/getanswer, what a click on the menu posts): wolive
        pushes the entry's answer to the visitor as an agent row without chat id."""
        return self.call("/admin/event/getanswer", {"qid": qid, "service_id": service_id, "visiter_id": visiter_id})


class Push:
    """A Pusher protocol 7 client of wolive's workerman push server, over a bare websocket."""

    def __init__(self, host, port, app_key, origin):
        self.sock = socket.create_connection((host, port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET /app/{app_key}?protocol=7&client=js&version=4.1.0&flash=false HTTP/1.1\r\n"
                f"Host: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("push server closed the handshake")
            head += chunk
        head, self.buffer = head.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(head[:200])
        self.sock.settimeout(None)
        self.last_sent = time.time()

    def send(self, event, data):
        payload = json.dumps({"event": event, "data": data}, separators=(",", ":")).encode()
        self._frame(0x1, payload)

    def ping(self):
        self._frame(0x1, b'{"event":"pusher:ping","data":{}}')  # the exact text the server answers

    def _frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + body)
        self.last_sent = time.time()

    def _need(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("push server closed the connection")
            self.buffer += chunk

    def receive(self, timeout):
        """The next Pusher message ({event, channel, data}) within timeout seconds, or None."""
        if not self.buffer:
            ready, _, _ = select.select([self.sock], [], [], timeout)
            if not ready:
                return None
        message = b""
        while True:
            self._need(2)
            first, second = self.buffer[0], self.buffer[1]
            n, at = second & 0x7F, 2
            if n == 126:
                self._need(4)
                n, at = struct.unpack(">H", self.buffer[2:4])[0], 4
            elif n == 127:
                self._need(10)
                n, at = struct.unpack(">Q", self.buffer[2:10])[0], 10
            if second & 0x80:
                at += 4  # a server never masks; be lenient
            self._need(at + n)
            payload, self.buffer = self.buffer[at : at + n], self.buffer[at + n :]
            opcode = first & 0x0F
            if opcode == 0x8:
                raise ConnectionError("push server sent close")
            if opcode == 0x9:
                self._frame(0xA, payload)
                return None
            if opcode in (0x1, 0x2, 0x0):
                message += payload
                if first & 0x80:
                    break
            else:
                return None
        try:
            got = json.loads(message.decode("utf-8", "replace"))
        except ValueError:
            return None
        data = got.get("data")
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                pass
        got["data"] = data
        return got

    def close(self):
        try:
            self._frame(0x8, b"")
        except OSError:
            pass
        self.sock.close()


def human_answer(question, fixed):
    if fixed:
        return fixed
    for words, answer in HUMAN_ANSWERS:
        if any(w in question for w in words):
            return answer
    return HUMAN_DEFAULT


def strip_html(text):
    return re.sub(r"<[^>]+>", "", text or "").strip()


def setup(admin, base, host_dir):
    """The admin's 接入 page (admin/index/front), 迷你窗口 + 生成js: assets/layer/ymwl_mini1.js,
    and a shop page carrying the code it tells to deploy."""
    # the chat page reads the 下班设置 row (restsetting.reply): a business without one gets a 500
    # there, so it is saved once (off) first
    log("下班设置 saved (closed):", admin.rest(False))
    made = admin.call(
        "/admin/set/createMinjs",
        {
            "isopen": "on",
            "open_delay": "",
            "m_height": "",
            "m_kfbtbg": "#25c16f",
            "theme": "#25c16f",
        },
    )
    log("createMinjs:", made)
    src = re.sub(r"\?v=\d+$", "", made["data"])
    page = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>来客演示商城 - 话费充值 游戏点卡</title>
<style>
  body {{ font-family: "Microsoft YaHei", sans-serif; margin: 0; color: #333; }}
  header {{ background: #25c16f; color: #fff; padding: 18px 32px; font-size: 22px; }}
  main {{ padding: 24px 32px; max-width: 900px; }}
  .goods {{ display: flex; gap: 16px; flex-wrap: wrap; }}
  .item {{ border: 1px solid #ddd; border-radius: 6px; padding: 14px; width: 240px; }}
  .price {{ color: #e4393c; font-size: 18px; }}
  footer {{ padding: 24px 32px; color: #999; font-size: 12px; }}
</style>
</head>
<body>
<header>来客演示商城</header>
<main>
  <h2>话费充值 · 游戏点卡</h2>
  <div class="goods">
    <div class="item"><h3>移动话费 100元</h3><p class="price">￥99.50</p><p>全国通用，快充</p></div>
    <div class="item"><h3>联通话费 50元</h3><p class="price">￥49.80</p><p>全国通用，快充</p></div>
    <div class="item"><h3>游戏点卡 30元</h3><p class="price">￥29.70</p><p>卡密自动发货</p></div>
  </div>
  <p>有问题请点击右侧“在线咨询”。</p>
</main>
<footer>© 来客演示商城（本地实验环境）</footer>
<!-- wolive 接入代码 (admin 接入 page: 迷你窗口, 生成js) -->
<script src="{src}" charset="UTF-8"> </script>
</body>
</html>
"""
    os.makedirs(host_dir, exist_ok=True)
    with open(os.path.join(host_dir, "index.html"), "w", encoding="utf-8") as f:
        f.write(page)
    log("shop page written:", os.path.join(host_dir, "index.html"), "embed", src)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default="http://127.0.0.1:8091", help="wolive (admin, events)")
    ap.add_argument("--src", default="/work/labs/wolive/src", help="the installed source (public/index.php)")
    ap.add_argument("--user", default="kefu1", help="the agent's user name")
    ap.add_argument("--service-id", type=int, default=1)
    ap.add_argument("--business-id", type=int, default=1)
    ap.add_argument(
        "--mode",
        choices=["human", "operator", "bot", "none"],
        default="human",
        help="human (= operator): the agent answers; bot: the FAQ robot; none: online, silent",
    )
    ap.add_argument(
        "--delay", type=float, default=None, help="seconds from the visitor's message to the answer (human 3, bot 1)"
    )
    ap.add_argument("--text", default=None, help="the answer (human: by the question; bot: " + BOT_TEXT + ")")
    ap.add_argument(
        "--per-message", action="store_true", help="answer every visitor message, not a visitor's first only"
    )
    ap.add_argument("--offline", action="store_true", help="off duty: 下班 dialog on, every agent offline; then exit")
    ap.add_argument("--duration", type=float, default=0, help="exit after this many seconds (0: run until killed)")
    ap.add_argument("--setup", action="store_true", help="generate the 浮层 embed JS and the shop page, then exit")
    ap.add_argument("--host-dir", default="/work/labs/wolive/host")
    a = ap.parse_args()
    mode = "human" if a.mode == "operator" else a.mode
    delay = a.delay if a.delay is not None else (1.0 if mode == "bot" else 3.0)
    t0 = time.time()

    app_key, salt, wport = read_install(a.src)
    admin = Admin(a.base, a.user, salt)
    host = urllib.parse.urlparse(a.base).hostname

    if a.setup:
        setup(admin, a.base, a.host_dir)
        return

    # the business as this mode needs it: 下班 dialog, FAQ entries shown in bot mode only
    log("下班设置 off duty" if a.offline else "下班设置 closed", admin.rest(a.offline))
    faq = ensure_faq(a, admin, shown=(mode == "bot" and not a.offline))
    if a.offline:
        # the agent is offline once no page of theirs holds the push connection (the pusher's
        # channel hook sets wolive_service.state offline): this script holds none now
        log("off duty: no agent connection held; exiting" if not a.duration else "off duty; holding no connection")
        while a.duration and time.time() - t0 < a.duration:
            time.sleep(1)
        return

    sid, bid = a.service_id, a.business_id

    def connect():
        """The agent's page's push connection: channels udN, allB and kefuN (the one that counts)."""
        while True:
            try:
                push = Push(host, wport, app_key, a.base)
                for channel in (f"ud{sid}", f"all{bid}", f"kefu{sid}"):
                    push.send("pusher:subscribe", {"channel": channel})
                return push
            except OSError as e:
                log("push server not reachable:", e)
                time.sleep(1)

    push = connect()
    log(
        f"agent {a.user} (service {sid}) online: subscribed kefu{sid}; mode {mode}, delay {delay}s,",
        "per message" if a.per_message else "first message of each visitor",
    )
    bot_qid = faq.get(FAQ[-1][0]) if mode == "bot" else None

    answered = set()  # visitors answered (first-message mode)
    due = []  # (when, visiter_id, question)
    while True:
        now = time.time()
        if a.duration and now - t0 >= a.duration:
            break
        try:
            if now - push.last_sent > 20:
                push.ping()
            got = push.receive(0.2)
        except OSError as e:  # ConnectionError included: the push server restarted
            log("push connection lost:", e)
            push.sock.close()
            push = connect()
            continue
        if got and got.get("event") == "cu-event" and got.get("channel") == f"kefu{sid}":
            message = (got.get("data") or {}).get("message") or {}
            visitor = message.get("visiter_id")
            text = strip_html(message.get("content"))
            # a message the visitor typed (admin/event/chat pushes it before it sets "direction");
            # one with "direction" is wolive's own echo of a FAQ question (getanswer: the robot's
            # answer is already on its way) or a product card: no one answers those
            if visitor and "direction" not in message:
                log(f"visitor {visitor}: {text!r}")
                if mode != "none" and (a.per_message or visitor not in answered):
                    answered.add(visitor)
                    due.append((time.time() + delay, visitor, text))
        elif got and got.get("event") not in (None, "pusher:pong"):
            log("push:", got.get("event"), got.get("channel"))
        still = []
        for when, visitor, question in due:
            if when > time.time():
                still.append((when, visitor, question))
                continue
            if mode == "bot":
                r = admin.faq_answer(bot_qid, sid, visitor)
                log(f"robot -> {visitor} (FAQ #{bot_qid}):", json.dumps(r, ensure_ascii=False)[:120])
            else:
                text = human_answer(question, a.text)
                r = admin.reply(visitor, text)
                log(f"agent -> {visitor}: {text!r}", json.dumps(r, ensure_ascii=False)[:120])
        due = still
    push.close()


def ensure_faq(a, admin, shown):
    """The shop's FAQ entries (常见问题设置: admin/manager/addquestion), shown or hidden; their qids."""
    text = a.text or BOT_TEXT
    entries = [(q, k, (text if i == len(FAQ) - 1 else ans), s) for i, (q, k, ans, s) in enumerate(FAQ)]
    known = faq_ids(admin)
    for question, qid in known.items():  # entries of an older FAQ list: the admin's 删除
        if question not in [e[0] for e in entries]:
            admin.call("/admin/manager/felete", {"qid": qid})
    for question, keyword, answer, sort in entries:
        r = admin.save_question(question, keyword, answer, sort, shown, known.get(question, 0))
        if r.get("code") != 0:
            log("FAQ entry not saved:", question, r)
    known = faq_ids(admin)
    log("FAQ", "shown" if shown else "hidden", known)
    return known


def faq_ids(admin):
    """{question: qid} read from the FAQ page (admin/index/question: a table row per entry, its
    question in the first cell, its qid in the edit link show(qid))."""
    req = urllib.request.Request(
        admin.base + "/admin/index/question", headers={"Cookie": "service_token=" + admin.token}
    )
    with admin.opener.open(req, timeout=20) as r:
        page = r.read().decode("utf-8", "replace")
    ids = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        cell = re.search(r"<td[^>]*>(.*?)</td>", row, re.S)
        qid = re.search(r"show\((\d+)\)", row)
        if cell and qid:
            ids[strip_html(cell.group(1))] = int(qid.group(1))
    return ids


if __name__ == "__main__":
    main()
