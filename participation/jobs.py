"""Background jobs through a transactional outbox.

Operations call `enqueue()` inside their transaction and `commit()` to finish it. `commit()` then
relays what is pending: with `REDIS_URL` set the rows are pushed to rq; without it they run inline,
right after the commit. A row is only ever relayed once it is committed, so a rolled-back change
never triggers a job, and while Redis is down rows simply wait (`participation worker` relays them).
"""
from __future__ import annotations

import importlib
import logging
import threading
import traceback
from datetime import timedelta
from typing import Any, Callable

from flask import current_app, has_app_context
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .extensions import db
from .models import OutboxJob, OutboxStatus, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
STALE_QUEUED_AFTER = timedelta(minutes=5)  # a job queued this long ago without finishing is re-sent
_TASKS: dict[str, Callable[..., Any]] = {}
_TASK_MODULES = ("participation.tasks", "participation.notifications.tasks", "proposals.tasks", "budgets.tasks",
                 "votes.tasks")


def task(func: Callable[..., Any]) -> Callable[..., Any]:
    """Register a function as a job; jobs take plain ids and values, never ORM objects."""
    _TASKS[f"{func.__module__}.{func.__name__}"] = func
    return func


def load_tasks() -> None:
    for name in _TASK_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a package without jobs yet
            if exc.name != name:
                raise


def enqueue(func: Callable[..., Any], *, dedupe_key: str | None = None, **kwargs: Any) -> OutboxJob | None:
    """Write a job into the current transaction. A job with an existing dedupe key is skipped."""
    name = f"{func.__module__}.{func.__name__}"
    if name not in _TASKS:
        raise ValueError(f"{name} is not a registered task")
    if dedupe_key is not None:
        exists = db.session.scalar(select(OutboxJob.id).where(OutboxJob.dedupe_key == dedupe_key))
        if exists:
            return None
        try:
            with db.session.begin_nested():  # a concurrent twin must not abort the caller's transaction
                job = OutboxJob(task=name, args=kwargs, dedupe_key=dedupe_key)
                db.session.add(job)
        except IntegrityError:
            return None
        return job
    job = OutboxJob(task=name, args=kwargs)
    db.session.add(job)
    return job


def commit() -> None:
    """Commit the current transaction, then relay the jobs it (or an earlier one) left pending."""
    db.session.commit()
    relay()


_local = threading.local()


def relay(limit: int = 500) -> int:
    """Hand pending jobs to rq, or run them inline. Returns how many were relayed."""
    if getattr(_local, "relaying", False):  # an inline job that commits must not recurse
        return 0
    _local.relaying = True
    try:
        if current_app.config.get("REDIS_URL"):
            return _push_to_redis(limit)
        return _run_inline(limit)
    finally:
        _local.relaying = False


def _due(limit: int) -> list[int]:
    now = utcnow()
    stale = now - STALE_QUEUED_AFTER
    rows = db.session.scalars(
        select(OutboxJob.id).where(
            ((OutboxJob.status == OutboxStatus.pending) & (OutboxJob.run_after <= now))
            | ((OutboxJob.status == OutboxStatus.queued) & (OutboxJob.queued_at < stale))
        ).order_by(OutboxJob.id).limit(limit)
    ).all()
    db.session.rollback()
    return list(rows)


def _run_inline(limit: int) -> int:
    ids = _due(limit)
    for job_id in ids:
        execute(job_id)
    return len(ids)


def queue():
    from redis import Redis
    from rq import Queue

    app = current_app
    conn = app.extensions.get("participation_redis")
    if conn is None:
        conn = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5)
        app.extensions["participation_redis"] = conn
    return Queue(app.config["RQ_QUEUE"], connection=conn, default_timeout=600)


def _push_to_redis(limit: int) -> int:
    from redis.exceptions import RedisError

    ids = _due(limit)
    if not ids:
        return 0
    try:
        q = queue()
        with q.connection.pipeline() as pipe:
            for job_id in ids:
                q.enqueue_call(
                    "participation.jobs.execute", args=(job_id,), job_id=f"outbox-{job_id}-{utcnow():%H%M%S%f}",
                    pipeline=pipe, result_ttl=600, failure_ttl=86400)
            pipe.execute()
    except RedisError as exc:
        log.warning("Redis unavailable, %d job(s) wait in the outbox: %s", len(ids), exc)
        return 0
    db.session.execute(
        update(OutboxJob).where(OutboxJob.id.in_(ids)).values(status=OutboxStatus.queued, queued_at=utcnow()))
    db.session.commit()
    return len(ids)


def execute(job_id: int) -> str:
    """Run one outbox job. Safe to call twice: a finished job is not run again."""
    if not has_app_context():
        from . import create_app
        with (_worker_app or create_app()).app_context():
            return execute(job_id)
    job = db.session.get(OutboxJob, job_id, with_for_update=db.engine.dialect.name == "postgresql")
    if job is None or job.status in (OutboxStatus.done, OutboxStatus.failed):
        db.session.rollback()
        return "skipped"
    func = _TASKS.get(job.task)
    args = dict(job.args or {})
    db.session.commit()  # release the row lock while the job runs
    try:
        if func is None:
            raise LookupError(f"unknown task {job.task}")
        func(**args)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
        db.session.rollback()
        job = db.session.get(OutboxJob, job_id)
        job.attempts += 1
        job.last_error = "".join(traceback.format_exception_only(exc)).strip()[:2000]
        if job.attempts >= MAX_ATTEMPTS:
            job.status = OutboxStatus.failed
        else:
            job.status = OutboxStatus.pending
            job.run_after = utcnow() + timedelta(seconds=10 * 2 ** job.attempts)
        db.session.commit()
        log.exception("job %s (%s) failed, attempt %d", job_id, job.task, job.attempts)
        return "error"
    job = db.session.get(OutboxJob, job_id)
    job.status = OutboxStatus.done
    job.finished_at = utcnow()
    db.session.commit()
    return "done"


def retry(job_id: int) -> None:
    job = db.session.get(OutboxJob, job_id)
    if job is not None and job.status == OutboxStatus.failed:
        job.status, job.attempts, job.run_after = OutboxStatus.pending, 0, utcnow()
        commit()


_worker_app = None


def run_worker(app, burst: bool = False, relay_interval: float = 2.0) -> None:
    """An rq worker plus a relay thread that pushes waiting outbox rows (e.g. after a Redis outage)."""
    from rq import SimpleWorker

    global _worker_app
    _worker_app = app
    stop = threading.Event()

    def relay_loop():
        while not stop.is_set():
            with app.app_context():
                try:
                    relay()
                except Exception:  # noqa: BLE001 - keep relaying whatever happens
                    log.exception("relay failed")
                finally:
                    db.session.remove()
            stop.wait(relay_interval)

    with app.app_context():
        relay()
        q = queue()
    thread = threading.Thread(target=relay_loop, daemon=True, name="outbox-relay")
    if not burst:
        thread.start()
    try:
        worker = SimpleWorker([q], connection=q.connection)
        worker.work(burst=burst, with_scheduler=False)
    finally:
        stop.set()
