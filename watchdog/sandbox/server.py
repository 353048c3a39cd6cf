"""The sandbox server: simulated 卡盟 sites with chat widgets of known behaviour.

A plain ASGI app served by uvicorn on 127.0.0.1. Pages and the widget only ever get what a
real platform would send (text, sender name, a bot class where the platform marks bots);
what each message really was, and when the widget showed it, stays here and is served at
/truth for tests and accuracy runs.
"""

from __future__ import annotations

import asyncio
import html
import json
import random
import secrets
import time
import urllib.parse
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from ..serving import ServerThread
from ..timescale import to_real_seconds, to_simulated_seconds
from .mail import MailDesk
from .scenarios import SERVED, Line, Scenario

# The vendor's embed builds its launcher and status this long after the page loaded.
VENDOR_DELAY_MS = 700
LATE_LOADER_MS = 1500  # the late loader builds its launcher this long after the page loaded
Send = Any  # ASGI callables
Receive = Any


@dataclass
class Session:
    id: str
    scenario: Scenario
    page: str
    opened_at: float
    rng: random.Random
    # One simulated timeline per session, anchored at the chat opening and then at our first
    # message: replies to later messages are placed on it, as the probe's clock reads it.
    anchor: float = field(default_factory=time.monotonic)
    events: asyncio.Queue = field(default_factory=asyncio.Queue)
    messages: list[dict] = field(default_factory=list)
    visitor_messages: int = 0
    handed_off: bool = False

    def truth(self) -> dict:
        return {
            "session": self.id,
            "platform": self.scenario.slug,
            "page": self.page,
            "opened_at": self.opened_at,
            "messages": self.messages,
        }


