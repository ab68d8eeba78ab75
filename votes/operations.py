"""Casting ballots: who may vote where, the one-transaction cast, receipts, and the tally input.

Integrity, in the order `cast_ballot` does it, all in one transaction:
1. lock the voter row (SELECT ... FOR UPDATE on PostgreSQL; SQLite serialises writers), so several
   simultaneous submissions of one voter run one after the other;
2. read the phases, settings, budget and projects (after the lock) and check the phase window and the
   budget scope, then the budget's rule;
3. supersede the current ballot (a flag and a pointer; its choices are never touched) or refuse
   when ballots are final or the current one is on paper;
4. insert the new ballot; the partial unique index (voter, budget) WHERE is_current is the last guard.
Nothing is stored when any check fails. On PostgreSQL the cast is one call of a database function doing
these steps (cast_function.py); on SQLite they run as SQL Core statements built once (no ORM flush).
It is the hot path of the vote (see the README's ballot throughput figures).
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from types import SimpleNamespace

from flask import current_app
from flask_babel import format_datetime, gettext as _, lazy_gettext as _l
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from budgets.ballot_check import BallotSummary, summarise
from budgets.models import Budget, BudgetScope, Project, VoteSettings
from budgets.operations import list_budgets, vote_settings
from participation.errors import Conflict, DomainError, NotFound, PermissionDenied, TooManyRequests
from participation.extensions import db
from participation.models import PHASE_ACTIONS, Action, Commune, District, Phase, Process, User, utcnow
from participation.permissions import require_confirmed

from . import cast_function
from .models import Ballot, BallotChoice, Channel, Voter

RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_receipt_code() -> str:
    bits = int.from_bytes(secrets.token_bytes(10), "big")  # 80 bits: cannot be guessed; 16 letters of 5 bits
    raw = "".join(RECEIPT_ALPHABET[(bits >> (5 * i)) & 31] for i in range(16))
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


def _check_scope(settings, voter, budget: Budget) -> int | None:
    """Refuse a budget outside the voter's scope; returns the voter's district (chosen by this ballot
    in a "city + one district" vote when not chosen yet)."""
    if budget.district_id is None or settings.scope == BudgetScope.all:
        return voter.district_id
    if voter.district_id == budget.district_id:
        return voter.district_id
    if settings.scope == BudgetScope.city_plus_chosen_district and voter.district_id is None:
        return budget.district_id  # the district is chosen by the first ballot cast in one
    raise refusal("scope", detail=voter.district_id)


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


@dataclass(frozen=True)
class CastBallot:
    """The ballot row as recorded (`db.session.get(Ballot, id)` gives the ORM object and its choices)."""
    id: int
    voter_id: int
    budget_id: int
    channel: Channel
    operator_id: int | None
    cast_at: datetime


_budgets, _processes, _phases = Budget.__table__, Process.__table__, Phase.__table__
_settings, _projects, _communes = VoteSettings.__table__, Project.__table__, Commune.__table__
_voters, _ballots, _choices = Voter.__table__, Ballot.__table__, BallotChoice.__table__
_RULE_COLUMNS = ("id", "commune_id", "process_id", "district_id", "amount", "currency", "rule", "min_share_percent",
                 "min_projects", "max_projects", "total_points", "max_points_per_project")


def _cast_statements() -> SimpleNamespace:
    """The cast's statements, built once with bound parameters (building them costs as much as running them)."""
    voter_columns = (_voters.c.id, _voters.c.process_id, _voters.c.district_id)
    current = (_ballots.c.voter_id == bindparam("the_voter")) & (_ballots.c.budget_id == bindparam("the_budget")) \
        & _ballots.c.is_current.is_(True)
    return SimpleNamespace(
        # The voter lock: simultaneous submissions of one person run one after the other from there.
        lock_by_id=select(*voter_columns).where(_voters.c.id == bindparam("voter_id")).with_for_update(),
        lock_by_user=select(*voter_columns).where(
            _voters.c.user_id == bindparam("user_id"),
            _voters.c.process_id == select(_budgets.c.process_id).where(_budgets.c.id == bindparam("budget_id"))
            .scalar_subquery()).with_for_update(),
        # The budget's rule, its process, settings and phases: one row per phase.
        context=select(*(_budgets.c[name] for name in _RULE_COLUMNS), _processes.c.slug.label("process_slug"),
                       _processes.c.published, _processes.c.active_phase_override_id.label("override"),
                       _communes.c.slug.label("commune_slug"), _settings.c.scope, _settings.c.ballot_final,
                       _phases.c.id.label("phase_id"), _phases.c.kind, _phases.c.starts_at, _phases.c.ends_at)
        .select_from(_budgets.join(_processes, _processes.c.id == _budgets.c.process_id)
                     .join(_communes, _communes.c.id == _processes.c.commune_id)
                     .outerjoin(_settings, _settings.c.process_id == _processes.c.id)
                     .outerjoin(_phases, _phases.c.process_id == _processes.c.id))
        .where(_budgets.c.id == bindparam("budget_id")).order_by(_phases.c.position, _phases.c.id),
        projects=select(_projects.c.id, _projects.c.budget_id, _projects.c.cost, _projects.c.withdrawn)
        .where(_projects.c.budget_id == bindparam("budget_id")),
        choose_district=update(_voters).where(_voters.c.id == bindparam("voter_id"))
        .values(district_id=bindparam("the_district")),
        # Free the (voter, budget) current slot and learn what held it, in one statement.
        supersede=update(_ballots).where(current).values(is_current=False)
        .returning(_ballots.c.id, _ballots.c.channel, _ballots.c.cast_at),
        insert_ballot=insert(_ballots).returning(_ballots.c.id),
        insert_choices=insert(_choices),
        recent=select(func.count()).select_from(_ballots).where(
            _ballots.c.voter_id == bindparam("voter_id"), _ballots.c.cast_at > bindparam("since")),
        chain=update(_ballots).where(_ballots.c.id == bindparam("old_id"))
        .values(superseded_by_id=bindparam("new_id")),
    )


