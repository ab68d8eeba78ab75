"""The transactional outbox: jobs run only after commit, once, with retries, leases and redelivery.
Runs inline on SQLite, and through real Redis + an rq worker when REDIS_URL is set."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from participation import jobs, jobs_worker
from participation.extensions import db
from participation.jobs import check_lease, commit, enqueue, execute, retry, task
from participation.models import OutboxJob, OutboxStatus, utcnow

from ..conftest import free_port, needs_redis
from .test_jobs_helpers import private_queue  # noqa: F401 - fixture

CALLS: list[str] = []
FAILURES = {"left": 0}


@task
def record(value: str) -> None:
    CALLS.append(value)


@task
def flaky(value: str) -> None:
    if FAILURES["left"] > 0:
        FAILURES["left"] -= 1
        raise RuntimeError("boom")
    CALLS.append(value)


@task
def slow(value: str, seconds: float) -> None:
    time.sleep(seconds)
    CALLS.append(value)


@task
def taken_over(value: str) -> None:
    """Another worker takes the job over (its lease changes) while this one is still busy."""
    job_id = jobs._local.run.job_id
    with db.engine.begin() as conn:
        conn.execute(update(OutboxJob).where(OutboxJob.id == job_id).values(queued_at=utcnow() + timedelta(hours=1)))
    time.sleep(0.6)  # the heartbeat notices the lost lease
    check_lease()
    CALLS.append(value)


@pytest.fixture(autouse=True)
def _reset(private_queue):  # noqa: F811
    CALLS.clear()
    FAILURES["left"] = 0


def _job(job_id: int) -> OutboxJob:
    db.session.expire_all()
    return db.session.get(OutboxJob, job_id)


def test_a_rolled_back_change_runs_no_job(run_jobs):
    enqueue(record, value="never")
    db.session.rollback()
    run_jobs()
    assert CALLS == []
    assert db.session.scalar(select(OutboxJob.id)) is None


def test_a_job_runs_once_after_commit(run_jobs):
    job_id = enqueue(record, value="a").id
    assert CALLS == []  # nothing before the commit
    commit()
    run_jobs()
    assert CALLS == ["a"]
    job = _job(job_id)
    assert job.status == OutboxStatus.done and job.finished_at is not None
    assert execute(job_id) == "skipped"  # a second delivery does nothing
    assert CALLS == ["a"]


def test_a_dedupe_key_makes_a_job_happen_once(run_jobs):
    assert enqueue(record, dedupe_key="once", value="a") is not None
    assert enqueue(record, dedupe_key="once", value="b") is None
    commit()
    run_jobs()
    assert enqueue(record, dedupe_key="once", value="c") is None  # even after it ran
    commit()
    run_jobs()
    assert CALLS == ["a"]


def test_an_unregistered_function_cannot_be_enqueued():
    with pytest.raises(ValueError):
        enqueue(lambda: None)


def test_failures_are_retried_with_backoff_then_marked_failed_and_retried_by_hand(app, run_jobs, monkeypatch):
    monkeypatch.setitem(app.config, "JOB_MAX_ATTEMPTS", 3)
    monkeypatch.setitem(app.config, "JOB_RETRY_DELAY", 10)
    FAILURES["left"] = 99
    job_id = enqueue(flaky, value="x").id
    commit()
    run_jobs()
    job = _job(job_id)
    assert (job.status, job.attempts) == (OutboxStatus.pending, 1)
    assert "boom" in job.last_error
    assert timedelta(seconds=8) < job.run_after - utcnow() <= timedelta(seconds=10)
    run_jobs()  # not due yet
    assert _job(job_id).attempts == 1

    delays = []
    for attempt in (2, 3):
        db.session.execute(update(OutboxJob).where(OutboxJob.id == job_id).values(run_after=utcnow()))
        commit()
        run_jobs()
        job = _job(job_id)
        assert job.attempts == attempt
        delays.append(job.run_after - utcnow())
    assert timedelta(seconds=18) < delays[0] <= timedelta(seconds=20)  # the delay doubles
    assert job.status == OutboxStatus.failed
    assert CALLS == []

    FAILURES["left"] = 0
    assert retry(job_id) is True
    run_jobs()
    job = _job(job_id)
    assert job.status == OutboxStatus.done and CALLS == ["x"]
    assert retry(job_id) is False  # only failed jobs are retried


def test_a_delivery_holding_an_old_lease_is_skipped():
    job_id = enqueue(record, value="a").id
    db.session.commit()
    claimed, lease = jobs._claim([job_id])
    assert claimed == [job_id]
    assert execute(job_id, "2000-01-01T00:00:00") == "skipped"
    assert CALLS == []
    assert execute(job_id, lease.isoformat()) == "done"
    assert execute(job_id, lease.isoformat()) == "skipped"
    assert CALLS == ["a"]


def test_a_queued_job_whose_worker_died_is_handed_out_again(run_jobs):
    job_id = enqueue(record, value="a").id
    db.session.commit()
    jobs._claim([job_id])  # handed to a worker that then died: no heartbeat, no result
    assert jobs.relay() == 0 and CALLS == []  # still within its lease
    db.session.execute(update(OutboxJob).where(OutboxJob.id == job_id)
                       .values(queued_at=utcnow() - timedelta(minutes=10)))
    db.session.commit()
    run_jobs()
    assert CALLS == ["a"]
    assert _job(job_id).status == OutboxStatus.done


def _run_in_thread(app, job_id: int) -> tuple[threading.Thread, dict]:
    result = {}

    def target():
        with app.app_context():
            result["status"] = execute(job_id)
    thread = threading.Thread(target=target)
    thread.start()
    return thread, result


def test_the_heartbeat_keeps_a_long_job_from_being_handed_out_twice(app, monkeypatch):
    monkeypatch.setitem(app.config, "STALE_QUEUED_AFTER", 0.6)  # heartbeat every 0.2 s
    job_id = enqueue(slow, value="a", seconds=1.5).id
    db.session.commit()
    thread, result = _run_in_thread(app, job_id)
    time.sleep(1.0)  # well past STALE_QUEUED_AFTER
    assert job_id not in [row[0] for row in jobs._due(100)]
    thread.join(10)
    assert result["status"] == "done" and CALLS == ["a"]
    assert _job(job_id).status == OutboxStatus.done


def test_a_job_that_lost_its_lease_stops_without_recording_anything(app, monkeypatch):
    monkeypatch.setitem(app.config, "STALE_QUEUED_AFTER", 0.3)
    job_id = enqueue(taken_over, value="a").id
    db.session.commit()
    thread, result = _run_in_thread(app, job_id)
    thread.join(10)
    assert result["status"] == "superseded"
    assert CALLS == []
    job = _job(job_id)
    assert job.status == OutboxStatus.queued and job.attempts == 0  # left to the worker that took it over


@pytest.fixture
def redis_unreachable(app, monkeypatch):
    """REDIS_URL points at a port where nothing listens."""
    def forget_clients():
        for key in ("participation_redis", "participation_redis_blocking"):
            app.extensions.pop(key, None)
    forget_clients()
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    monkeypatch.setattr(jobs, "_redis_down_until", 0.0)
    yield
    forget_clients()


def test_with_redis_down_the_action_succeeds_and_the_job_waits_in_the_outbox(app, redis_unreachable, monkeypatch):
    started = time.monotonic()
    first = enqueue(record, value="a").id
    commit()  # the action's transaction: must not fail because Redis does
    second = enqueue(record, value="b").id
    commit()
    assert time.monotonic() - started < 3
    assert [_job(first).status, _job(second).status] == [OutboxStatus.pending, OutboxStatus.pending]
    assert _job(first).queued_at is None
    assert CALLS == []
    # Redis is back (here: jobs inline): whatever waited goes out.
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    assert jobs.relay() == 2
    assert CALLS == ["a", "b"]


def test_periodic_functions_run_when_due(app):
    seen = []

    @jobs.periodic(3600)
    def every_hour():
        seen.append(1)
    try:
        last_run: dict = {}
        jobs_worker.run_periodic(app, last_run)
        jobs_worker.run_periodic(app, last_run)
        assert seen == [1]
    finally:
        jobs._PERIODIC.remove((3600, every_hour))



@needs_redis
def test_a_stale_job_still_waiting_in_the_queue_is_not_pushed_twice(app, run_jobs, monkeypatch):
    """A backlog is not a dead worker: a queued row whose rq job is still in the queue stays put."""
    job_id = enqueue(record, value="a").id
    commit()  # pushed to Redis; no worker is running
    q = jobs.queue()
    assert q.count == 1
    monkeypatch.setitem(app.config, "STALE_QUEUED_AFTER", 0.01)
    time.sleep(0.05)
    assert job_id in [row[0] for row in jobs._due(10)]  # stale by the clock...
    assert jobs.relay() == 0  # ...but still waiting in the queue
    assert q.count == 1
    run_jobs()
    assert CALLS == ["a"]


def test_finished_jobs_are_pruned_after_the_retention_period(run_jobs):
    old = enqueue(record, value="old").id
    recent = enqueue(record, value="recent").id
    failed = enqueue(record, value="failed").id
    commit()
    run_jobs()
    db.session.execute(update(OutboxJob).where(OutboxJob.id.in_([old, failed]))
                       .values(finished_at=utcnow() - timedelta(days=31)))
    db.session.execute(update(OutboxJob).where(OutboxJob.id == failed).values(status=OutboxStatus.failed))
    db.session.commit()
    assert jobs_worker.prune_outbox() == 1
    assert sorted(db.session.scalars(select(OutboxJob.id))) == [recent, failed]  # failed ones stay for admins
