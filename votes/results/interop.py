"""Pabulib interop: import a `.pb` file into a process as a budget with its projects, voters and ballots
(to replay or study a past election), and export any budget as a `.pb` file.

Import keeps the tie-breaking of the file: projects are created in the file's natural id order, so the
platform's ids (which the rules compare) are in the same order; the original ids are kept on the
PabulibImport row. Ballots become paper ballots entered by the importing administrator (a ballot has to
come through a channel), one anonymous voter per ballot. Empty ballots are left out, as every tally of
the platform leaves them out. Nothing is stored when the file has an error: it is parsed entirely first.

Export numbers the voters 1..n in the canonical order of their ballots (never in the order they voted)
and adds an `age` column only when the process collected years of birth and the caller asks for it;
the platform never collects sex.
"""
from __future__ import annotations

import hashlib
import io
import re
import secrets

from flask_babel import gettext as _
from sqlalchemy import insert, select

from budgets.models import Budget, Project, Verification, VotingRule
from budgets.operations import list_budgets, vote_settings
from participation.errors import Conflict, DomainError
from participation.extensions import db
from participation.jobs import commit, enqueue
from participation.models import Commune, Process, Role, User, utcnow
from participation.operations import audit
from participation.permissions import require_role, require_same_commune
from votes import pabulib
from votes.rules import CUMULATIVE, ElectionError, natural_key

from ..models import Ballot, BallotChoice, Channel, Voter
from .models import PabulibImport, TallySettings
from .data import default_tally, from_pabulib_rule, tally_settings, to_pabulib_rule, vote_closed, \
    vote_phase_end

MAX_TITLE = 200


def _meta_line(text: str, key: str) -> int | None:
    """Line number of a META key, for messages about values the reader accepted but we cannot use."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.split(";", 1)[0].strip().lower() == key:
            return number
        if line.strip().upper() == "PROJECTS":
            return None
    return None


def _meta_int(meta: dict, key: str) -> int | None:
    value = (meta.get(key) or "").strip()
    try:
        number = int(float(value))
    except ValueError:
        return None
    return number if number > 0 else None


def parse_file(data: bytes | str) -> tuple[str, pabulib.Election]:
    """Decode and parse an uploaded file; every problem is a DomainError naming the line."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[:exc.start].count(b"\n") + 1
            raise DomainError(_("Line %(line)s: the file is not UTF-8 text.", line=line), field="file") from None
    else:
        text = data.lstrip("\ufeff")
    try:
        election = pabulib.reads(text)
    except pabulib.PabulibError as exc:
        if exc.line is not None:
            raise DomainError(_("Line %(line)s: %(reason)s", line=exc.line, reason=exc.reason), field="file") from None
        raise DomainError(_("This is not a valid Pabulib file: %(reason)s", reason=exc.reason), field="file") from None
    except ElectionError as exc:
        raise DomainError(_("This is not a valid Pabulib file: %(reason)s", reason=str(exc)), field="file") from None
    if election.budget <= 0:
        raise DomainError(_("Line %(line)s: the budget must be positive.", line=_meta_line(text, "budget") or "?"),
                          field="file")
    if not election.projects:
        raise DomainError(_("The file has no project."), field="file")
    return text, election


def _budget_name(meta: dict, name: str, filename: str) -> str:
    if name.strip():
        return name.strip()[:MAX_TITLE]
    parts = [meta.get(k, "").strip() for k in ("unit", "subunit", "instance")]
    text = " ".join(p for p in parts if p) or meta.get("description", "").strip() or filename or "Pabulib"
    return text[:MAX_TITLE]


