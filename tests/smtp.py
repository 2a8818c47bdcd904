"""A real SMTP server on loopback (aiosmtpd) that collects what it is sent, and can go down."""
import socket
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller

from tourism.notify.mailer import SMTPMailer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Collector:
    """aiosmtpd handler: keeps each accepted message, or answers `refusal` (e.g. a 451)."""

    def __init__(self):
        self.received = []
        self.refusal = None

    async def handle_DATA(self, server, session, envelope):
        if self.refusal:
            return self.refusal
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


class SMTPServer:
    def __init__(self):
        self.port = free_port()
        self.handler = Collector()
        self.controller = None

    @property
    def received(self):
        return self.handler.received

    def start(self):
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def mailer(self) -> SMTPMailer:
        return SMTPMailer("127.0.0.1", self.port, timeout=5)