class SandboxApp:
    def __init__(
        self,
        scenarios: tuple[Scenario, ...] = SERVED,
        time_scale: float = 1.0,
        seed: int | None = None,
        lmtp: tuple[str, int] | None = None,
    ):
        self.scenarios = {s.slug: s for s in scenarios}
        self.time_scale = time_scale
        self.seed = seed  # None: nominal delays; a number: delays varied, reproducibly
        self.sessions: dict[str, Session] = {}
        self.mail = MailDesk(lmtp)  # the forms' answers by e-mail
        self.scripts = {
            name: (resources.files("watchdog.sandbox") / name).read_bytes()
            for name in ("widget.js", "vendor.js", "fab.js", "quickkf.js")
        }

    async def __call__(self, scope: dict, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        parts = [p for p in scope["path"].split("/") if p]
        method = scope["method"]
        if not parts:
            return await _respond(send, 200, self._index(), "text/html; charset=utf-8")
        if len(parts) == 1 and parts[0] in self.scripts:
            return await _respond(send, 200, self.scripts[parts[0]], "text/javascript")
        if parts == ["truth"]:
            body = json.dumps(self.truth(), ensure_ascii=False)
            return await _respond(send, 200, body, "application/json")
        scenario = self.scenarios.get(parts[1]) if len(parts) > 1 else None
        if scenario is None:
            return await _respond(send, 404, "not found", "text/plain")
        if parts[0] == "p" and len(parts) == 2:
            if scenario.http_status != 200:
                return await _respond(send, scenario.http_status, "服务暂时不可用", "text/plain; charset=utf-8")
            return await _respond(send, 200, self._page(scenario, scope), "text/html; charset=utf-8")
        if parts[0] == "p" and parts[2:] in (["chat"], ["window"]):
            return await _respond(send, 200, self._chat_frame(scenario), "text/html; charset=utf-8")
        if parts[0] == "p" and parts[2:] == ["help"]:
            return await _respond(send, 200, _help_page(scenario), "text/html; charset=utf-8")
        if parts[0] == "p" and parts[2:] == ["ticket"] and scenario.leave is not None:
            if method == "POST":
                posted = urllib.parse.parse_qs((await _body(receive)).decode(), keep_blank_values=True)
                labels = {f"f{i}": label for i, (label, _, _) in enumerate(scenario.leave.fields)}
                said = self.mail.left(scenario, {labels[k]: v[0] for k, v in posted.items() if k in labels})
                return await _respond(send, 200, _document(scenario.name, f"<p class=notice>{html.escape(said)}</p>"),
                                      "text/html; charset=utf-8")  # fmt: skip
            return await _respond(send, 200, _ticket_page(scenario), "text/html; charset=utf-8")
        if parts[0] == "api" and len(parts) == 3:
            if parts[2] == "events" and method == "GET":
                return await self._events(scope, receive, send)
            if method == "POST":
                payload = json.loads(await _body(receive) or b"{}")
                answer = self._api(scenario, parts[2], payload)
                return await _respond(send, 200, json.dumps(answer), "application/json")
        return await _respond(send, 404, "not found", "text/plain")

    # -- the chat API ----------------------------------------------------------------

    def _api(self, scenario: Scenario, action: str, payload: dict) -> dict:
        if action == "open":
            # Each platform's n-th session draws the same texts and delays for the same seed.
            number = sum(1 for s in self.sessions.values() if s.scenario is scenario)
            rng = random.Random(f"{self.seed}/{scenario.slug}/{number}")
            opened = Session(secrets.token_hex(6), scenario, payload.get("page", ""), time.time(), rng)
            self.sessions[opened.id] = opened
            self._schedule(opened, scenario.greeting)
            return {"session": opened.id}
        if action == "leave" and scenario.leave is not None:
            fields = payload.get("fields", {})
            return {"said": self.mail.left(scenario, {str(k): str(v) for k, v in fields.items()})}
        session = self.sessions.get(payload.get("session", ""))
        if session is None:
            return {"error": "no such session"}
        if action == "send":
            session.messages.append(
                {
                    "id": f"v{payload.get('client_id')}",
                    "side": "visitor",
                    "kind": "visitor",
                    "text": payload.get("text", ""),
                    "sent_at": time.time(),
                    "shown_at": payload.get("shown_at"),
                }
            )
            if session.visitor_messages == 0:
                session.anchor = time.monotonic()
                self._schedule_receipt(session, f"v{payload.get('client_id')}")
            lines, session.handed_off = scenario.answer(
                payload.get("text", ""), session.visitor_messages, session.handed_off
            )
            session.visitor_messages += 1
            self._schedule(session, lines)
            return {"ok": True}
        if action == "shown":  # a message shown, or our question's receipt (read_at, delivered_at)
            moment = f"{payload['receipt']}_at" if payload.get("receipt") in ("read", "delivered") else "shown_at"
            for message in session.messages:
                if message["id"] == payload.get("id"):
                    message[moment] = payload.get("shown_at")
            return {"ok": True}
        return {"error": "unknown action"}

    def _schedule(self, session: Session, lines: tuple[Line, ...]) -> None:
        loop = asyncio.get_running_loop()
        jitter = 1.0 if self.seed is None else session.rng.uniform(0.8, 1.2)  # one draw: keeps order
        elapsed = time.monotonic() - session.anchor
        now = to_simulated_seconds(elapsed, self.time_scale)

        def after(simulated_delay_s: float) -> float:  # real seconds from now
            return max(0.0, to_real_seconds(now + simulated_delay_s, self.time_scale) - elapsed)

        for line in lines:
            text = line.compose(session.rng)
            if line.typing_s:
                loop.call_later(
                    after(max(0.0, line.delay_s - line.typing_s) * jitter),
                    session.events.put_nowait,
                    {"type": "typing"},
                )
            loop.call_later(after(line.delay_s * jitter), self._emit, session, line, text)

    def _schedule_receipt(self, session: Session, question_id: str) -> None:
        """Our question marked (read, or only delivered) when the scenario says, after it arrived."""
        if session.scenario.receipt is None:
            return
        how, delay_s = session.scenario.receipt
        state = "delivered" if how == "delivered" else "read"
        event = {"type": "receipt", "id": question_id, "state": state}
        real_s = to_real_seconds(delay_s, self.time_scale)  # not varied: the session's draws stay as they were
        asyncio.get_running_loop().call_later(real_s, session.events.put_nowait, event)

    def _emit(self, session: Session, line: Line, text: str) -> None:
        message_id = f"p{sum(1 for m in session.messages if m['side'] == 'platform') + 1}"
        session.messages.append(
            {
                "id": message_id,
                "side": "platform",
                "kind": line.kind,
                "text": text,
                "sender": line.sender,
                "sent_at": time.time(),
                "shown_at": None,
            }
        )
        session.events.put_nowait(
            {
                "type": "message",
                "id": message_id,
                "text": text,
                "sender": line.sender,
                "marked": line.marked,
                "notice": line.kind == "system",
            }
        )

    async def _events(self, scope: dict, receive: Receive, send: Send) -> None:
        query = dict(p.split("=", 1) for p in scope["query_string"].decode().split("&") if "=" in p)
        session = self.sessions.get(query.get("session", ""))
        if session is None:
            return await _respond(send, 404, "no such session", "text/plain")
        await receive()  # the (empty) request body
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")],
            }
        )
        await send({"type": "http.response.body", "body": b": open\n\n", "more_body": True})
        disconnected = asyncio.ensure_future(receive())
        try:
            while True:
                event = asyncio.ensure_future(session.events.get())
                done, _ = await asyncio.wait({event, disconnected}, return_when=asyncio.FIRST_COMPLETED)
                if disconnected in done:
                    event.cancel()
                    return
                data = json.dumps(event.result(), ensure_ascii=False)
                await send({"type": "http.response.body", "body": f"data: {data}\n\n".encode(), "more_body": True})
        finally:
            disconnected.cancel()

    def truth(self) -> dict:
        return {
            "time_scale": self.time_scale,
            "seed": self.seed,
            "platforms": {
                s.slug: {"name": s.name, "behaviour": s.behaviour, "expected": s.expected, "learned": s.learned}
                for s in self.scenarios.values()
            },
            "sessions": [s.truth() for s in self.sessions.values()],
            "forms": {s.slug: s.leave.expected() for s in self.scenarios.values() if s.leave is not None},
            "left": self.mail.truth,
        }

    # -- pages ---------------------------------------------------------------------------

    def _index(self) -> str:
        items = "".join(f'<li><a href="/p/{s.slug}/">{html.escape(s.name)}</a></li>' for s in self.scenarios.values())
        return _document("kefu-watchdog sandbox", f"<h1>模拟卡盟</h1><ul>{items}</ul>")

    def _widget_config(self, scenario: Scenario) -> str:
        config = {
            "api": f"/api/{scenario.slug}",
            "send": scenario.send,
            "input": "contenteditable" if scenario.shape == "shadow" else "textarea",
            "offline": scenario.status == "offline",
            "rerender": scenario.rerender,
            "receipts": scenario.receipt[0] if scenario.receipt else None,
            "title": f"{scenario.name} 在线客服",
            "leave": _leave_config(scenario),
        }
        return json.dumps(config, ensure_ascii=False)

    def _page(self, scenario: Scenario, scope: dict) -> str:
        name = html.escape(scenario.name)
        shop = (
            f"<h1>{name}</h1><p>游戏点卡 · 话费充值 · 卡密自动发货</p>"
            "<ul><li>腾讯Q币 100元</li><li>移动话费 50元</li><li>网易一卡通 30元</li></ul>"
        )
        status_word = "在线" if scenario.status == "online" else "离线"
        config = self._widget_config(scenario)
        if scenario.shape == "vendor":
            options = {
                "api": f"/api/{scenario.slug}",
                "online": scenario.status == "online",
                "delay_ms": VENDOR_DELAY_MS,
                "title": f"{scenario.name} 客服",
                "leave": _leave_config(scenario),
            }
            body = (
                f'{shop}<script src="/vendor.js"></script>'
                f"<script>startVendorChat({json.dumps(options, ensure_ascii=False)});</script>"
            )
            return _document(scenario.name, body)
        if scenario.shape == "fab":
            options = {"api": f"/api/{scenario.slug}", "title": f"{scenario.name} 客服"}
            script = f"<script>ChatWave({json.dumps(options, ensure_ascii=False)});</script>"
            return _document(scenario.name, f'{shop}<script src="/fab.js"></script>{script}')
        if scenario.shape == "quickkf":
            options = {
                "api": f"/api/{scenario.slug}",
                "online": scenario.status == "online",
                "title": f"{scenario.name} 客服",
                "agent": "客服小美",
            }
            script = f"<script>QuickKF({json.dumps(options, ensure_ascii=False)});</script>"
            return _document(scenario.name, f'{shop}<script src="/quickkf.js"></script>{script}')
        if scenario.shape == "late-iframe":
            return _document(scenario.name, shop + _late_iframe_loader(scenario, scope, status_word))
        if scenario.shape == "no-chat":
            return _document(scenario.name, _search_bar() + shop + _help_links(scenario) + _hotline())
        if scenario.shape == "popup":
            query = scope["query_string"].decode()
            src = f"/p/{scenario.slug}/window" + (f"?{query}" if query else "")
            link = (
                f'<a id="kf-link" href="{html.escape(src)}">在线客服 {status_word}</a><script>'
                "document.getElementById('kf-link').onclick = (event) => { event.preventDefault();"
                " window.open(event.currentTarget.href, 'kefu', 'width=420,height=560'); };</script>"
            )
            return _document(scenario.name, shop + link)
        if scenario.shape == "iframe":
            query = scope["query_string"].decode()
            src = f"/p/{scenario.slug}/chat" + (f"?{query}" if query else "")
            icon = "on" if scenario.status == "online" else "off"
            body = (
                f'{shop}<div class="kefu"><i id="kf-icon" class="{icon}"></i> 客服{status_word}'
                f'<iframe class="kf" src="{html.escape(src)}"></iframe></div>'
            )
            return _document(scenario.name, body)
        # The decoy's entry is a floating image link of its own making; the others a button.
        entry, panel = (".float-kf", ".float-panel") if scenario.shape == "decoy" else ("#kefu-btn", "#kefu-panel")
        if scenario.broken:
            mount = "window.kefu.open();"
        elif scenario.shape == "shadow":
            mount = (
                "const host = document.createElement('kefu-widget'); document.getElementById('kefu').append(host);"
                f" mountKefuWidget(host.attachShadow({{mode: 'open'}}), {config});"
            )
        else:
            mount = f"mountKefuWidget(document.querySelector('{panel}'), {config});"
        opener = f"document.querySelector('{entry}').onclick = () => {{ {mount} }};"
        if scenario.shape == "decoy":
            # A help-centre link that says 客服 but is an article, and the real chat behind a
            # floating image whose alt text alone names it.
            body = (
                _help_links(scenario)
                + shop
                + (
                    '<div class="float" style="position:fixed;right:12px;top:40%"><a class="float-kf" '
                    'href="javascript:;"><img width="48" height="48" alt="在线客服" src="data:image/svg+xml,'
                    "%3Csvg xmlns='http://www.w3.org/2000/svg' width='48' height='48'%3E%3Ccircle cx='24' cy='24' "
                    f"r='22' fill='%2316a34a'/%3E%3C/svg%3E\"></a><span class=\"tip\">客服{status_word}</span>"
                    '<div class="float-panel"></div></div>'
                )
            )
        else:
            body = (
                f'{shop}<div id="kefu"><span id="kefu-status">{status_word}</span>'
                '<button id="kefu-btn">联系客服</button><div id="kefu-panel"></div></div>'
            )
        return _document(scenario.name, f'{body}<script src="/widget.js"></script><script>{opener}</script>')

    def _chat_frame(self, scenario: Scenario) -> str:
        body = (
            '<div id="root"></div><script src="/widget.js"></script>'
            f"<script>mountKefuWidget(document.getElementById('root'), "
            f"{self._widget_config(scenario)});</script>"
        )
        return _document(f"{scenario.name} 客服", body)


