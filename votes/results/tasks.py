"""Tally jobs: `tally_budget` computes and stores a budget's result; `close_finished_votes` (every minute
in each worker, and from `participation tick`) queues it once for every budget of a process whose vote
phase has ended."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

from budgets.models import Budget
from participation.extensions import db
from participation.jobs import commit, enqueue, periodic, task
from participation.models import Phase, PhaseKind, Process, utcnow

from .models import BudgetResult


@task
def tally_budget(budget_id: int, rule: str | None = None, completion: str | None = None,
                 requested_by_id: int | None = None) -> None:
    """Idempotent: computing twice the same ballots with the same rule stores one result."""
    from .operations import compute_result

    if db.session.get(Budget, budget_id) is None:
        return  # deleted meanwhile
    compute_result(budget_id, rule=rule, completion=completion, computed_by_id=requested_by_id)


def close_finished_votes(now: datetime | None = None) -> list[int]:
    """Queue the tally of every budget whose process's vote phase has ended and that has no result computed
    since; the dedupe key (budget and end of the vote) makes it happen once, whoever runs this and how
    often. Returns the ids of the budgets queued by this call or an earlier one."""
    from .data import vote_closed

    now = now or utcnow()
    ended = (select(Process).join(Phase, Phase.process_id == Process.id)
             .where(Phase.kind == PhaseKind.vote, Phase.ends_at <= now)
             .options(selectinload(Process.phases)))
    queued = []
    for process in db.session.scalars(ended).unique():
        if not vote_closed(process, now):  # an administrator reopened the vote by pinning its phase
            continue
        end = next(p.ends_at for p in process.phases if p.kind == PhaseKind.vote)
        budgets = db.session.scalars(select(Budget).where(
            Budget.process_id == process.id,
            ~exists().where(BudgetResult.budget_id == Budget.id, BudgetResult.computed_at >= end)))
        for budget in budgets:
            enqueue(tally_budget, dedupe_key=f"results.tally:{budget.id}:{end:%Y%m%dT%H%M%S}", budget_id=budget.id)
            queued.append(budget.id)
    commit()
    return queued


@periodic(60)
def close_finished_votes_periodically() -> None:
    close_finished_votes()
