"""The sandbox platforms' mail desk: a message left on a form is answered by e-mail as the
platform's LeaveForm says (a receipt, a person, or nobody), delivered over LMTP to a real
mail server (the tests start Dovecot). Time is simulated: each mail is sent at once, dated
when the platform would have sent it (its Date header), so a person's answer 30 hours later
takes no 30 hours. What was left and what was sent is kept as ground truth (/truth "left")."""

from __future__ import annotations

import random
import re
import smtplib
import threading
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from .scenarios import MailReply, Scenario

ADDRESS = re.compile(r"[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+")
THANKS = "留言提交成功，感谢您的反馈！"


class MailDesk:
    def __init__(self, lmtp: tuple[str, int] | None):
        self.lmtp = lmtp  # where mail is delivered; None: kept as truth only
        self.truth: list[dict] = []  # written from the server's event loop only

    def left(self, scenario: Scenario, fields: dict[str, str]) -> str:
        """A form submitted: what the page says back. A required field left empty is refused
        (nothing recorded); otherwise the message is kept and its answers sent."""
        assert scenario.leave is not None
        for label, _, required in scenario.leave.fields:
            if required and not fields.get(label, "").strip():
                return f"请填写{label}"
        at = time.time()
        to = next((found.group(0) for value in fields.values() if (found := ADDRESS.search(value))), None)
        rng = random.Random(f"{scenario.slug}/{len(self.truth)}")
        sent = []
        for reply in scenario.leave.replies:
            mail = _mail(scenario, reply, rng, at)
            sent.append({"kind": reply.kind, "delay_s": reply.delay_s, "message_id": mail["Message-ID"]})
            if to and self.lmtp:
                threading.Thread(target=self._deliver, args=(mail, to), daemon=True).start()
        self.truth.append({"platform": scenario.slug, "at": at, "fields": fields, "to": to, "mails": sent})
        return THANKS + (f"我们将按承诺答复：{scenario.leave.promise}" if scenario.leave.promise else "")

    def _deliver(self, mail: EmailMessage, to: str) -> None:
        assert self.lmtp is not None
        mail["To"] = to
        with smtplib.LMTP(*self.lmtp) as lmtp:
            lmtp.send_message(mail, to_addrs=[to.partition("@")[0]])  # Dovecot's local part: user+tag


def _mail(scenario: Scenario, reply: MailReply, rng: random.Random, left_at: float) -> EmailMessage:
    domain = f"{scenario.slug}.sandbox.test"
    mail = EmailMessage()
    if reply.kind == "auto":
        mail["From"] = f"{scenario.name} <noreply@{domain}>"
        mail["Subject"] = "已收到您的留言"
        mail["Auto-Submitted"] = "auto-replied"
    else:
        mail["From"] = f"{scenario.name}客服 <service@{domain}>"
        mail["Subject"] = "回复：售前咨询"
    # Whole seconds, as Date headers are: rounded, so the truth is never more than 0.5 s off.
    mail["Date"] = format_datetime(datetime.fromtimestamp(round(left_at + reply.delay_s), UTC))
    mail["Message-ID"] = make_msgid(domain=domain)
    text = reply.text if isinstance(reply.text, str) else "".join(rng.choice(part) for part in reply.text)
    mail.set_content(text.replace("{n}", str(rng.randint(2, 30))))
    return mail
