"""A real SMTP server for e-mail tests: aiosmtpd on 127.0.0.1, on a free port.

It records every accepted message (and which SMTP session carried it), can be told to answer
the next messages with an error reply, or to take them and drop the connection before its
reply (the client cannot know they arrived), and can be stopped and started again on the same
port to play a mail server that goes down and comes back.
"""
from __future__ import annotations

import email
import re
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    session: int  # one value per SMTP connection

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=default)


class Recorder:
    """aiosmtpd handler: keeps what it accepts; pops scripted error replies first."""

    def __init__(self):
        self.received: list[Received] = []
        self.replies: deque[str] = deque()
        self.lost_replies = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.replies:
                return self.replies.popleft()
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, id(session)))
            if self.lost_replies:
                self.lost_replies -= 1
                server.transport.close()  # taken, but the "250" never reaches the client
        return "250 2.0.0 OK: queued"


class SMTPServer:
    def __init__(self):
        self.host = "127.0.0.1"
        self.port = free_port()
        self.handler = Recorder()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname=self.host, port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def lose_next_replies(self, count: int = 1) -> None:
        """Keep the next `count` messages but close the connection instead of replying."""
        self.handler.lost_replies += count

    def fail_next(self, *replies: str) -> None:
        """Answer the next messages' DATA with these replies, e.g. "451 4.3.0 Try again later"."""
        self.handler.replies.extend(replies)

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    @property
    def messages(self) -> list[EmailMessage]:
        return [item.message for item in self.received]

    def recipients(self) -> list[str]:
        return [rcpt for item in self.received for rcpt in item.rcpt_tos]

    def wait_for(self, count: int, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} messages, got {len(self.received)}")
            time.sleep(0.01)


@pytest.fixture
def smtp_server(app):
    """A running server; the app's MAIL_SERVER/MAIL_PORT point at it for the test."""
    server = SMTPServer()
    server.start()
    saved = {key: app.config[key] for key in ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USERNAME")}
    app.config.update(MAIL_SERVER=server.host, MAIL_PORT=server.port, MAIL_USE_TLS=False, MAIL_USERNAME=None)
    try:
        yield server
    finally:
        server.stop()
        app.config.update(saved)


def text_part(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def html_part(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


LINK = re.compile(r"https?://[^/\s\"]+(/(?:ko|en)/subscribe/(confirm|preferences|unsubscribe)/[A-Za-z0-9_.\-]+)")


def links_in(text: str) -> dict[str, str]:
    """The site paths of the subscription links in a mail body, by page."""
    return {page: path for path, page in LINK.findall(text)}


def deliver(runner) -> str:
    """Run the real worker command once; returns its output."""
    result = runner.invoke(args=["outbox", "send", "--once"])
    assert result.exit_code == 0, result.output
    return result.output
