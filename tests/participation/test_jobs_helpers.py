"""Helpers shared by the jobs and notifications tests (no tests here: fixtures, bulk users, an SMTP sink)."""
from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from email import message_from_bytes, policy

import pytest
from sqlalchemy import insert

from participation.extensions import db
from participation.models import EmailPreference, User, utcnow

from ..conftest import free_port

_seq = itertools.count(1)


@pytest.fixture
def private_queue(app, monkeypatch):
    """Jobs pushed to Redis by this test go to a queue of its own: a worker left running by another
    fixture (live_server) must not take them."""
    monkeypatch.setitem(app.config, "RQ_QUEUE", f"test-{uuid.uuid4().hex[:12]}")
    yield app.config["RQ_QUEUE"]


def bulk_users(count: int, *, preference: EmailPreference = EmailPreference.immediately, confirmed: bool = True,
               locale: str = "fr", prefix: str | None = None) -> list[int]:
    """Many users at once, without hashing a password each (a real hash takes ~50 ms)."""
    prefix = prefix or f"bulk{next(_seq)}x"
    now = utcnow()
    rows = [{"email": f"{prefix}{i}@example.org", "nickname": f"{prefix}{i}", "password_hash": "!",
             "locale": locale, "confirmed_at": now if confirmed else None, "email_preference": preference,
             "is_platform_admin": False, "created_at": now} for i in range(count)]
    ids = list(db.session.scalars(insert(User).returning(User.id), rows))
    db.session.commit()
    return ids


class SlowSink:
    """A real SMTP server (aiosmtpd) that takes `delay` seconds per recipient, and can refuse addresses."""

    def __init__(self, delay: float = 0.0, refuse: tuple[str, ...] = ()):
        from aiosmtpd.controller import Controller

        self.messages: list = []
        self.peers: set = set()  # one per SMTP connection
        self.delay = delay
        sink = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if sink.delay:  # a slow server; the delay is before the data, so it does not widen the
                    await asyncio.sleep(sink.delay)  # window between "250 OK" for the data and its mark
                if address in refuse:
                    return "550 no such user here"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                sink.peers.add(session.peer)
                sink.messages.append(message_from_bytes(envelope.content, policy=policy.default))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    def wait_for(self, predicate, timeout: float = 30.0) -> bool:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate(self.messages):
                return True
            time.sleep(0.05)
        return predicate(self.messages)