_SQL = _cast_statements()


def _vote_context(conn, budget_id: int, commune_slug: str | None, process_slug: str | None):
    """Everything the checks need, read fresh in the cast's transaction, in two statements: the budget's
    rule, its process, phases and settings, then its projects. NotFound when the URL does not match."""
    rows = conn.execute(_SQL.context, {"budget_id": budget_id}).all()
    if not rows or (commune_slug is not None and (rows[0].commune_slug != commune_slug
                                                  or rows[0].process_slug != process_slug
                                                  or not rows[0].published)):
        raise refusal("no_budget")
    first = rows[0]
    # A transient Budget (never added to the session) so the rule check is the very same code.
    budget = Budget(**{name: first._mapping[name] for name in _RULE_COLUMNS})
    phases = [SimpleNamespace(id=r.phase_id, kind=r.kind, starts_at=r.starts_at, ends_at=r.ends_at)
              for r in rows if r.phase_id is not None]
    phase = Process.active_phase(SimpleNamespace(active_phase_override_id=first.override, phases=phases))
    projects = {r.id: r for r in conn.execute(_SQL.projects, {"budget_id": budget_id})}
    settings = SimpleNamespace(scope=first.scope or BudgetScope.all, ballot_final=bool(first.ballot_final))
    return budget, projects, phase is not None and Action.vote in PHASE_ACTIONS[phase.kind], settings


# Refusals whose message needs nothing but the outcome (the others below look at the data).
_REFUSALS = {
    "no_budget": (NotFound, _l("No such budget.")),
    "not_registered": (PermissionDenied, _l("Please confirm that you may take part in this vote first.")),
    "no_voter": (NotFound, _l("No such voter.")),
    "unconfirmed": (PermissionDenied, _l("Please confirm your e-mail address first.")),
    "closed": (Conflict, _l("The vote is not open: ballots can only be cast during the vote phase.")),
    "rate_limited": (TooManyRequests,
                     _l("You have sent many ballots in a short time. Please wait a minute and try again.")),
}


def refusal(outcome: str, *, detail: int | None = None, budget_id: int | None = None,
            choices: dict[int, int] | None = None, previous=None, you: bool = True) -> DomainError:
    """The user's message for a refused cast (the outcomes of the PostgreSQL function, cast_function.py)."""
    if outcome in _REFUSALS:
        error, message = _REFUSALS[outcome]
        return error(message)
    if outcome == "scope":
        district = db.session.get(District, detail) if detail else None
        if district is None:
            return PermissionDenied(_("You can vote in the budget of your district only, and it is not known."))
        return PermissionDenied(_("You can vote in the city-wide budget and in the budget of one district only: "
                                  "yours is %(district)s.", district=district.name))
    if outcome == "rule":  # the message says what to change: the same check in Python gives it
        budget = db.session.get(Budget, budget_id)
        if budget is None:
            return NotFound(_("No such budget."))
        summary = summarise(budget, project_map(budget), choices or {})
        return DomainError(summary.errors[0] if summary.errors else _("This ballot does not follow the rule."))
    if outcome == "already_voted":
        return Conflict(already_voted_message(previous, you=you))
    raise ValueError(f"unknown cast outcome {outcome!r}")