STYLE = """body{font-family:"Noto Sans CJK SC","WenQuanYi Zen Hei",sans-serif;margin:2em}
.kefu-chat{border:1px solid #ccc;width:360px;padding:8px;background:#fafafa}
.kefu-head{font-weight:bold;margin-bottom:6px}.msgs{min-height:120px}
.msg{margin:4px 0;padding:4px 8px;border-radius:6px;background:#e8f0fe}
.msg.me{background:#d1f5d3;text-align:right}.msg.robot{background:#eee}
.name{font-size:80%;color:#666;margin-right:6px}.chat-input,.editor{width:260px;min-height:40px;border:1px solid #aaa}
iframe.kf{width:400px;height:420px;border:0;display:block}"""


def _late_iframe_loader(scenario: Scenario, scope: dict, status_word: str) -> str:
    """A loader script that builds its launcher late, and on click an iframe whose id it
    draws afresh at every load (a selector naming that id would never match again)."""
    query = scope["query_string"].decode()
    src = f"/p/{scenario.slug}/chat" + (f"?{query}" if query else "")
    return (
        "<script>setTimeout(() => {"
        " const bar = document.createElement('div'); bar.className = 'lf-bar';"
        " bar.style.cssText = 'position:fixed;right:16px;bottom:16px;background:#fff;padding:6px';"
        f' bar.innerHTML = \'<span class="lf-state">客服{status_word}</span> '
        '<a class="lf-open" href="javascript:;">在线咨询</a>\';'
        " document.body.append(bar);"
        " bar.querySelector('.lf-open').onclick = () => {"
        "  if (document.querySelector('iframe[title]')) return;"
        "  const frame = document.createElement('iframe');"
        "  frame.id = 'lf-' + Math.random().toString(16).slice(2, 10); frame.title = '在线咨询窗口';"
        f"  frame.src = {json.dumps(src)}; frame.style.cssText = 'width:400px;height:420px;border:0';"
        "  document.body.append(frame); };"
        f" }}, {LATE_LOADER_MS});</script>"
    )


