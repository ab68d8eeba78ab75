"""Turnout statistics for staff: per budget, district, channel, age bracket and day; CSV export.
Only counts of people and ballots: no project's votes (those belong to the results, after the vote)."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select

from budgets.operations import list_budgets
from participation.csv_writer import write_csv
from participation.extensions import db
from participation.models import Commune, District, Process, Role, User, utcnow
from participation.permissions import require_role, require_same_commune

from .models import Ballot, Channel, Voter

AGE_BRACKETS = [(0, 17), (18, 24), (25, 34), (35, 49), (50, 64), (65, 200)]


@dataclass
class Turnout:
    voters: int = 0  # people with at least one current ballot
    per_budget: list[tuple[object, int, dict[str, int]]] = field(default_factory=list)  # budget, ballots, by channel
    per_channel: dict[str, int] = field(default_factory=dict)
    per_district: list[tuple[str, int]] = field(default_factory=list)  # voters by their district
    per_age: list[tuple[str, int]] = field(default_factory=list)
    per_day: list[tuple[object, int, int]] = field(default_factory=list)  # day, ballots cast, of which paper
    age_collected: bool = False


def _bracket(age: int) -> str:
    for low, high in AGE_BRACKETS:
        if low <= age <= high:
            return f"{low}+" if high >= 200 else f"{low}-{high}"
    return "?"


def turnout(actor: User, commune: Commune, process: Process) -> Turnout:
    require_role(actor, commune, Role.reviewer)
    require_same_commune(process.commune_id, commune)
    t = Turnout()
    budgets = list_budgets(process)
    budget_ids = [b.id for b in budgets]
    if not budget_ids:
        return t
    current = (Ballot.is_current.is_(True)) & Ballot.budget_id.in_(budget_ids)
    by_budget: dict[int, Counter] = defaultdict(Counter)
    for budget_id, channel, n in db.session.execute(
            select(Ballot.budget_id, Ballot.channel, func.count()).where(current)
            .group_by(Ballot.budget_id, Ballot.channel)):
        by_budget[budget_id][channel.value] += n
    t.per_budget = [(b, sum(by_budget[b.id].values()), dict(by_budget[b.id])) for b in budgets]
    channels: Counter = Counter()
    for counter in by_budget.values():
        channels.update(counter)
    t.per_channel = {c.value: channels.get(c.value, 0) for c in Channel}
    voters = select(Voter.id, Voter.district_id, Voter.year_of_birth).where(
        Voter.id.in_(select(Ballot.voter_id).where(current))).subquery()
    t.voters = db.session.scalar(select(func.count()).select_from(voters)) or 0
    names = {d.id: d.name for d in db.session.scalars(select(District).where(District.commune_id == commune.id))}
    districts: Counter = Counter()
    ages: Counter = Counter()
    year = utcnow().year
    for _vid, district_id, yob in db.session.execute(select(voters)):
        districts[names.get(district_id, _("Not known"))] += 1
        if yob:
            t.age_collected = True
            ages[_bracket(year - yob)] += 1
    t.per_district = sorted(districts.items())
    order = [_bracket(low) for low, _h in AGE_BRACKETS]
    t.per_age = [(b, ages[b]) for b in order if ages[b]]
    days: dict[object, list[int]] = {}
    for cast_at, channel in db.session.execute(select(Ballot.cast_at, Ballot.channel).where(
            Ballot.budget_id.in_(budget_ids))):
        entry = days.setdefault(cast_at.date(), [0, 0])
        entry[0] += 1
        entry[1] += channel == Channel.paper
    t.per_day = [(day, n, paper) for day, (n, paper) in sorted(days.items())]
    return t


def turnout_csv(t: Turnout, locale: str | None) -> str:
    """One table, one row per figure: section, item, value (and paper share where it applies)."""
    rows = [["voters", "all", t.voters, "", ""]]
    for budget, n, channels in t.per_budget:
        rows.append(["budget", budget.name_in(locale), n, channels.get("online", 0), channels.get("paper", 0)])
    for channel, n in t.per_channel.items():
        rows.append(["channel", channel, n, "", ""])
    for district, n in t.per_district:
        rows.append(["district", district, n, "", ""])
    for bracket, n in t.per_age:
        rows.append(["age", bracket, n, "", ""])
    for day, n, paper in t.per_day:
        rows.append(["day", day.isoformat(), n, n - paper, paper])
    return write_csv(["section", "item", "count", "online", "paper"], rows)
