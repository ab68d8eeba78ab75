"""Computing, publishing and reading the results of budgets.

`compute_result` is what the tally job runs: the budget's current ballots become an Election, the pure
rules compute the outcome, its explanations and fairness figures (and, beside MES, what greedy would
have chosen), and the canonical Pabulib export of the ballots is stored with its SHA-256 digest. Nothing
is public until an administrator publishes one result per budget; publishing checks the ballots still
have that digest.
"""
from __future__ import annotations

import hashlib

from flask_babel import gettext as _
from sqlalchemy import select, update

from budgets.models import Budget, Project
from budgets.operations import list_budgets
from participation.csv_writer import write_csv
from participation.errors import Conflict, DomainError, NotFound
from participation.events import publish
from participation.extensions import db
from participation.jobs import commit, enqueue
from participation.models import Commune, OutboxJob, OutboxStatus, Process, Role, User, utcnow
from participation.operations import audit
from participation.permissions import require_role, require_same_commune
from votes import pabulib
from votes.rules import ElectionError, fairness, tally

from .models import BudgetResult, TallySettings
from .data import check_tally, election_of, tally_settings, vote_closed


def _compact(figures: dict) -> dict:
    """Exact fractions are kept when short; a 2,000-digit denominator says nothing to a reader."""
    return {k: v for k, v in figures.items() if not (k.endswith("_exact") and len(str(v)) > 64)}


def _version() -> str:
    from participation import __version__
    return __version__


def compute_result(budget_id: int, *, rule: str | None = None, completion: str | None = None,
                   computed_by_id: int | None = None) -> BudgetResult:
    """Tally the budget with its configured rule (or the one given) and store the result (not published).

    Idempotent: when the latest result has the same ballots (digest), rule and software version, it is
    returned instead of storing a twin, so a job delivered twice stores one result."""
    budget = db.session.get(Budget, budget_id)
    if budget is None:
        raise NotFound(_("No such budget."))
    configured = tally_settings(budget)
    rule, completion = check_tally(rule or configured[0], completion or configured[1])
    try:
        election = election_of(budget)
        ballot_file = pabulib.canonical_bytes(election)
        digest = hashlib.sha256(ballot_file).hexdigest()
        latest = latest_result(budget)
        if (latest is not None and latest.ballot_digest == digest and latest.rule == rule
                and latest.completion == completion and latest.software_version == _version()):
            return latest
        outcome = tally(election, rule, completion)
        beside = None if rule == "greedy" else tally(election, "greedy")
    except ElectionError as exc:
        raise DomainError(_("The ballots of this budget cannot be tallied: %(reason)s", reason=str(exc))) from exc
    result = BudgetResult(
        commune_id=budget.commune_id, budget_id=budget.id, computed_by_id=computed_by_id, rule=rule,
        completion=completion, software_version=_version(), amount=budget.amount,
        selected=list(outcome.selected), total_cost=outcome.total_cost, voters=outcome.voters,
        votes=election.votes(), explanations={pid: _compact(e.to_dict()) for pid, e in outcome.explanations.items()},
        fairness=_compact(fairness(election, outcome.selected)),
        greedy=None if beside is None else {"selected": list(beside.selected), "total_cost": beside.total_cost,
                                            "fairness": _compact(fairness(election, beside.selected))},
        details=_compact(dict(outcome.details)), tie_breaking=outcome.tie_breaking, ballot_digest=digest,
        ballot_file=ballot_file.decode("utf-8"), computed_at=utcnow())
    db.session.add(result)
    commit()
    return result


def request_tally(actor: User, commune: Commune, budget: Budget, *, rule: str, completion: str) -> None:
    """Reviewers and administrators: remember the tally rule of the budget and compute it now (a job)."""
    require_role(actor, commune, Role.reviewer)
    require_same_commune(budget.commune_id, commune)
    if not vote_closed(budget.process):
        raise Conflict(_("The vote is not over: results can only be computed once it has closed."))
    try:
        rule, completion = check_tally(rule, completion)
    except ValueError:
        raise DomainError(_("Choose one of the tally rules."), field="rule") from None
    settings = db.session.get(TallySettings, budget.id)
    if settings is None:
        settings = TallySettings(budget_id=budget.id)
        db.session.add(settings)
    if (settings.rule, settings.completion) != (rule, completion):
        audit(commune, actor, "results.tally_rule", "budget", budget.id, reason=f"{rule} {completion}")
    settings.rule, settings.completion = rule, completion
    settings.updated_at, settings.updated_by_id = utcnow(), actor.id
    audit(commune, actor, "results.compute", "budget", budget.id, reason=f"{rule} {completion}")
    from .tasks import tally_budget
    enqueue(tally_budget, budget_id=budget.id, rule=rule, completion=completion, requested_by_id=actor.id)
    commit()