def _leave_config(scenario: Scenario) -> dict | None:
    """The form the offline chat draws itself (a 工单 page is the server's: none in the chat)."""
    leave = scenario.leave
    if leave is None:
        return None
    if leave.ticket_page:  # the chat only points there
        return {"ticket": f"/p/{scenario.slug}/ticket"}
    return {"fields": [list(f) for f in leave.fields], "promise": leave.promise}


def _ticket_page(scenario: Scenario) -> str:
    """A 工单 page as a server renders it: a real <form> posted as a page, each field in a row
    whose first cell is its label (starred when required), a topic to choose."""
    assert scenario.leave is not None
    rows = []
    for i, (label, kind, required) in enumerate(scenario.leave.fields):
        star = '<em class="req">*</em>' if required else ""
        need = " required" if required else ""
        if kind == "textarea":
            control = f'<textarea name="f{i}" rows="5"{need}></textarea>'
        elif kind == "select":
            options = "".join(f"<option>{o}</option>" for o in ("请选择", "售前咨询", "售后问题", "投诉建议"))
            control = f'<select name="f{i}"{need}>{options}</select>'
        else:
            control = f'<input type="{kind}" name="f{i}"{need}>'
        rows.append(f"<tr><th>{star}{html.escape(label)}</th><td>{control}</td></tr>")
    body = (
        f"<h1>{html.escape(scenario.name)} · 提交工单</h1><p>{html.escape(scenario.leave.promise)}</p>"
        f'<form class="ticket" method="post"><table>{"".join(rows)}</table>'
        '<input type="submit" value="提交工单"></form>'
    )
    return _document(f"{scenario.name} 工单", body)


