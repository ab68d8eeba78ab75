"""Paper ballots entered by reviewers at a stand or a roving polling station."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from budgets.models import Budget, BudgetScope
from participation.errors import Conflict, DomainError
from participation.extensions import db
from participation.models import Action, Commune, Process, Role, User
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
        db.session.rollback()
        raise Conflict(message)
    db.session.flush()
    audit(commune, operator, "ballot.paper", "budget", budget.id)
    return cast_ballot(voter.id, budget, choices, channel=Channel.paper, operator_id=operator.id, you=False)
