"""Casting ballots: who may vote where, the one-transaction cast, receipts, and the tally input.

Integrity, in the order `cast_ballot` does it, all in one transaction:
1. lock the voter row (SELECT ... FOR UPDATE on PostgreSQL; SQLite serialises writers), so several
   simultaneous submissions of one voter run one after the other;
2. check the phase window and the budget scope, then the budget's rule;
3. supersede the current ballot (a flag and a pointer; its choices are never touched) or refuse
   when ballots are final or the current one is on paper;
4. insert the new ballot; the partial unique index (voter, budget) WHERE is_current is the last guard.
Nothing is stored when any check fails.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import format_datetime, gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from budgets.ballot_check import BallotSummary, summarise
from budgets.models import Budget, BudgetScope, Project, VoteSettings
from budgets.operations import list_budgets, vote_settings
from participation.errors import Conflict, DomainError, NotFound, PermissionDenied
from participation.extensions import db
from participation.models import Action, District, Process, User
from participation.permissions import require_confirmed

from .models import Ballot, BallotChoice, Channel, Voter

RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_receipt_code() -> str:
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _i in range(16))  # 80 bits: cannot be guessed
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def receipt_hash(code: str) -> str:
    normalised = "".join(c for c in (code or "").upper() if c.isalnum())
    return hashlib.sha256(normalised.encode()).hexdigest()


def voter_for_user(process: Process, user: User | None) -> Voter | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(Voter).where(Voter.process_id == process.id, Voter.user_id == user.id))


def project_map(budget: Budget) -> dict[int, Project]:
    return {p.id: p for p in db.session.scalars(select(Project).where(Project.budget_id == budget.id))}


def ballot_summary(budget: Budget, choices: dict[int, int]) -> BallotSummary:
    return summarise(budget, project_map(budget), choices)


def budget_allowed(settings: VoteSettings, voter: Voter | None, budget: Budget) -> bool:
    """Whether this voter may vote in this budget (None: not yet registered, judged optimistically)."""
    if budget.district_id is None or settings.scope == BudgetScope.all or voter is None:
        return True
    return voter.district_id in (None, budget.district_id) if settings.scope == \
        BudgetScope.city_plus_chosen_district else voter.district_id == budget.district_id


def _check_scope(settings: VoteSettings, voter: Voter, budget: Budget) -> None:
    if budget.district_id is None or settings.scope == BudgetScope.all:
        return
    if voter.district_id == budget.district_id:
        return
    if settings.scope == BudgetScope.city_plus_chosen_district and voter.district_id is None:
        voter.district_id = budget.district_id  # the district is chosen by the first ballot cast in one
        return
    district = db.session.get(District, voter.district_id) if voter.district_id else None
    if district is None:
        raise PermissionDenied(_("You can vote in the budget of your district only, and it is not known."))
    raise PermissionDenied(_("You can vote in the city-wide budget and in the budget of one district only: "
                             "yours is %(district)s.", district=district.name))


def channel_name(channel: Channel) -> str:
    return _("on paper at a stand") if channel == Channel.paper else _("online")


def already_voted_message(ballot, *, you: bool) -> str:
    """`ballot`: anything with `channel` and `cast_at`."""
    when = format_datetime(ballot.cast_at, "short")
    if you:
        return _("You have already voted in this budget %(channel)s on %(time)s.",
                 channel=channel_name(ballot.channel), time=when)
    return _("This person has already voted in this budget %(channel)s on %(time)s.",
             channel=channel_name(ballot.channel), time=when)


def cast_ballot(voter_id: int | None, budget: Budget, choices: dict[int, int], *, channel: Channel,
                operator_id: int | None = None, you: bool = True, user_id: int | None = None) -> tuple[Ballot, str]:
    """Record a ballot for the voter (by id, or by account with `user_id`) in `budget` (choices: project
    id -> points). Returns the ballot and its receipt code (only its hash is stored). Commits; raises a
    DomainError and stores nothing when a check fails."""
    try:
        where = Voter.id == voter_id if voter_id is not None else (
            (Voter.process_id == budget.process_id) & (Voter.user_id == user_id))
        voter = db.session.scalar(select(Voter).where(where).with_for_update()
                                  .execution_options(populate_existing=True))
        if voter is None and voter_id is None:
            raise PermissionDenied(_("Please confirm that you may take part in this vote first."))
        if voter is None or voter.process_id != budget.process_id:
            raise NotFound(_("No such voter."))
        process = db.session.get(Process, budget.process_id)
        if not process.allows(Action.vote):
            raise Conflict(_("The vote is not open: ballots can only be cast during the vote phase."))
        settings = vote_settings(process)
        _check_scope(settings, voter, budget)
        summary = summarise(budget, project_map(budget), choices)
        if not summary.ok:
            raise DomainError(summary.errors[0])
        current = db.session.execute(select(Ballot.id, Ballot.channel, Ballot.cast_at).where(
            Ballot.voter_id == voter.id, Ballot.budget_id == budget.id, Ballot.is_current.is_(True))).first()
        if current is not None:
            # Paper ballots are final: a person refused at a stand must not be overridden online, and
            # vice versa; online ballots can change only when the process allows it.
            if settings.ballot_final or channel == Channel.paper or current.channel == Channel.paper:
                raise Conflict(already_voted_message(current, you=you))
            # Free the (voter, budget) current slot before taking it; the old row keeps its choices.
            db.session.execute(update(Ballot).where(Ballot.id == current.id).values(is_current=False))
        code = new_receipt_code()
        ballot = Ballot(voter_id=voter.id, budget_id=budget.id, is_current=True, channel=channel,
                        operator_id=operator_id, receipt_hash=receipt_hash(code))
        ballot.choices = [BallotChoice(project_id=pid, points=points) for pid, points in sorted(choices.items())]
        db.session.add(ballot)
        db.session.flush()
        if current is not None:
            db.session.execute(update(Ballot).where(Ballot.id == current.id).values(superseded_by_id=ballot.id))
        # No outbox job: a ballot has no side effect, so a plain commit (no relay round trip).
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # only a concurrent twin that slipped past the lock (SQLite) gets here
        raise Conflict(_("Another ballot was being recorded at the same time. Please check your ballot."))
    except Exception:
        db.session.rollback()
        raise
    return ballot, code


def cast_online_ballot(user: User, process: Process, budget: Budget, choices: dict[int, int]) -> tuple[Ballot, str]:
    require_confirmed(user)
    if budget.process_id != process.id:
        raise NotFound(_("No such budget."))
    return cast_ballot(None, budget, choices, channel=Channel.online, user_id=user.id)


def current_ballots(voter: Voter | None) -> dict[int, Ballot]:
    """The voter's current ballot per budget id."""
    if voter is None:
        return {}
    return {b.budget_id: b for b in db.session.scalars(select(Ballot).where(
        Ballot.voter_id == voter.id, Ballot.is_current.is_(True)))}