def _cast_with_statements(conn, cast: cast_function.CastRequest, you: bool) -> tuple[int, int]:
    """The cast as SQL Core statements (SQLite). Returns (ballot id, voter id)."""
    budget_id, choices, channel, now, rate = cast.budget_id, cast.choices, cast.channel, cast.now, cast.rate
    if cast.voter_id is not None:
        voter = conn.execute(_SQL.lock_by_id, {"voter_id": cast.voter_id}).first()
    else:
        voter = conn.execute(_SQL.lock_by_user, {"user_id": cast.user_id, "budget_id": budget_id}).first()
    budget, projects, vote_open, settings = _vote_context(conn, budget_id, cast.commune_slug, cast.process_slug)
    if voter is None and cast.voter_id is None:
        raise refusal("not_registered")
    if voter is None or voter.process_id != budget.process_id:
        raise refusal("no_voter")
    if not vote_open:
        raise refusal("closed")
    if rate and channel == Channel.online and rate[0] <= conn.execute(_SQL.recent, {
            "voter_id": voter.id, "since": now - timedelta(seconds=rate[1])}).scalar_one():
        raise refusal("rate_limited")
    district_id = _check_scope(settings, voter, budget)
    summary = summarise(budget, projects, choices)
    if not summary.ok:
        raise DomainError(summary.errors[0])
    if district_id != voter.district_id:
        conn.execute(_SQL.choose_district, {"voter_id": voter.id, "the_district": district_id})
    # Read after the lock, so it sees a twin submission that committed meanwhile; a refusal below
    # rolls the supersede back.
    current = conn.execute(_SQL.supersede, {"the_voter": voter.id, "the_budget": budget_id}).first()
    if current is not None and (settings.ballot_final or channel == Channel.paper
                                or current.channel == Channel.paper):
        # Paper ballots are final: a person refused at a stand must not be overridden online, and
        # vice versa; online ballots can change only when the process allows it.
        raise refusal("already_voted", previous=current, you=you)
    ballot_id = conn.execute(_SQL.insert_ballot, {
        "voter_id": voter.id, "budget_id": budget_id, "is_current": True, "channel": channel,
        "operator_id": cast.operator_id, "receipt_hash": cast.receipt_hash, "cast_at": now}).scalar_one()
    # One multi-row INSERT (an executemany would run one INSERT per choice on the server).
    conn.execute(_SQL.insert_choices.values([{"ballot_id": ballot_id, "project_id": pid, "points": points}
                                             for pid, points in sorted(choices.items())]))
    if current is not None:  # the old ballot keeps its choices; it points to the one that replaced it
        conn.execute(_SQL.chain, {"old_id": current.id, "new_id": ballot_id})
    return ballot_id, voter.id


def _cast_with_function(conn, cast: cast_function.CastRequest, you: bool) -> tuple[int, int]:
    """The cast as one call of the PostgreSQL function (cast_function.py). Returns (ballot id, voter id)."""
    if not cast_function.fits(cast.choices):  # a number no database integer holds: no project, no valid points
        raise refusal("rule", budget_id=cast.budget_id, choices=cast.choices)
    row = conn.exec_driver_sql(cast_function.CALL_SQL, cast.arguments()).one()
    if row.outcome != "ok":
        previous = SimpleNamespace(channel=Channel(row.previous_channel), cast_at=row.previous_cast_at) \
            if row.previous_channel else None
        raise refusal(row.outcome, detail=row.detail, budget_id=cast.budget_id, choices=cast.choices,
                      previous=previous, you=you)
    return row.ballot_id, row.voter_id


def cast_ballot(voter_id: int | None, budget: Budget | int, choices: dict[int, int], *, channel: Channel,
                operator_id: int | None = None, you: bool = True, user_id: int | None = None,
                commune_slug: str | None = None, process_slug: str | None = None,
                rate: tuple[int, int] | None = None) -> tuple[CastBallot, str]:
    """Record a ballot for the voter (by id, or by account with `user_id`) in `budget` (an id or a
    Budget; choices: project id -> points). With `commune_slug`/`process_slug` (the API's URL) the
    budget must belong to them. Returns the ballot and its receipt code (only its hash is stored).
    `rate`: at most so many online ballots per voter in so many seconds (cast_function.ballot_rate).
    Commits; raises a DomainError and stores nothing when a check fails. On PostgreSQL the whole cast
    is one call of a database function; elsewhere the same steps run as statements."""
    budget_id = budget if isinstance(budget, int) else budget.id
    code, now = new_receipt_code(), utcnow()
    try:
        db.session.flush()  # a voter just identified at a stand (ORM) must be visible to the statements below
        conn = db.session.connection()
        record = _cast_with_function if conn.dialect.name == "postgresql" else _cast_with_statements
        ballot_id, the_voter = record(conn, cast_function.CastRequest(
            budget_id, choices, Channel(channel).value, receipt_hash(code), now, voter_id=voter_id, user_id=user_id,
            operator_id=operator_id, commune_slug=commune_slug, process_slug=process_slug, rate=rate), you)
        # No outbox job: a ballot has no side effect, so a plain commit (no relay round trip).
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # only a concurrent twin that slipped past the lock (SQLite) gets here
        raise Conflict(_("Another ballot was being recorded at the same time. Please check your ballot."))
    except Exception:
        db.session.rollback()
        raise
    return CastBallot(ballot_id, the_voter, budget_id, channel, operator_id, now), code


def cast_online_ballot(user: User, process: Process | None, budget: Budget | int, choices: dict[int, int], *,
                       commune_slug: str | None = None, process_slug: str | None = None) -> tuple[CastBallot, str]:
    """An account's ballot. From a page: `process` and a loaded `budget`; from the API: the budget id and
    the URL's slugs, checked in the cast's own queries."""
    require_confirmed(user)
    if process is not None and not isinstance(budget, int) and budget.process_id != process.id:
        raise NotFound(_("No such budget."))
    return cast_ballot(None, budget, choices, channel=Channel.online, user_id=user.id,
                       commune_slug=commune_slug, process_slug=process_slug,
                       rate=cast_function.ballot_rate(current_app.config))


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