def publish_result(actor: User, commune: Commune, result: BudgetResult) -> BudgetResult:
    """Administrators: make this result the public one of its budget (replacing an earlier one)."""
    require_role(actor, commune, Role.administrator)
    require_same_commune(result.commune_id, commune)
    budget = result.budget
    if result.is_published:
        return result
    if not vote_closed(budget.process):
        raise Conflict(_("The vote is not over: results can only be published once it has closed."))
    current = hashlib.sha256(pabulib.canonical_bytes(election_of(budget))).hexdigest()
    if current != result.ballot_digest:
        raise Conflict(_("The ballots have changed since this result was computed: compute it again."))
    db.session.execute(update(BudgetResult).where(BudgetResult.budget_id == budget.id,
                                                  BudgetResult.is_published.is_(True)).values(is_published=False))
    result.is_published, result.published_at, result.published_by_id = True, utcnow(), actor.id
    audit(commune, actor, "results.publish", "budget", budget.id, reason=result.ballot_digest)
    process = budget.process
    publish("results.published", dedupe_key=f"results.published:{process.id}", process_id=process.id,
            url=_results_url(process))
    commit()
    return result


def _results_url(process: Process) -> str:
    from participation.urls import external_url
    try:
        return external_url("results.index", commune=process.commune.slug, process=process.slug)
    except Exception:  # noqa: BLE001 - without BASE_URL the handler falls back to the process page
        return ""


def latest_result(budget: Budget) -> BudgetResult | None:
    return db.session.scalar(select(BudgetResult).where(BudgetResult.budget_id == budget.id)
                             .order_by(BudgetResult.computed_at.desc(), BudgetResult.id.desc()).limit(1))


def published_result(budget: Budget) -> BudgetResult | None:
    return db.session.scalar(select(BudgetResult).where(BudgetResult.budget_id == budget.id,
                                                        BudgetResult.is_published.is_(True)))


def result_history(budget: Budget) -> list[BudgetResult]:
    return list(db.session.scalars(select(BudgetResult).where(BudgetResult.budget_id == budget.id)
                                   .order_by(BudgetResult.computed_at.desc(), BudgetResult.id.desc())))


def published_results(process: Process) -> list[tuple[Budget, BudgetResult | None]]:
    return [(budget, published_result(budget)) for budget in list_budgets(process)]


def pending_tallies(budget_ids: list[int]) -> set[int]:
    """Budgets whose tally job is waiting or running (the page then says so and refreshes itself)."""
    rows = db.session.scalars(select(OutboxJob.args).where(
        OutboxJob.task == "votes.results.tasks.tally_budget",
        OutboxJob.status.in_([OutboxStatus.pending, OutboxStatus.queued])))
    return {args.get("budget_id") for args in rows} & set(budget_ids)


def get_result(commune: Commune, result_id: int) -> BudgetResult:
    result = db.session.get(BudgetResult, result_id)
    if result is None:
        raise NotFound(_("No such result."))
    require_same_commune(result.commune_id, commune)
    return result


def result_projects(result: BudgetResult) -> dict[str, Project]:
    """The budget's projects by engine id (str), withdrawn ones included (they may be in an old result)."""
    return {str(p.id): p for p in db.session.scalars(select(Project).where(Project.budget_id == result.budget_id))}


def votes_csv(result: BudgetResult) -> str:
    """Votes per project: one row per project, winners first in the order they were selected."""
    projects = result_projects(result)
    order = list(result.selected) + sorted((pid for pid in result.votes if pid not in result.selected_set),
                                           key=lambda pid: (-result.votes[pid], pid))
    rows = []
    for pid in order:
        project = projects.get(pid)
        rank = result.selected.index(pid) + 1 if pid in result.selected_set else ""
        cost = result.explanations.get(pid, {}).get("cost", "")
        rows.append([pid, project.title if project else "", cost, result.votes[pid],
                     1 if pid in result.selected_set else 0, rank])
    return write_csv(["project_id", "name", "cost", "votes", "selected", "rank"], rows)
