"""The `participation worker` process: an rq worker, plus a relay thread that pushes waiting outbox rows
(e.g. after a Redis outage) and runs the periodic functions (phase announcements, digests)."""
from __future__ import annotations

import logging
import os
import threading
import time
from datetime import timedelta

from sqlalchemy import delete

from . import jobs
from .extensions import db
from .jobs import _PERIODIC, queue, relay
from .models import OutboxJob, OutboxStatus, utcnow

log = logging.getLogger(__name__)
OUTBOX_RETENTION_DAYS = 30


@jobs.periodic(3600)
def prune_outbox() -> int:
    """Forget finished jobs after OUTBOX_RETENTION_DAYS. Their dedupe keys go with them; what must
    never happen twice is also protected where it lands (one notification per person and event,
    one digest per person and day, `emailed_at`)."""
    days = jobs._setting("OUTBOX_RETENTION_DAYS", OUTBOX_RETENTION_DAYS)
    deleted = db.session.execute(delete(OutboxJob).where(
        OutboxJob.status == OutboxStatus.done, OutboxJob.finished_at < utcnow() - timedelta(days=days))).rowcount
    db.session.commit()
    return deleted


def run_periodic(app, last_run: dict) -> None:
    """Call the periodic functions that are due (in the relay loop of every worker)."""
    now = time.monotonic()
    for every, func in _PERIODIC:
        if now - last_run.get(func, -1e9) < every:
            continue
        last_run[func] = now
        with app.app_context():
            try:
                func()
            except Exception:  # noqa: BLE001 - a failing periodic function must not stop the relay
                log.exception("periodic %s failed", func.__name__)
                db.session.rollback()
            finally:
                db.session.remove()


def run_worker(app, burst: bool = False, relay_interval: float = 2.0) -> None:
    """Runs until SIGTERM/SIGINT (or, with burst, until the queue is empty). Survives Redis outages:
    it keeps retrying and is back to work within seconds of Redis returning."""
    from redis.exceptions import RedisError
    from rq import SimpleWorker

    jobs._worker_app = app
    # PERIODIC_TASKS=0 turns them off (e.g. a worker serving a test database, or when cron runs them).
    periodic = str(app.config.get("PERIODIC_TASKS", os.environ.get("PERIODIC_TASKS", "1"))).lower() not in (
        "0", "false", "no", "off")
    stop = threading.Event()
    last_run: dict = {}

    def relay_loop():
        while not stop.is_set():
            with app.app_context():
                try:
                    relay()
                except Exception:  # noqa: BLE001 - keep relaying whatever happens
                    log.exception("relay failed")
                finally:
                    db.session.remove()
            if periodic:
                run_periodic(app, last_run)
            stop.wait(relay_interval)

    with app.app_context():
        relay()
        q = queue(blocking=True)
    thread = threading.Thread(target=relay_loop, daemon=True, name="outbox-relay")
    if not burst:
        thread.start()
    try:
        while True:
            worker = None
            try:
                worker = SimpleWorker([q], connection=q.connection)
                worker.max_connection_wait_time = 5.0  # back to work within seconds of Redis returning
                worker.work(burst=burst, with_scheduler=False)
            except RedisError as exc:
                log.warning("worker cannot reach Redis (%s); retrying", exc)
            stopping = worker is not None and (worker._stop_requested or worker._shutdown_requested_date)
            if burst or stopping:  # SIGTERM/SIGINT: rq finished the current job and returned
                break
            time.sleep(1)  # Redis is down, or the rq loop quit on a Redis error: start a fresh worker
    finally:
        stop.set()
