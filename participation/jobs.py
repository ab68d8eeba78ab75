"""Background jobs through a transactional outbox.

Operations call `enqueue()` inside their transaction and `commit()` to finish it. `commit()` then
relays what is pending: with `REDIS_URL` set the rows are pushed to rq; without it they run inline,
right after the commit. A row is only ever relayed once it is committed, so a rolled-back change
never triggers a job, and while Redis is down rows simply wait (`participation worker` relays them).

Delivery is at-least-once, made safe by leases:
- relaying a row *claims* it (pending -> queued, `queued_at` = a fresh lease) and the rq job carries
  that lease; `execute()` only runs the row if the lease still matches, so a superseded copy is skipped;
- while a job runs, a heartbeat thread renews the lease; a row whose lease is older than
  `STALE_QUEUED_AFTER` (its worker died, or Redis lost it) is handed out again with a new lease, and
  the old runner, if it was merely stuck, notices it lost the lease and stops (`check_lease()`);
- failures are retried with exponential backoff; after `JOB_MAX_ATTEMPTS` the row is `failed` and
  a platform administrator may retry it.
Tasks must therefore be idempotent: they take ids, and record what they did (e.g. `emailed_at`).
"""
from __future__ import annotations

import importlib
import logging
import os
import threading
import time
import traceback
from datetime import datetime, timedelta
from typing import Any, Callable

from flask import current_app, has_app_context
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .extensions import db
from .models import OutboxJob, OutboxStatus, utcnow

log = logging.getLogger(__name__)

# Defaults; each can be set in the app config or the environment (seconds for durations).
MAX_ATTEMPTS = 5
RETRY_DELAY = 10  # seconds before the first retry; doubles on each attempt
STALE_QUEUED_AFTER = timedelta(minutes=5)  # a queued job without a heartbeat for this long is re-sent
REDIS_RETRY_AFTER = 5.0  # after a Redis failure, web requests stop trying Redis for this long
_TASKS: dict[str, Callable[..., Any]] = {}
_PERIODIC: list[tuple[float, Callable[[], Any]]] = []
_TASK_MODULES = ("participation.tasks", "participation.notifications.tasks", "proposals.tasks", "budgets.tasks",
                 "votes.tasks", "votes.results.tasks")


class LeaseLost(Exception):
    """The job was handed to another worker (this one was presumed dead): stop without recording anything."""


def _setting(name: str, default: float) -> float:
    value = current_app.config.get(name) if has_app_context() else None
    if value is None:
        value = os.environ.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


def stale_after() -> timedelta:
    return timedelta(seconds=_setting("STALE_QUEUED_AFTER", STALE_QUEUED_AFTER.total_seconds()))


def task(func: Callable[..., Any]) -> Callable[..., Any]:
    """Register a function as a job; jobs take plain ids and values, never ORM objects."""
    _TASKS[f"{func.__module__}.{func.__name__}"] = func
    return func


def periodic(every: float) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Register a function the worker's relay loop calls every `every` seconds (and `cron` may call too).
    It must be idempotent: every worker process runs it."""
    def register(func: Callable[[], Any]) -> Callable[[], Any]:
        _PERIODIC.append((every, func))
        return func
    return register


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
    db.session.flush()  # the caller may want job.id
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


def _due_clause(now: datetime):
    return (((OutboxJob.status == OutboxStatus.pending) & (OutboxJob.run_after <= now))
            | ((OutboxJob.status == OutboxStatus.queued) & (OutboxJob.queued_at < now - stale_after())))


def _due(limit: int) -> list[tuple[int, OutboxStatus, datetime | None]]:
    rows = db.session.execute(
        select(OutboxJob.id, OutboxJob.status, OutboxJob.queued_at)
        .where(_due_clause(utcnow())).order_by(OutboxJob.id).limit(limit)).all()
    db.session.rollback()
    return [tuple(r) for r in rows]


def _claim(ids: list[int]) -> tuple[list[int], datetime]:
    """Mark rows queued under a fresh lease; a concurrent relay that already took one gets nothing."""
    lease = utcnow()
    claimed = db.session.scalars(
        update(OutboxJob).where(OutboxJob.id.in_(ids), _due_clause(lease))
        .values(status=OutboxStatus.queued, queued_at=lease).returning(OutboxJob.id)
        .execution_options(synchronize_session=False)).all()
    db.session.commit()
    return list(claimed), lease


def _run_inline(limit: int) -> int:
    """Run due jobs in this process until none is left (jobs may enqueue more jobs)."""
    total = 0
    for _round in range(1000):
        ids = [row[0] for row in _due(limit)]
        if not ids:
            break
        for job_id in ids:
            execute(job_id)
        total += len(ids)
    return total


def _redis(app, *, blocking: bool = False):
    """A client per app; the worker's own client has no read timeout (it blocks waiting for jobs)."""
    from redis import Redis

    key = "participation_redis_blocking" if blocking else "participation_redis"
    conn = app.extensions.get(key)
    if conn is None:
        conn = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2,
                              socket_timeout=None if blocking else 5, health_check_interval=30)
        app.extensions[key] = conn
    return conn