def import_pabulib(actor: User, commune: Commune, process: Process, data: bytes | str, *, name: str = "",
                   filename: str = "") -> Budget:
    """Administrators: create a budget of `process` from a .pb file, then tally it (a job)."""
    require_role(actor, commune, Role.administrator)
    require_same_commune(process.commune_id, commune)
    if not vote_closed(process):
        raise Conflict(_("Past elections can only be imported into a process whose vote is over (or that has no "
                         "vote phase): its budgets would otherwise appear on the ballot."))
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    text, election = parse_file(raw)
    meta = dict(election.meta)
    cumulative = election.vote_type == CUMULATIVE
    ballots = [b for b in pabulib.expand(election) if b]
    empty = election.voters - len(ballots)
    currency = (meta.get("currency") or "").strip().upper()
    budget = Budget(commune_id=commune.id, process_id=process.id, position=len(list_budgets(process)),
                    name={commune.default_language: _budget_name(meta, name, filename)},
                    description={}, amount=election.budget,
                    currency=currency if re.fullmatch(r"[A-Z]{3}", currency) else "EUR",
                    rule=VotingRule.cumulative if cumulative else VotingRule.approval)
    if cumulative:
        budget.max_points_per_project = _meta_int(meta, "max_points") or max(
            (v for b in ballots for v in b.values()), default=1)
        budget.total_points = _meta_int(meta, "max_sum_points") or max(
            (sum(b.values()) for b in ballots), default=1)
    try:
        db.session.add(budget)
        db.session.flush()
        order = sorted(election.projects, key=natural_key)  # platform ids keep the file's tie-breaking order
        rows = [{"commune_id": commune.id, "budget_id": budget.id, "cost": election.projects[pid].cost,
                 "title": (election.projects[pid].name or _("Project %(id)s", id=pid))[:MAX_TITLE],
                 "description": "", "images": [], "address": "", "withdrawn": False, "created_at": utcnow()}
                for pid in order]
        ids = list(db.session.scalars(insert(Project).returning(Project.id, sort_by_parameter_order=True), rows))
        platform = dict(zip(order, ids))
        now = utcnow()
        voter_ids = list(db.session.scalars(insert(Voter).returning(Voter.id, sort_by_parameter_order=True), [
            {"process_id": process.id, "verification": Verification.declaration, "registered_by_id": actor.id,
             "voter_key": hashlib.sha256(f"pabulib:{budget.id}:{i}".encode()).hexdigest(), "created_at": now}
            for i in range(len(ballots))])) if ballots else []
        ballot_ids = list(db.session.scalars(insert(Ballot).returning(Ballot.id, sort_by_parameter_order=True), [
            {"voter_id": voter_id, "budget_id": budget.id, "is_current": True, "channel": Channel.paper,
             "operator_id": actor.id, "receipt_hash": secrets.token_hex(32), "cast_at": now}
            for voter_id in voter_ids])) if ballots else []
        choices = [{"ballot_id": ballot_id, "project_id": platform[pid],
                    "points": ballot[pid] if cumulative else 1}
                   for ballot_id, ballot in zip(ballot_ids, ballots) for pid in ballot]
        if choices:
            db.session.execute(insert(BallotChoice), choices)
        db.session.add(PabulibImport(budget_id=budget.id, filename=filename[:255], meta=meta,
                                     file_digest=hashlib.sha256(raw).hexdigest(), voters=len(ballots),
                                     empty_ballots=empty, imported_by_id=actor.id,
                                     project_ids={str(platform[pid]): pid for pid in order}))
        rule, completion = from_pabulib_rule(meta.get("rule")) or default_tally(budget)
        db.session.add(TallySettings(budget_id=budget.id, rule=rule, completion=completion, updated_by_id=actor.id))
        audit(commune, actor, "results.pabulib_import", "budget", budget.id, reason=filename[:200])
        from .tasks import tally_budget
        enqueue(tally_budget, dedupe_key=f"results.tally:{budget.id}:import", budget_id=budget.id)
        commit()
    except Exception:
        db.session.rollback()
        raise
    return budget


def age_collected(process: Process) -> bool:
    """Years of birth are only asked when the process has an age rule."""
    return vote_settings(process).min_age is not None


