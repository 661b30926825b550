"""A real SMTP server for tests: aiosmtpd's ``Controller`` on 127.0.0.1, on a free port.

:func:`start_smtp_server` runs one that collects every message it accepts, optionally with a
login and STARTTLS (a self-signed certificate made on the spot). The ``smtp_server`` fixture
gives a plain one per test; :func:`closed_port` gives a port where no server listens.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

__all__ = [
    "ReceivedMail",
    "SmtpServer",
    "closed_port",
    "free_port",
    "self_signed_tls",
    "smtp_server",
    "start_smtp_server",
]

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connecting is refused)."""
    return free_port()


@dataclass(frozen=True)
class ReceivedMail:
    """One message the server accepted: envelope sender and recipients, raw bytes, parsed."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage
    login: str | None


@dataclass
class SmtpServer:
    """A running test SMTP server and what it received."""

    host: str
    port: int
    messages: list[ReceivedMail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def received(self) -> list[ReceivedMail]:
        """A copy of the messages received so far."""
        with self.lock:
            return list(self.messages)


class _Collector:
    """aiosmtpd handler that keeps every message."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or b""
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        login = session.auth_data.login.decode() if session.auth_data else None
        mail = ReceivedMail(str(envelope.mail_from), list(envelope.rcpt_tos), raw, parsed, login)
        with self.server.lock:
            self.server.messages.append(mail)
        return "250 Message accepted for delivery"


def _authenticator(user: str, password: str) -> Any:
    def check(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login == user.encode()
            and data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

    return check


def self_signed_tls(folder: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server and a client TLS context for 127.0.0.1 with a fresh self-signed certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_path, key_path)
    client_context = ssl.create_default_context(cafile=str(cert_path))
    return server_context, client_context


@contextlib.contextmanager
def start_smtp_server(
    *,
    login: tuple[str, str] | None = None,
    tls: ssl.SSLContext | None = None,
) -> Iterator[SmtpServer]:
    """Run an SMTP server on 127.0.0.1 until the block ends.

    Parameters
    ----------
    login : (user, password), optional
        Require this login (AUTH PLAIN/LOGIN) before accepting mail.
    tls : ssl.SSLContext, optional
        Offer STARTTLS with this server context and require it before the login.
    """
    server = SmtpServer(HOST, free_port())
    options: dict[str, Any] = {}
    if login is not None:
        options.update(
            authenticator=_authenticator(*login),
            auth_required=True,
            auth_require_tls=tls is not None,
        )
    if tls is not None:
        options.update(tls_context=tls, require_starttls=True)
    controller = Controller(_Collector(server), hostname=HOST, port=server.port, **options)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A plain SMTP server on 127.0.0.1 (no login, no TLS) that collects messages."""
    with start_smtp_server() as server:
        yield server