def queue(*, blocking: bool = False):
    from rq import Queue

    app = current_app._get_current_object()
    return Queue(app.config["RQ_QUEUE"], connection=_redis(app, blocking=blocking), default_timeout=600)


def _rq_job_id(job_id: int, lease: datetime) -> str:
    return f"outbox-{job_id}-{lease:%Y%m%d%H%M%S%f}"


_redis_down_until = 0.0


def _push_to_redis(limit: int) -> int:
    from redis.exceptions import RedisError

    global _redis_down_until
    if time.monotonic() < _redis_down_until:
        return 0  # Redis failed a moment ago: the rows wait, the request stays fast
    total = 0
    for _round in range(100):
        due = _due(limit)
        if not due:
            break
        claimed: list[int] = []
        try:
            q = queue()
            ids = _skip_still_waiting(q, due)
            if not ids:
                break
            claimed, lease = _claim(ids)
            if claimed:
                with q.connection.pipeline() as pipe:
                    for job_id in claimed:
                        q.enqueue_call("participation.jobs.execute", args=(job_id, lease.isoformat()),
                                       job_id=_rq_job_id(job_id, lease), pipeline=pipe,
                                       result_ttl=600, failure_ttl=7 * 86400)
                    pipe.execute()
        except RedisError as exc:
            _redis_down_until = time.monotonic() + _setting("REDIS_RETRY_AFTER", REDIS_RETRY_AFTER)
            db.session.rollback()
            if claimed:
                # Give the rows back at once rather than waiting for them to go stale.
                db.session.execute(
                    update(OutboxJob).where(OutboxJob.id.in_(claimed), OutboxJob.queued_at == lease,
                                            OutboxJob.status == OutboxStatus.queued)
                    .values(status=OutboxStatus.pending, queued_at=None)
                    .execution_options(synchronize_session=False))
                db.session.commit()
            log.warning("Redis unavailable, job(s) wait in the outbox: %s", exc)
            return total
        total += len(claimed)
        if len(due) < limit:
            break
    return total


def _skip_still_waiting(q, due: list[tuple[int, OutboxStatus, datetime | None]]) -> list[int]:
    """A stale queued row whose rq job still waits in the queue (a backlog, not a dead worker) is left alone."""
    stale = [(job_id, queued_at) for job_id, status, queued_at in due
             if status == OutboxStatus.queued and queued_at is not None]
    if not stale:
        return [row[0] for row in due]
    from rq.job import Job, JobStatus

    waiting = set()
    jobs = Job.fetch_many([_rq_job_id(job_id, at) for job_id, at in stale], connection=q.connection)
    for (job_id, _at), job in zip(stale, jobs):
        if job is not None and job.get_status(refresh=False) in (JobStatus.QUEUED, JobStatus.DEFERRED,
                                                                 JobStatus.SCHEDULED):
            waiting.add(job_id)
    return [row[0] for row in due if row[0] not in waiting]


class _Run:
    """The lease of the job running in this thread, renewed by a heartbeat thread."""

    def __init__(self, job_id: int, lease: datetime):
        self.job_id, self.lease = job_id, lease
        self.lost = False
        self.done = threading.Event()

    def beat(self, app, interval: float) -> None:
        while not self.done.wait(interval):
            with app.app_context():
                try:
                    new = utcnow()
                    renewed = db.session.execute(
                        update(OutboxJob).where(OutboxJob.id == self.job_id, OutboxJob.queued_at == self.lease,
                                                OutboxJob.status == OutboxStatus.queued)
                        .values(queued_at=new).execution_options(synchronize_session=False)).rowcount
                    db.session.commit()
                    if renewed:
                        self.lease = new
                    else:
                        self.lost = True
                        return
                except Exception:  # noqa: BLE001 - a missed beat only risks a redelivery
                    db.session.rollback()
                    log.exception("heartbeat of job %s failed", self.job_id)
                finally:
                    db.session.remove()