def _meta(budget: Budget) -> dict:
    process, commune = budget.process, budget.process.commune
    lang = commune.default_language
    name = budget.name_in(lang)
    meta = {"description": f"{commune.title(lang)}: {process.title_in(lang)}, {name}",
            "unit": commune.title(lang), "instance": process.slug, "subunit": name}
    if budget.district is not None:
        meta["district"] = budget.district.name
    meta["budget"] = budget.amount
    meta["rule"] = to_pabulib_rule(*tally_settings(budget))
    meta["currency"] = budget.currency
    phase = next((p for p in process.phases if p.kind.value == "vote"), None)
    if phase is not None:
        meta["date_begin"], meta["date_end"] = phase.starts_at.strftime("%d.%m.%Y"), phase.ends_at.strftime("%d.%m.%Y")
    meta["language"] = lang
    if budget.rule == VotingRule.cumulative:
        meta["max_sum_points"], meta["max_points"] = budget.total_points, budget.max_points_per_project
    else:
        if budget.min_projects:
            meta["min_length"] = budget.min_projects
        if budget.max_projects:
            meta["max_length"] = budget.max_projects
        if budget.min_spend:
            meta["min_sum_cost"] = budget.min_spend
    return meta


def export_pabulib(budget: Budget, *, include_age: bool = False) -> str:
    """The budget's current ballots as a .pb file (voters anonymised; withdrawn projects and empty ballots
    left out, as in the tally). `votes` and, once a result is published, `selected` columns describe
    the projects."""
    from .operations import published_result

    cumulative = budget.vote_type == "cumulative"
    projects = [p for p in db.session.scalars(select(Project).where(Project.budget_id == budget.id)
                                              .order_by(Project.id)) if not p.withdrawn]
    kept = {p.id for p in projects}
    ballots: dict[int, dict[str, int]] = {}
    years: dict[int, int | None] = {}
    for ballot_id, year, project_id, points in db.session.execute(
            select(Ballot.id, Voter.year_of_birth, BallotChoice.project_id, BallotChoice.points)
            .join(Voter, Voter.id == Ballot.voter_id).join(BallotChoice, BallotChoice.ballot_id == Ballot.id)
            .where(Ballot.budget_id == budget.id, Ballot.is_current.is_(True))):
        if project_id in kept:
            ballots.setdefault(ballot_id, {})[str(project_id)] = points
            years[ballot_id] = year
    with_age = include_age and age_collected(budget.process) and any(y for y in years.values())
    end = vote_phase_end(budget.process) or utcnow()

    def text(choice: dict[str, int]) -> tuple:
        ids = sorted(choice, key=natural_key)
        return (",".join(ids), ",".join(str(choice[i]) for i in ids) if cumulative else "")

    # Canonical order (ballot text, then age): the order of the file tells nothing about who voted when.
    rows = sorted(((text(c), (end.year - years[b]) if with_age and years[b] else -1, c) for b, c in ballots.items()),
                  key=lambda r: (r[0], r[1]))
    votes = {str(p.id): 0 for p in projects}
    for _text, _age, choice in rows:
        for pid, points in choice.items():
            votes[pid] += points if cumulative else 1
    published = published_result(budget)
    columns = []
    for p in projects:
        row = {"project_id": str(p.id), "cost": p.cost, "name": p.title, "votes": votes[str(p.id)]}
        if published is not None:
            row["selected"] = 1 if str(p.id) in published.selected_set else 0
        columns.append(row)
    out = io.StringIO()
    pabulib.write(out, _meta(budget), columns,
                  [r[2] if cumulative else frozenset(r[2]) for r in rows], "cumulative" if cumulative else "approval",
                  voter_fields=[{"age": r[1] if r[1] >= 0 else ""} for r in rows] if with_age else None)
    return out.getvalue()


def import_record(budget: Budget) -> PabulibImport | None:
    return db.session.scalar(select(PabulibImport).where(PabulibImport.budget_id == budget.id))


def export_budget(actor: User, commune: Commune, budget: Budget, *, include_age: bool = False) -> str:
    """Administrators, once the vote is over (before, the file would show running counts)."""
    require_role(actor, commune, Role.administrator)
    require_same_commune(budget.commune_id, commune)
    if not vote_closed(budget.process):
        raise Conflict(_("The vote is not over: its ballots can be exported once it has closed."))
    return export_pabulib(budget, include_age=include_age)