def votable_budgets(process: Process, voter: Voter | None) -> list[Budget]:
    settings = vote_settings(process)
    return [b for b in list_budgets(process) if budget_allowed(settings, voter, b)]


@dataclass
class ReceiptStatus:
    status: str  # counted, superseded, not_found
    cast_at: datetime | None = None
    superseded_at: datetime | None = None
    budget: Budget | None = None


def check_receipt(process: Process, code: str) -> ReceiptStatus:
    """What anyone holding a receipt code may learn: counted or superseded, and when. Never the choices."""
    ballot = db.session.scalar(select(Ballot).join(Budget).where(
        Ballot.receipt_hash == receipt_hash(code), Budget.process_id == process.id))
    if ballot is None:
        return ReceiptStatus("not_found")
    if ballot.is_current:
        return ReceiptStatus("counted", ballot.cast_at, budget=ballot.budget)
    later = db.session.get(Ballot, ballot.superseded_by_id) if ballot.superseded_by_id else None
    return ReceiptStatus("superseded", ballot.cast_at, later.cast_at if later else None, budget=ballot.budget)


def budget_election(budget: Budget) -> dict:
    """The tally input as plain data: amount, projects and the current ballots of both channels.

    {"budget": int, "currency": str, "vote_type": "approval" | "cumulative",
     "projects": [{"id": str, "cost": int, "name": str}],
     "ballots": [frozenset[str]] or [dict[str, int]]}
    `votes.rules.Election(d["budget"], [Project(**p) for p in d["projects"]], d["ballots"], d["vote_type"])`.
    Withdrawn projects are left out, and so are their choices on ballots.
    """
    projects = [p for p in db.session.scalars(select(Project).where(Project.budget_id == budget.id)
                                              .order_by(Project.id)) if not p.withdrawn]
    kept = {p.id for p in projects}
    rows = db.session.execute(
        select(BallotChoice.ballot_id, BallotChoice.project_id, BallotChoice.points)
        .join(Ballot, Ballot.id == BallotChoice.ballot_id)
        .where(Ballot.budget_id == budget.id, Ballot.is_current.is_(True))
        .order_by(BallotChoice.ballot_id, BallotChoice.project_id))
    per_ballot: dict[int, dict[str, int]] = {}
    for ballot_id, project_id, points in rows:
        entry = per_ballot.setdefault(ballot_id, {})
        if project_id in kept:
            entry[str(project_id)] = points
    cumulative = budget.vote_type == "cumulative"
    ballots = [dict(c) if cumulative else frozenset(c) for c in per_ballot.values() if c]
    return {"budget": budget.amount, "currency": budget.currency, "vote_type": budget.vote_type,
            "projects": [{"id": str(p.id), "cost": p.cost, "name": p.title} for p in projects],
            "ballots": ballots}
