"""A plain SMTP server on loopback for a chat system's outgoing mail (a lab's Live Helper Chat
pointed at it by its own SMTP settings): mail to an address of the test mailbox's domain goes
on to Dovecot through LMTP (tests/mailserver.py), so the watchdog reads it over IMAP as it
would a real answer; every other recipient (the operator's notice of a message left) is kept
here, in `kept`, for the test to look at.

Only what an SMTP client needs to hand over a message (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP,
QUIT): no TLS, no authentication, loopback only.
"""

from __future__ import annotations

import socketserver
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

from .mailserver import DOMAIN, MailServer, free_port


class SmtpRelay:
    def __init__(self, mailbox: MailServer) -> None:
        self.mailbox, self.port = mailbox, free_port()
        self.kept: list[tuple[list[str], EmailMessage]] = []  # (recipients, message) not ours
        self.delivered: list[tuple[str, EmailMessage]] = []  # (our address, message)
        relay = self

        class Session(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode("ascii") + b"\r\n")

            def handle(self) -> None:
                self.reply("220 127.0.0.1 ESMTP test relay")
                sender, recipients = "", list[str]()
                for raw in self.rfile:
                    command = raw.decode("utf-8", "replace").strip()
                    verb = command[:4].upper()
                    if verb == "EHLO":
                        self.reply("250-127.0.0.1")
                        self.reply("250 8BITMIME")
                    elif verb == "HELO":
                        self.reply("250 127.0.0.1")
                    elif verb == "MAIL":
                        sender, recipients = command.partition(":")[2].strip(" <>"), []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        recipients.append(command.partition(":")[2].split()[0].strip("<>"))
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        lines = []
                        for line in self.rfile:
                            if line in (b".\r\n", b".\n"):
                                break
                            lines.append(line[1:] if line.startswith(b"..") else line)
                        relay.take(sender, recipients, b"".join(lines))
                        self.reply("250 OK queued")
                    elif verb == "RSET":
                        sender, recipients = "", []
                        self.reply("250 OK")
                    elif verb == "NOOP":
                        self.reply("250 OK")
                    elif verb == "QUIT":
                        self.reply("221 Bye")
                        return
                    else:
                        self.reply("502 Command not implemented")

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Session)
        self.server.daemon_threads = True

    def take(self, sender: str, recipients: list[str], data: bytes) -> None:
        message = message_from_bytes(data, policy=policy.default)
        assert isinstance(message, EmailMessage)
        ours = [r for r in recipients if r.lower().endswith("@" + DOMAIN)]
        for address in ours:
            self.mailbox.deliver(message, address)
            self.delivered.append((address, message))
        if others := [r for r in recipients if r not in ours]:
            self.kept.append((others, message))

    def __enter__(self) -> SmtpRelay:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
