"""Paper ballots entered by reviewers at a stand or a roving polling station."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from budgets.models import Budget, BudgetScope
from participation.errors import Conflict, DomainError
from participation.events import publish
from participation.extensions import db
from participation.jobs import commit
from participation.models import Action, Commune, Process, Role, User, utcnow
from participation.operations import audit
from participation.permissions import require_role, require_same_commune

from .models import Ballot, Channel
from .operations import already_voted_message, cast_ballot
from .operations_voters import ensure_settings, stand_voter


def cast_paper_ballot(operator: User, commune: Commune, budget: Budget, choices: dict[int, int], *,
                      name: str = "", year_of_birth: int | None = None, address: str = "", code: str = "",
                      district_id: int | None = None) -> tuple[Ballot, str]:
    """Identify the person, refuse if they already voted in this budget (any channel), record the
    paper ballot with the operator. Returns the ballot and a receipt code to hand to the person."""
    require_role(operator, commune, Role.reviewer)
    require_same_commune(budget.commune_id, commune)
    process = db.session.get(Process, budget.process_id)
    if not process.allows(Action.vote):
        raise Conflict(_("The vote is not open: ballots can only be cast during the vote phase."))
    settings = ensure_settings(process)
    voter = stand_voter(operator, settings, commune, name=name, year_of_birth=year_of_birth, address=address,
                        code=code, district_id=district_id)
    if settings.scope == BudgetScope.city_plus_residence_district and budget.district_id is not None \
            and voter.district_id is None:
        raise DomainError(_("Choose the district where this person lives."), field="district")
    earlier = db.session.scalar(select(Ballot).where(
        Ballot.voter_id == voter.id, Ballot.budget_id == budget.id, Ballot.is_current.is_(True)))
    if earlier is not None:  # also checked under the voter lock in cast_ballot; this gives the message early
        message = already_voted_message(earlier, you=False)
        user_id, channel, cast_at = voter.user_id, earlier.channel.value, earlier.cast_at
        db.session.rollback()
        if user_id is not None:
            _tell_the_voter(user_id, commune, budget, channel, cast_at)
        raise Conflict(message)
    db.session.flush()
    audit(commune, operator, "ballot.paper", "budget", budget.id)
    return cast_ballot(voter.id, budget, choices, channel=Channel.paper, operator_id=operator.id, you=False)


def _tell_the_voter(user_id: int, commune: Commune, budget: Budget, channel: str, cast_at) -> None:
    """Someone tried to vote on paper in the name of a person who already voted: tell that person
    (in a transaction of its own: the refused ballot itself stores nothing)."""
    attempt = utcnow()
    key = f"{user_id}:{budget.id}:{attempt.isoformat()}"
    publish("ballot.paper_refused", dedupe_key=f"ballot.paper_refused:{key}", user_id=user_id,
            budget=budget.name, channel=channel, time=attempt.isoformat(), commune_id=commune.id,
            ballot_key=key)
    commit()
