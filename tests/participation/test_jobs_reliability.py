"""Reliability on real Redis with real worker processes (`python -m participation.cli worker`):
- a worker killed with SIGKILL in the middle of a batch of e-mails loses none;
- while Redis is down, people's actions succeed and their notifications wait in the outbox, then go
  out when Redis is back.

These tests run on their own database (a fresh SQLite file, or a fresh PostgreSQL database) and their
own rq queue, so a worker started by another fixture (live_server) cannot take their jobs.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter

import pytest
from sqlalchemy import select

from participation import create_app, jobs
from participation.events import publish
from participation.extensions import db
from participation.jobs import commit
from participation.models import OutboxJob, OutboxStatus, User
from participation.notifications.models import Notification
from participation.notifications.operations import notify

from ..conftest import DATABASE_URL, REDIS_URL, ROOT, free_port, needs_redis
from .test_jobs_helpers import SlowSink, bulk_users

pytestmark = needs_redis
STALE = 2  # seconds without a heartbeat before a queued job is handed to another worker
SEND_THREADS = 4  # the default MAIL_SEND_THREADS


@pytest.fixture(scope="module")
def _isolated_app(tmp_path_factory):
    """(app, database URL for the worker's environment, queue name) on a database of their own."""
    name = f"reliability_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = None
    if DATABASE_URL.startswith("postgres"):
        import psycopg

        base = "postgresql://" + DATABASE_URL.split("://", 1)[1].rsplit("/", 1)[0]
        admin = psycopg.connect(f"{base}/postgres", autocommit=True)
        admin.execute(f'CREATE DATABASE "{name}"')
        url = f"{base}/{name}"
        sa_url = "postgresql+psycopg://" + url.split("://", 1)[1]
    else:
        url = sa_url = f"sqlite:///{tmp_path_factory.mktemp('reliability')}/reliability.sqlite"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": sa_url, "RQ_QUEUE": name,
                      "STALE_QUEUED_AFTER": STALE, "SERVER_NAME": None, "RATELIMIT_ENABLED": False,
                      "RATELIMIT_STORAGE_URI": "memory://", "WTF_CSRF_ENABLED": False, "REDIS_URL": REDIS_URL})
    with app.app_context():
        db.create_all()
    yield app, url, name
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if admin is not None:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def isolated(_isolated_app):
    """The isolated app, its tables emptied after each test."""
    yield _isolated_app
    app = _isolated_app[0]
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


class Worker:
    """A real `participation worker` process with the test's environment."""

    def __init__(self, log_dir, database_url: str, redis_url: str, queue: str, mail_port: int):
        self.log = open(log_dir / f"worker-{uuid.uuid4().hex[:6]}.log", "w+")
        env = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=redis_url, RQ_QUEUE=queue,
                   STALE_QUEUED_AFTER=str(STALE), MAIL_SEND_THREADS=str(SEND_THREADS), MAIL_SERVER="127.0.0.1",
                   MAIL_PORT=str(mail_port),
                   BASE_URL="http://participation.test")
        self.process = subprocess.Popen([sys.executable, "-m", "participation.cli", "worker"], env=env, cwd=ROOT,
                                        stdout=self.log, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-5000:]


def _jobs() -> list[OutboxJob]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxJob).order_by(OutboxJob.id)))