def current_run() -> _Run | None:
    """The lease of the job running in this thread (to hand to helper threads), or None."""
    return getattr(_local, "run", None)


def check_lease(run: _Run | None = None) -> None:
    """Long tasks call this between units of work: raises LeaseLost if another worker took the job over."""
    run = run or current_run()
    if run is not None and run.lost:
        raise LeaseLost(f"job {run.job_id}")


def _claim_for_run(job_id: int, lease: str | None) -> tuple[str, dict, datetime] | None:
    now = utcnow()
    if lease is None:  # inline, or a direct call: take the row if it is due
        condition = _due_clause(now)
    else:  # from rq: only the delivery that holds the current lease runs
        condition = (OutboxJob.status == OutboxStatus.queued) & (
            OutboxJob.queued_at == datetime.fromisoformat(lease))
    row = db.session.execute(
        update(OutboxJob).where(OutboxJob.id == job_id, condition)
        .values(status=OutboxStatus.queued, queued_at=now)
        .returning(OutboxJob.task, OutboxJob.args).execution_options(synchronize_session=False)).first()
    db.session.commit()
    if row is None:
        return None
    return row[0], dict(row[1] or {}), now


def execute(job_id: int, lease: str | None = None) -> str:
    """Run one outbox job. Safe to call twice: a finished, failed or superseded job is not run again."""
    if not has_app_context():
        from . import create_app
        with (_worker_app or create_app()).app_context():
            return execute(job_id, lease)
    claimed = _claim_for_run(job_id, lease)
    if claimed is None:
        return "skipped"
    name, args, start = claimed
    run = _Run(job_id, start)
    interval = max(0.2, stale_after().total_seconds() / 3)
    beat = threading.Thread(target=run.beat, args=(current_app._get_current_object(), interval), daemon=True,
                            name=f"lease-{job_id}")
    beat.start()
    previous, _local.run = getattr(_local, "run", None), run
    try:
        func = _TASKS.get(name)
        if func is None:
            raise LookupError(f"unknown task {name}")
        func(**args)
        db.session.commit()  # whatever the task left; before stopping the heartbeat (SQLite locks)
    except LeaseLost:
        db.session.rollback()
        log.warning("job %s (%s) was taken over by another worker", job_id, name)
        return "superseded"
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
        db.session.rollback()
        run.done.set()
        beat.join()
        log.exception("job %s (%s) failed", job_id, name)
        return _record_failure(run, exc)
    finally:
        _local.run = previous
        run.done.set()
        beat.join()
    done = db.session.execute(
        update(OutboxJob).where(OutboxJob.id == job_id, OutboxJob.queued_at == run.lease)
        .values(status=OutboxStatus.done, finished_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return "done" if done else "superseded"


def _record_failure(run: _Run, exc: Exception) -> str:
    job = db.session.get(OutboxJob, run.job_id)
    if job is None or job.queued_at != run.lease:
        db.session.rollback()
        return "superseded"
    job.attempts += 1
    job.last_error = "".join(traceback.format_exception_only(exc)).strip()[:2000]
    if job.attempts >= _setting("JOB_MAX_ATTEMPTS", MAX_ATTEMPTS):
        job.status = OutboxStatus.failed
    else:
        job.status = OutboxStatus.pending
        job.queued_at = None
        job.run_after = utcnow() + timedelta(seconds=_setting("JOB_RETRY_DELAY", RETRY_DELAY) * 2 ** (job.attempts - 1))
    db.session.commit()
    return "error"


def retry(job_id: int) -> bool:
    """Give a failed job a fresh set of attempts, now."""
    job = db.session.get(OutboxJob, job_id)
    if job is None or job.status != OutboxStatus.failed:
        return False
    job.status, job.attempts, job.run_after, job.queued_at = OutboxStatus.pending, 0, utcnow(), None
    commit()
    return True


_worker_app = None  # set by run_worker(): rq calls execute() without an app context


def run_worker(app, burst: bool = False, relay_interval: float = 2.0) -> None:
    """`participation worker`: see participation.jobs_worker."""
    from .jobs_worker import run_worker as run
    run(app, burst=burst, relay_interval=relay_interval)