def _search_bar() -> str:
    return (
        '<form class="search" action="#"><input type="text" name="q" placeholder="搜索商品">'
        "<button>搜索</button></form>"
    )


def _help_links(scenario: Scenario) -> str:
    help_page = f"/p/{scenario.slug}/help"
    return f'<nav><a href="{help_page}">客服中心</a> · <a class="contact" href="{help_page}">联系我们</a></nav>'


def _hotline() -> str:
    return "<footer>客服热线 400-800-1234（9:00-21:00） 客服邮箱 help@example.com</footer>"


def _help_page(scenario: Scenario) -> str:
    """The help centre the decoy links lead to: an article and a search box, no chat."""
    body = (
        f"{_search_bar()}<h1>客服中心 · 常见问题</h1><article><h2>充值多久到账？</h2>"
        "<p>一般几分钟内到账，高峰期可能稍慢。</p><h2>如何联系客服？</h2>"
        "<p>请拨打客服热线或发送邮件，我们会尽快回复。</p></article>" + _hotline()
    )
    return _document(f"{scenario.name} 客服中心", body)


def _document(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>{body}</body></html>"
    )


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _respond(send: Send, status: int, body: str | bytes, content_type: str) -> None:
    data = body.encode() if isinstance(body, str) else body
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type.encode()), (b"content-length", str(len(data)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": data})


class Sandbox(ServerThread):
    """The sandbox server in a background thread: `with Sandbox(time_scale=0.02) as sb: sb.url`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        time_scale: float = 1.0,
        scenarios: tuple[Scenario, ...] = SERVED,
        seed: int | None = None,
        lmtp: tuple[str, int] | None = None,
    ):
        self.app = SandboxApp(scenarios, time_scale, seed, lmtp)
        super().__init__(self.app, host, port)
