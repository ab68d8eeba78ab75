"""Sending e-mail: real SMTP when MAIL_SERVER is set, else a file in instance/outbox/ (dev).

`send(msg)` opens a connection per message; a job sending many uses `with connection() as out: out.send(msg)`
so a batch shares one SMTP session (reconnecting once if the server drops it).
"""
from __future__ import annotations

import logging
import secrets
import smtplib
from contextlib import contextmanager
from email import base64mime
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import Compat32
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Iterator

from flask import current_app

log = logging.getLogger(__name__)


class _Policy(Compat32):
    """compat32 with CRLF and 998-character lines, writing plain ASCII headers as they are: folding every
    header through email.header.Header costs more than everything else in a message."""

    def fold_binary(self, name, value):
        if isinstance(value, str) and value.isascii() and len(name) + len(value) <= 996 \
                and ("\n" not in value or value.replace("\r\n ", "").isprintable()):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_POLICY = _Policy(max_line_length=998, linesep="\r\n")


def _header(value: str) -> str:
    """ASCII as it is; anything else as RFC 2047 encoded words (each under 76 characters)."""
    if value.isascii():
        return value
    words, chunk = [], ""
    for char in value:
        if len((chunk + char).encode()) > 45:
            words.append(chunk)
            chunk = ""
        chunk += char
    words.append(chunk)
    return "\r\n ".join(base64mime.header_encode(word, "utf-8") for word in words)


def build_message(to: str, subject: str, text: str, html: str | None = None,
                  headers: dict[str, str] | None = None, message_id: str | None = None) -> Message:
    """A text (+ HTML) message. `message_id`: a stable id (e.g. per notification) lets a receiver
    recognise a re-sent duplicate.

    Built with the email package's compat32 classes: far faster than EmailMessage's
    header parsing, which matters when a worker sends hundreds of messages a second. Lines may be
    998 characters long (RFC 5322), so a long List-Unsubscribe URL stays one plain <url> rather than
    being folded into encoded words that mail clients would not recognise."""
    cfg = current_app.config
    body = MIMEText(text, "plain", "utf-8", policy=_POLICY)
    if html:
        # base64 never contains "_": this boundary cannot collide with a part, no need to search for one
        msg = MIMEMultipart("alternative", boundary=f"=_{secrets.token_hex(12)}", policy=_POLICY)
        msg.attach(body)
        msg.attach(MIMEText(html, "html", "utf-8", policy=_POLICY))
    else:
        msg = body
    msg["From"] = cfg["MAIL_DEFAULT_SENDER"]
    msg["To"] = to
    msg["Subject"] = _header(" ".join(subject.split()))  # no line breaks in a header
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id or make_msgid(domain="participation")
    for key, value in (headers or {}).items():
        msg[key] = _header(value)
    return msg


def text_of(msg: Message) -> str:
    """The plain-text body of a message built here."""
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    return ""


class _SMTPSender:
    def __init__(self, cfg):
        self.cfg = cfg
        self.smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        cfg = self.cfg
        smtp = smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=cfg.get("MAIL_TIMEOUT", 30))
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        return smtp

    def send(self, msg: Message) -> None:
        if self.smtp is None:
            self.smtp = self._connect()
        # sendmail() with the addresses we already know: send_message() would re-parse the headers.
        sender, to = parseaddr(self.cfg["MAIL_DEFAULT_SENDER"])[1], [parseaddr(msg["To"])[1]]
        raw = msg.as_bytes(policy=_POLICY)
        try:
            self.smtp.sendmail(sender, to, raw)
        except smtplib.SMTPServerDisconnected:  # an idle session the server closed: once more, fresh
            self.smtp = self._connect()
            self.smtp.sendmail(sender, to, raw)

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except smtplib.SMTPException:
                self.smtp.close()
            except OSError:
                pass
            self.smtp = None


class _FileSender:
    def __init__(self, cfg):
        self.outbox = Path(cfg["MAIL_OUTBOX_DIR"])

    def send(self, msg: Message) -> None:
        self.outbox.mkdir(parents=True, exist_ok=True)
        name = msg["Message-ID"].strip("<>").replace("@", "_").replace("/", "_")
        path = self.outbox / f"{name}.eml"
        path.write_bytes(bytes(msg))
        log.warning("No MAIL_SERVER: e-mail to %s (%s) written to %s\n%s", msg["To"], msg["Subject"], path,
                    text_of(msg))

    def close(self) -> None:
        pass


@contextmanager
def connection() -> Iterator[_SMTPSender | _FileSender]:
    cfg = current_app.config
    sender = _SMTPSender(cfg) if cfg.get("MAIL_SERVER") else _FileSender(cfg)
    try:
        yield sender
    finally:
        sender.close()


def send(msg: Message) -> None:
    with connection() as out:
        out.send(msg)
