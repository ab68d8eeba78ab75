"""Shared fixtures. Every test runs on SQLite; with DATABASE_URL/REDIS_URL set (as `.ci/run` does)
the same tests run on PostgreSQL, with jobs going through real Redis and a real rq worker."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from flask import g
from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("DATABASE_URL") or ""
REDIS_URL = os.environ.get("REDIS_URL") or ""
_INSTANCE = tempfile.mkdtemp(prefix="participation-test-")
os.environ["INSTANCE_PATH"] = _INSTANCE
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")

from participation import create_app  # noqa: E402
from participation.extensions import db as _db  # noqa: E402

from .factories import *  # noqa: E402,F401,F403
from .places_servers import _geocoder_server, _tile_server, geocoder, tiles  # noqa: E402,F401 - fixtures


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Client(FlaskClient):
    """Test requests share the test's app context (and so its database session); start each one with
    an empty `g`, as a real request would, so nothing cached by a previous request (locale, user,
    commune) leaks into the next."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Like a browser set to English; tests of the French default send their own header.
        self.environ_base.setdefault("HTTP_ACCEPT_LANGUAGE", "en")

    def open(self, *args, **kwargs):
        for key in list(g):
            g.pop(key)
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def _smtp_sink():
    sink = SMTPSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


@pytest.fixture(scope="session")
def app(_smtp_sink):
    overrides = {
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,  # tests that check CSRF turn it back on
        "RATELIMIT_ENABLED": True,  # initialised, then switched off below; `rate_limits` turns it on
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": _smtp_sink.port,
        "GEOCODER_URL": None,  # the `geocoder` and `tiles` fixtures serve them locally
        "MAP_TILE_URL": None,
    }
    if not DATABASE_URL:
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{_INSTANCE}/test.sqlite"
    application = create_app(overrides)
    application.test_client_class = _Client
    plain_request_context = application.test_request_context

    def english_request_context(*args, **kwargs):
        """Request contexts built by tests read English too, unless a test says otherwise."""
        headers = dict(kwargs.pop("headers", None) or {})
        headers.setdefault("Accept-Language", "en")
        return plain_request_context(*args, headers=headers, **kwargs)
    application.test_request_context = english_request_context
    from participation.extensions import limiter
    limiter.enabled = False
    with application.app_context():
        _db.drop_all()
        _db.create_all()
        if REDIS_URL:
            from participation.jobs import queue
            queue().connection.flushdb()
    yield application


@pytest.fixture(autouse=True)
def _clean_database(app):
    ctx = app.app_context()
    ctx.push()
    yield
    _db.session.remove()
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
        else:
            for t in tables:
                conn.exec_driver_sql(f'DELETE FROM "{t}"')
    ctx.pop()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def csrf(app):
    """Turn CSRF protection on for one test."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def rate_limits(app):
    from participation.extensions import limiter

    limiter.enabled = True
    limiter.reset()
    yield limiter
    limiter.reset()
    limiter.enabled = False


@pytest.fixture
def run_jobs(app):
    """Run what the outbox holds until nothing is due: inline without Redis, or through Redis with a real
    rq worker (burst). Jobs that queue more jobs are followed; a job taken by another worker (a browser
    test's) is waited for."""
    from participation import jobs
    from participation.models import OutboxJob, OutboxStatus, utcnow

    def unsettled() -> int:
        _db.session.remove()
        return _db.session.scalar(_db.select(_db.func.count(OutboxJob.id)).where(
            ((OutboxJob.status == OutboxStatus.pending) & (OutboxJob.run_after <= utcnow()))
            | (OutboxJob.status == OutboxStatus.queued))) or 0

    def run(timeout: float = 60.0) -> None:
        deadline = time.time() + timeout
        while True:
            jobs.relay()
            if app.config.get("REDIS_URL"):
                from rq import SimpleWorker
                q = jobs.queue()
                jobs._worker_app = app
                SimpleWorker([q], connection=q.connection).work(burst=True, with_scheduler=False)
            if not unsettled() or time.time() > deadline:
                break
            time.sleep(0.05)
        _db.session.remove()
    return run


class SMTPSink:
    """A real SMTP server on localhost that keeps what it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                from email import message_from_bytes, policy
                sink.messages.append(message_from_bytes(envelope.content, policy=policy.default))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def wait_for(self, count: int = 1, timeout: float = 15.0) -> list:
        deadline = time.time() + timeout
        while len(self.messages) < count and time.time() < deadline:
            time.sleep(0.05)
        return self.messages

    def text_of(self, msg) -> str:
        return msg.get_body(("plain",)).get_content()


@pytest.fixture
def smtp(app, _smtp_sink):
    """The real SMTP server every e-mail of the tests goes to, emptied for this test."""
    _smtp_sink.messages.clear()
    yield _smtp_sink


needs_postgres = pytest.mark.skipif(
    not DATABASE_URL.startswith(("postgres", "postgresql")),
    reason="needs PostgreSQL: set DATABASE_URL (as .ci/run does)")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="needs Redis: set REDIS_URL (as .ci/run does)")


@pytest.fixture(scope="session")
def _live_http(app):
    """The app served over HTTP on a free port, in a thread of the test process."""
    from werkzeug.serving import make_server

    port = free_port()
    app.config["BASE_URL"] = f"http://127.0.0.1:{port}"
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app.config["BASE_URL"]
    server.shutdown()


@pytest.fixture
def live_server(app, _live_http):
    """The live server, plus a real `participation worker` process for this test when Redis is set
    (per test, so it never takes jobs that later tests run themselves)."""
    worker = None
    if REDIS_URL:
        env = dict(os.environ, BASE_URL=_live_http, MAIL_SERVER="127.0.0.1", MAIL_PORT=str(app.config["MAIL_PORT"]),
                   PERIODIC_TASKS="0")  # ticks and digests are tested on their own
        if not DATABASE_URL:
            env["DATABASE_URL"] = app.config["SQLALCHEMY_DATABASE_URI"]
        worker = subprocess.Popen([sys.executable, "-m", "participation.cli", "worker"], env=env, cwd=ROOT)
    yield _live_http
    if worker is not None:
        worker.terminate()  # rq's warm shutdown; a worker blocked on Redis may need the hard way
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(10)