def test_a_worker_killed_mid_batch_loses_no_email(isolated, tmp_path):
    app, url, queue_name = isolated
    workers = []
    with app.app_context(), SlowSink(delay=0.03) as sink:
        try:
            ids = bulk_users(300, prefix="kill")
            emails = set(db.session.scalars(select(User.email).where(User.id.in_(ids))))
            notify(ids, kind="results.published", dedupe_key="kill:1", params={"process": {"fr": "Budget"}})
            assert [j.status for j in _jobs()] == [OutboxStatus.queued]  # one batch, pushed to Redis
            workers.append(Worker(tmp_path, url, REDIS_URL, queue_name, sink.port))
            assert sink.wait_for(lambda m: len(m) >= 60, timeout=60), workers[0].output()
            workers[0].kill()
            before = len(sink.messages)
            assert 0 < before < 300, "the worker must die in the middle of the batch"

            workers.append(Worker(tmp_path, url, REDIS_URL, queue_name, sink.port))
            assert sink.wait_for(lambda m: {x["To"] for x in m} >= emails, timeout=90), workers[1].output()
            time.sleep(0.5)  # anything still in flight arrives
        finally:
            for worker in workers:
                worker.stop()
        counts = Counter(m["To"] for m in sink.messages)
        assert set(counts) == emails  # nobody lost
        # At-least-once: a message in flight when the worker died (sent, not yet marked) may be sent
        # again, at most one per sending thread; nothing else. A copy carries the same Message-ID.
        duplicates = {to: n for to, n in counts.items() if n > 1}
        assert len(duplicates) <= SEND_THREADS and set(duplicates.values()) <= {2}, duplicates
        print(f"{len(duplicates)} duplicate(s) after the kill")
        for to in duplicates:
            assert len({m["Message-ID"] for m in sink.messages if m["To"] == to}) == 1
        assert all(n.emailed_at is not None for n in db.session.scalars(select(Notification)))
        assert [j.status for j in _jobs()] == [OutboxStatus.done]


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of our own on a free port, which the test stops and starts."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server binary not found")
    port = free_port()

    class Server:
        url = f"redis://127.0.0.1:{port}/0"
        process = None

        def start(self):
            self.process = subprocess.Popen(
                [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            from redis import Redis
            client = Redis.from_url(self.url, socket_connect_timeout=0.2)
            deadline = time.time() + 10
            while time.time() < deadline:
                try:
                    client.ping()
                    return
                except Exception:  # noqa: BLE001 - not up yet
                    time.sleep(0.05)
            raise RuntimeError("redis-server did not start")

        def stop(self):
            self.process.terminate()
            self.process.wait(10)

    server = Server()
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


def test_with_redis_down_actions_succeed_and_notifications_go_out_when_it_is_back(isolated, own_redis, tmp_path,
                                                                                   monkeypatch):
    app, url, queue_name = isolated
    monkeypatch.setitem(app.config, "REDIS_URL", own_redis.url)
    monkeypatch.setattr(jobs, "_redis_down_until", 0.0)
    for key in ("participation_redis", "participation_redis_blocking"):
        monkeypatch.delitem(app.extensions, key, raising=False)
    with app.app_context(), SlowSink() as sink:
        worker = Worker(tmp_path, url, own_redis.url, queue_name, sink.port)
        try:
            residents = bulk_users(3, prefix="resident")
            from ..factories import make_commune, make_process
            process_id = make_process(make_commune()).id
            own_redis.stop()

            started = time.monotonic()
            response = app.test_client().post("/account/signup", data={
                "email": "newcomer@example.org", "nickname": "Newcomer", "password": "a long password",
                "confirm": "a long password", "locale": "en", "accept": "y"})
            assert response.status_code == 302, response.get_data(as_text=True)[:2000]
            publish("results.published", dedupe_key=f"results.published:{process_id}", process_id=process_id,
                    user_ids=residents)
            commit()
            assert time.monotonic() - started < 5  # Redis being down does not slow people down much
            time.sleep(2 * STALE)  # the worker keeps trying meanwhile
            assert {j.status for j in _jobs()} == {OutboxStatus.pending}
            assert len(_jobs()) == 2  # the confirmation e-mail and the results event

            own_redis.start()
            wanted = {"newcomer@example.org", "resident0@example.org", "resident1@example.org",
                      "resident2@example.org"}
            assert sink.wait_for(lambda m: {x["To"] for x in m} >= wanted, timeout=60), worker.output()
            deadline = time.time() + 10
            while time.time() < deadline and {j.status for j in _jobs()} != {OutboxStatus.done}:
                time.sleep(0.1)
            assert {j.status for j in _jobs()} == {OutboxStatus.done}
            assert sorted(m["To"] for m in sink.messages) == sorted(wanted)
        finally:
            worker.stop()
            for key in ("participation_redis", "participation_redis_blocking"):
                app.extensions.pop(key, None)
