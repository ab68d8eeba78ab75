"""Integrity under load, over HTTP against a live server on PostgreSQL: simultaneous submissions of one
voter, through the ballot page's cast form and the JSON API at once, are serialised by the voter lock and
end with exactly one current ballot; refused ballots store nothing."""
from __future__ import annotations

import http.client
import json
import threading
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import func, select

from participation.accounts.sessions import open_sessions
from participation.extensions import db
from participation.models import PhaseKind, User, utcnow
from votes.models import Ballot, BallotChoice, Voter

from ..budgets.factories import make_budget, make_settings
from ..conftest import needs_postgres
from ..factories import make_commune, make_process

pytestmark = [needs_postgres, pytest.mark.slow]
SUBMISSIONS = 5
ACCEPTED = {201, 302}  # the API's answer, the cast form's (a redirect to the receipt)


def _voters(app, process, n: int) -> list[tuple[int, str]]:
    """n accounts registered as voters, each with a session cookie (what logging in would give)."""
    from budgets.operations_eligibility import account_key
    from budgets.operations import vote_settings
    from budgets.models import Verification
    settings = vote_settings(process)
    users = [{"email": f"voter{i}@example.org", "nickname": f"Voter {i}", "password_hash": "x", "locale": "fr",
              "confirmed_at": utcnow(), "is_platform_admin": False, "email_preference": "immediately"}
             for i in range(n)]
    db.session.execute(User.__table__.insert(), users)
    ids = db.session.scalars(select(User.id).order_by(User.id)).all()[-n:]
    with app.app_context():
        keys = [account_key(settings, uid) for uid in ids]
    db.session.execute(Voter.__table__.insert(), [
        {"process_id": process.id, "voter_key": k, "user_id": uid, "verification": Verification.declaration.name,
         "created_at": utcnow()} for uid, k in zip(ids, keys)])
    db.session.commit()
    serializer = app.session_interface.get_signing_serializer(app)
    with app.app_context():
        cookie_ids = open_sessions(ids)
    return [(uid, serializer.dumps({"_user_id": cookie_id, "_fresh": True})) for uid, cookie_id in zip(ids, cookie_ids)]


def _post(base: str, path: str, cookie: str, payload: dict, *, form: bool = False) -> int:
    """POST a ballot to the JSON API (`path`), or as the confirmation page's cast form does."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    if form:
        path, body = path.removesuffix("api") + "cast", urlencode([("project", p) for p in payload["projects"]])
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    else:
        body, headers = json.dumps(payload), {"Content-Type": "application/json", "Accept": "application/json"}
    try:
        conn.request("POST", path, body=body, headers={**headers, "Cookie": f"session={cookie}"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _fire(live_server, path, voters, choices_for, workers=50) -> dict[int, Counter]:
    """Each voter fires SUBMISSIONS requests released together by a barrier, alternately to the API and
    as the cast form."""
    barriers = {uid: threading.Barrier(SUBMISSIONS, timeout=60) for uid, _c in voters}
    statuses: dict[int, Counter] = defaultdict(Counter)
    lock = threading.Lock()

    def one(uid, cookie, k):
        barriers[uid].wait()
        status = _post(live_server, path, cookie, choices_for(k), form=k % 2 == 1)
        with lock:
            statuses[uid][status] += 1

    with ThreadPoolExecutor(max_workers=workers) as pool:  # a multiple of SUBMISSIONS: groups always fill
        futures = [pool.submit(one, uid, cookie, k) for uid, cookie in voters for k in range(SUBMISSIONS)]
        for f in futures:
            f.result()
    return statuses


def _current_per_voter(budget_id: int) -> Counter:
    db.session.expire_all()
    return Counter(dict(db.session.execute(select(Ballot.voter_id, func.count()).where(
        Ballot.budget_id == budget_id, Ballot.is_current.is_(True)).group_by(Ballot.voter_id)).all()))


def test_200_voters_5_simultaneous_submissions(app, live_server):
    commune = make_commune("load")
    process = make_process(commune, slug="bp", active=PhaseKind.vote)
    make_settings(process)  # ballots can change: the last one counts
    budget = make_budget(process, amount=100_000, costs=(40_000, 30_000, 50_000, 20_000))
    pids = [p.id for p in budget.projects]
    voters = _voters(app, process, 200)
    path = f"/{commune.slug}/processes/{process.slug}/vote/{budget.id}/api"
    statuses = _fire(live_server, path, voters, lambda k: {"projects": [pids[k % 4]]})
    voter_ids = dict(db.session.execute(select(Voter.user_id, Voter.id)).all())
    current = _current_per_voter(budget.id)
    assert len(current) == 200 and set(current.values()) == {1}
    stored = Counter(dict(db.session.execute(select(Ballot.voter_id, func.count()).where(
        Ballot.budget_id == budget.id).group_by(Ballot.voter_id)).all()))
    for uid, counter in statuses.items():
        assert set(counter) <= ACCEPTED | {409}, counter
        # every accepted ballot is stored, nothing else
        assert stored[voter_ids[uid]] == sum(counter[s] for s in ACCEPTED)
    assert sum(c[201] for c in statuses.values()) >= 100 and sum(c[302] for c in statuses.values()) >= 100
    # The superseded chain is whole: every non-current ballot points to a later ballot of the same voter.
    ballots = db.session.scalars(select(Ballot).where(Ballot.budget_id == budget.id)).all()
    by_id = {b.id: b for b in ballots}
    for b in ballots:
        if not b.is_current:
            assert by_id[b.superseded_by_id].voter_id == b.voter_id and by_id[b.superseded_by_id].id > b.id

    # Over the budget: refused, nothing stored.
    uid, cookie = voters[0]
    before = db.session.scalar(select(func.count()).select_from(Ballot))
    choices_before = db.session.scalar(select(func.count()).select_from(BallotChoice))
    assert _post(live_server, path, cookie, {"projects": pids[:3]}) == 400
    # Outside the phase: refused, nothing stored.
    process.active_phase_override_id = process.phase_of_kind(PhaseKind.results).id
    db.session.commit()
    assert _post(live_server, path, cookie, {"projects": [pids[0]]}) == 409
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == before
    assert db.session.scalar(select(func.count()).select_from(BallotChoice)) == choices_before


def test_final_ballots_accept_exactly_one_of_simultaneous_submissions(app, live_server):
    commune = make_commune("final")
    process = make_process(commune, slug="bp", active=PhaseKind.vote)
    make_settings(process, ballot_final=True)
    budget = make_budget(process)
    pids = [p.id for p in budget.projects]
    voters = _voters(app, process, 50)
    path = f"/{commune.slug}/processes/{process.slug}/vote/{budget.id}/api"
    statuses = _fire(live_server, path, voters, lambda k: {"projects": [pids[k % 4]]})
    for counter in statuses.values():
        assert sum(counter[s] for s in ACCEPTED) == 1 and counter[409] == SUBMISSIONS - 1, counter
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 50
    current = _current_per_voter(budget.id)
    assert len(current) == 50 and set(current.values()) == {1}
