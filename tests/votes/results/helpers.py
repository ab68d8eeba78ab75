"""Helpers of the results tests: ballots cast through the real operations, and closing the vote."""
from __future__ import annotations

from datetime import timedelta

from participation.extensions import db
from participation.models import PhaseKind, utcnow
from votes.operations import cast_online_ballot

from ...budgets.factories import make_voter
from ...factories import make_user

DATA = __import__("pathlib").Path(__file__).parent.parent / "data"
WIELICZKA = DATA / "poland_wieliczka_2023_green-budget.pb"
BIELANY = DATA / "poland_warszawa_2021_bielany.pb"


def cast(process, budget, choices_per_voter: list[dict[int, int] | list[int]], **voter_kwargs):
    """One new confirmed user per ballot, registered and voting online (the vote must be open)."""
    for choices in choices_per_voter:
        user = make_user()
        make_voter(process, user, **voter_kwargs)
        if not isinstance(choices, dict):
            choices = {pid: 1 for pid in choices}
        cast_online_ballot(user, process, budget, choices)


def close_vote(process, *, ended_ago: timedelta = timedelta(minutes=1)):
    """Move the vote phase into the past and the results phase to now."""
    now = utcnow()
    vote = process.phase_of_kind(PhaseKind.vote)
    results = process.phase_of_kind(PhaseKind.results)
    vote.starts_at, vote.ends_at = now - timedelta(days=10), now - ended_ago
    results.starts_at, results.ends_at = now - ended_ago, now + timedelta(days=10)
    db.session.commit()
    return vote.ends_at


def official_winners(path) -> set[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    start, end = lines.index("PROJECTS"), lines.index("VOTES")
    header = lines[start + 1].split(";")
    i, s = header.index("project_id"), header.index("selected")
    return {row.split(";")[i] for row in lines[start + 2:end] if row.split(";")[s] == "1"}
