"""Whether an address has an account must not show in the answers nor in the time they take: sign-up,
password reset and confirmation requests do the same work for a known and an unknown address (the same
number of password hashes, the same number of jobs queued); only the job, later, tells them apart."""
from __future__ import annotations

import hashlib
import sys
from contextlib import contextmanager

from sqlalchemy import func, select

from participation.extensions import db
from participation.models import OutboxJob

from ..factories import make_user


@contextmanager
def work_done():
    """Counts what a request does that takes time: scrypt computations (every password hash and check goes
    through hashlib.scrypt) and the jobs it writes to the outbox."""
    seen = {"hashes": 0}

    def profiler(_frame, event, arg):
        if event == "c_call" and arg is hashlib.scrypt:
            seen["hashes"] += 1
    before = db.session.scalar(select(func.count(OutboxJob.id)))
    sys.setprofile(profiler)
    try:
        yield seen
    finally:
        sys.setprofile(None)
        db.session.rollback()
        seen["jobs"] = db.session.scalar(select(func.count(OutboxJob.id))) - before


def _signup(client, email, nickname):
    return client.post("/account/signup", data={"email": email, "nickname": nickname, "password": "a long password 1",
                                                "confirm": "a long password 1", "locale": "en", "accept": "y"})


def test_signup_does_the_same_work_for_a_known_and_a_new_address(client, run_jobs, smtp):
    make_user("Bob", email="bob@example.org")
    with work_done() as known:
        assert _signup(client, "bob@example.org", "Bobby").status_code == 302
    with work_done() as new:
        assert _signup(client, "new@example.org", "Newbie").status_code == 302
    assert known == new and known["hashes"] == 1 and known["jobs"] == 1, (known, new)


def test_reset_requests_do_the_same_work_for_a_known_and_an_unknown_address(client, run_jobs, smtp):
    make_user("Dan", email="dan@example.org")
    with work_done() as known:
        assert client.post("/account/reset", data={"email": "dan@example.org"}).status_code == 302
    with work_done() as unknown:
        assert client.post("/account/reset", data={"email": "ghost@example.org"}).status_code == 302
    assert known == unknown and known["jobs"] == 1, (known, unknown)
    run_jobs()
    assert [m["To"] for m in smtp.wait_for(1)] == ["dan@example.org"]  # the job alone knew


def test_confirmation_requests_do_the_same_work_whoever_asks(client, run_jobs, smtp):
    make_user("Una", email="una@example.org", confirmed=False)
    make_user("Cid", email="cid@example.org")
    work = []
    for email in ("una@example.org", "cid@example.org", "ghost@example.org"):
        with work_done() as done:
            assert client.post("/account/confirm", data={"email": email}).status_code == 302
        work.append(done)
    assert work[0] == work[1] == work[2] and work[0]["jobs"] == 1, work
    run_jobs()
    assert [m["To"] for m in smtp.wait_for(1)] == ["una@example.org"]  # only the unconfirmed account's


def test_login_checks_a_password_hash_whoever_asks(client):
    make_user("Carol", email="carol@example.org")
    with work_done() as known:
        client.post("/account/login", data={"email": "carol@example.org", "password": "not the one"})
    with work_done() as unknown:
        client.post("/account/login", data={"email": "nobody@example.org", "password": "not the one"})
    assert known == unknown and known["hashes"] == 1, (known, unknown)
