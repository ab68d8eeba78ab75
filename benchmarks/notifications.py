"""Benchmark: e-mail notifications through the outbox, Redis/rq, 2 worker processes and a local SMTP sink.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python benchmarks/notifications.py [--emails 10000] [--followers 50000] [--workers 2]

- DATABASE_URL: a PostgreSQL server: the benchmark creates (and drops) a database of its own there.
  Without it, a temporary SQLite file (2 writer processes on SQLite: expect lock waits).
- REDIS_URL: the benchmark uses a queue of its own there; without it, it starts a redis-server.

Figures and how to read them: README, "Figures: e-mail notifications".

Measures (1) e-mails per second, end to end: notify() N people who want e-mails immediately, until the
sink received all N messages; (2) the time to notify 50 000 followers: "results.published" for a
process whose commune has 50 000 residents, until all in-app notifications exist and until all
e-mails arrived. Duplicates are counted by Message-ID at the sink.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to give a figure that does not depend on load."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def wait(predicate, timeout: float, what: str, every: float = 0.05):
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(what)


class Sink:
    def __init__(self, workdir: Path):
        self.port = free_port()
        self.status = workdir / "sink-status"
        self.process = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "smtp_sink.py"), str(self.port),
                                         str(self.status)])
        wait(self.status.exists, 10, "SMTP sink start")

    def counts(self) -> tuple[int, int]:
        try:
            messages, distinct = self.status.read_text().split()
            return int(messages), int(distinct)
        except (OSError, ValueError):
            return 0, 0

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--followers", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-notifications-"))
    os.environ["INSTANCE_PATH"] = str(workdir)
    os.environ.setdefault("SECRET_KEY", "benchmark")
    cleanups = []
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith("postgres"):
        import psycopg
        base = "postgresql://" + database_url.split("://", 1)[1].rsplit("/", 1)[0]
        name = f"bench_notifications_{os.getpid()}"
        admin = psycopg.connect(f"{base}/postgres", autocommit=True)
        admin.execute(f'CREATE DATABASE "{name}"')
        cleanups.append(lambda: admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)'))
        database_url = f"{base}/{name}"
        sa_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
    else:
        database_url = sa_url = f"sqlite:///{workdir}/bench.sqlite"
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        port = free_port()
        redis = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(port), "--save", "",
                                  "--appendonly", "no", "--dir", str(workdir)], stdout=subprocess.DEVNULL)
        cleanups.append(lambda: (redis.terminate(), redis.wait(10)))
        redis_url = f"redis://127.0.0.1:{port}/0"
    queue_name = f"bench-{uuid.uuid4().hex[:8]}"
    sink = Sink(workdir)
    cleanups.append(sink.stop)
    workers: list[subprocess.Popen] = []
    try:
        run(args, workdir, database_url, sa_url, redis_url, queue_name, sink, workers)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(20)
        for cleanup in reversed(cleanups):
            cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


def run(args, workdir, database_url, sa_url, redis_url, queue_name, sink, workers) -> None:
    from sqlalchemy import func, insert, select

    from participation import create_app
    from participation.events import publish
    from participation.extensions import db
    from participation.jobs import commit, queue
    from participation.models import (Commune, EmailPreference, Membership, OutboxJob, OutboxStatus, PhaseKind,
                                      Role, User, utcnow)
    from participation.notifications.models import Notification
    from participation.notifications.operations import notify

    app = create_app({"SQLALCHEMY_DATABASE_URI": sa_url, "REDIS_URL": redis_url, "RQ_QUEUE": queue_name,
                      "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": sink.port})
    import logging
    logging.getLogger().setLevel(logging.WARNING)
    with app.app_context():
        db.create_all()
        total = max(args.followers, args.emails)
        print(f"database: {db.engine.dialect.name}, workers: {args.workers}, CPUs: {os.cpu_count()}")
        started = time.perf_counter()
        now = utcnow()
        user_ids = list(db.session.scalars(insert(User).returning(User.id), [
            {"email": f"resident{i}@example.org", "nickname": f"resident{i}", "password_hash": "!", "locale": "fr",
             "confirmed_at": now, "email_preference": EmailPreference.immediately, "is_platform_admin": False,
             "created_at": now} for i in range(total)]))
        commune = Commune(slug="bench", name={"fr": "Bench"}, languages=["fr"])
        db.session.add(commune)
        db.session.flush()
        db.session.execute(insert(Membership), [{"user_id": uid, "commune_id": commune.id, "role": Role.resident,
                                                  "created_at": now} for uid in user_ids[:args.followers]])
        from tests.factories import make_process
        process = make_process(commune, active=PhaseKind.results)
        db.session.commit()
        print(f"setup: {total} users in {time.perf_counter() - started:.1f} s")

        env = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=redis_url, RQ_QUEUE=queue_name,
                   MAIL_SERVER="127.0.0.1", MAIL_PORT=str(sink.port), BASE_URL="http://bench.invalid")
        for i in range(args.workers):
            workers.append(subprocess.Popen([sys.executable, "-m", "participation.cli", "worker"], env=env, cwd=ROOT,
                                            stdout=open(workdir / f"worker{i}.log", "w"), stderr=subprocess.STDOUT))
        from rq import Worker
        wait(lambda: len(Worker.all(queue=queue())) >= args.workers, 60, "workers start")

        # 1. E-mails per second, end to end.
        t0 = time.perf_counter()
        notify(user_ids[:args.emails], kind="results.published", dedupe_key="bench:emails",
               params={"process": {"fr": "Budget participatif"}})
        t_enqueued = time.perf_counter() - t0
        wait(lambda: sink.counts()[0] >= args.emails, 3600, "e-mails delivered", every=0.02)
        t_delivered = time.perf_counter() - t0
        messages, distinct = sink.counts()
        print(f"\n1. {args.emails} e-mails: notify() + outbox in {t_enqueued:.2f} s; all delivered after "
              f"{t_delivered:.2f} s -> {args.emails / t_delivered:.0f} e-mails/s end to end "
              f"({messages - distinct} duplicates)")

        # 2. Results published to the commune's residents.
        base_messages = sink.counts()[0]
        t0 = time.perf_counter()
        publish("results.published", dedupe_key=f"results.published:{process.id}", process_id=process.id)
        commit()

        def notified():
            count = db.session.scalar(select(func.count(Notification.id)).where(
                Notification.dedupe_key == f"results.published:{process.id}"))
            db.session.rollback()
            return count >= args.followers
        wait(notified, 3600, "in-app notifications", every=0.05)
        t_fanout = time.perf_counter() - t0
        wait(lambda: sink.counts()[0] - base_messages >= args.followers, 3600, "follower e-mails", every=0.05)
        t_mail = time.perf_counter() - t0
        messages, distinct = sink.counts()
        print(f"2. results published to {args.followers} followers: all in-app notifications after {t_fanout:.2f} s; "
              f"all e-mails delivered after {t_mail:.2f} s -> {args.followers / t_mail:.0f} e-mails/s "
              f"({messages - distinct} duplicates in total)")
        time.sleep(1)
        sent = messages
        worker_cpu = sum(cpu_seconds(w.pid) for w in workers)
        sink_cpu = cpu_seconds(sink.process.pid)
        print(f"CPU per e-mail: workers {1000 * worker_cpu / sent:.2f} ms, SMTP sink {1000 * sink_cpu / sent:.2f} ms "
              f"(PostgreSQL not counted); load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        statuses = dict(db.session.execute(select(OutboxJob.status, func.count()).group_by(OutboxJob.status)).all())
        print(f"outbox: {', '.join(f'{OutboxStatus(k).value}={v}' for k, v in statuses.items())}")
        queue().delete(delete_jobs=True)  # leave nothing behind in a shared Redis


if __name__ == "__main__":
    main()
