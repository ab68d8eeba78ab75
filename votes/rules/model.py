"""Plain data model of a participatory-budgeting election and of a tally result.

No Flask, no SQLAlchemy: this module (and the whole ``votes.rules`` package)
only uses the standard library (and numpy in :mod:`votes.rules.mes`).

Money is always an integer number of currency units (costs and budget).

Tie-breaking (used by every rule, recorded in every result): when two projects
are equally good for a rule, the project with **more votes** wins (approval
count, or sum of points for cumulative ballots, over all voters); then the
**lower cost**; then the **smaller project id** in natural order: ids made only
of ASCII digits compare numerically and come before other ids, which compare
as strings.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Iterable, Mapping

APPROVAL = "approval"
CUMULATIVE = "cumulative"
#: vote types accepted by the rules ("points" is accepted as an alias of cumulative)
SUPPORTED_VOTE_TYPES = (APPROVAL, CUMULATIVE)

TIE_BREAKING = (
    "more votes first (approval count or sum of points), then lower cost, "
    "then smaller project id (numeric ids compared as numbers, before other ids compared as strings)"
)


class ElectionError(ValueError):
    """Invalid election data (bad cost, unknown project in a vote, ...)."""


def natural_key(project_id: str) -> tuple:
    """Sort key of a project id: numeric ids numerically first, then other ids as strings."""
    s = str(project_id)
    if s.isascii() and s.isdigit():
        return (0, int(s), s)
    return (1, 0, s)


@dataclass(frozen=True)
class Project:
    id: str
    cost: int
    name: str = ""


def _check_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ElectionError(f"{what} must be an integer, got {value!r}")
    return value


def normalise_vote_type(vote_type: str) -> str:
    vt = (vote_type or APPROVAL).strip().lower()
    if vt == "points":
        vt = CUMULATIVE
    if vt not in SUPPORTED_VOTE_TYPES:
        raise ElectionError(
            f"unsupported vote_type {vote_type!r} (supported: approval, cumulative)"
        )
    return vt


def ballot_key(ballot: Any, vote_type: str) -> Any:
    """Hashable canonical form of one ballot (frozenset of ids, or sorted tuple of (id, points))."""
    if vote_type == APPROVAL:
        return frozenset(ballot)
    return tuple(sorted(((str(k), int(v)) for k, v in dict(ballot).items()), key=lambda kv: natural_key(kv[0])))


class Election:
    """An election: integer budget, projects, ballots.

    ``ballots`` is a list of approval ballots (``frozenset`` of project ids) or of
    points ballots (``dict`` project id -> positive int points), according to
    ``vote_type`` (``"approval"`` or ``"cumulative"``). ``weights`` (optional)
    gives the multiplicity of each ballot: voters with identical ballots may be
    aggregated. ``voters`` is the total number of voters (sum of weights).

    Validation (raises :class:`ElectionError`): costs must be positive integers,
    the budget a non-negative integer, every voted project must exist, points
    must be positive integers, the vote type must be supported. A project costing
    more than the budget is allowed (it is never selected). An election without
    projects or without voters is valid: every rule selects nothing.
    """

    def __init__(
        self,
        budget: int,
        projects: Mapping[str, Project] | Iterable[Project],
        ballots: Iterable[Any] = (),
        vote_type: str = APPROVAL,
        weights: Iterable[int] | None = None,
        meta: Mapping[str, str] | None = None,
        *,
        validate: bool = True,
    ):
        self.budget = budget
        if isinstance(projects, Mapping):
            self.projects = dict(projects)
        else:
            self.projects = {}
            for p in projects:
                if p.id in self.projects:
                    raise ElectionError(f"duplicate project id {p.id!r}")
                self.projects[p.id] = p
        self.vote_type = normalise_vote_type(vote_type)
        if self.vote_type == APPROVAL:
            self.ballots = [b if isinstance(b, frozenset) else frozenset(b) for b in ballots]
        else:
            self.ballots = [dict(b) for b in ballots]
        self.weights = [1] * len(self.ballots) if weights is None else list(weights)
        self.meta = dict(meta or {})
        if len(self.weights) != len(self.ballots):
            raise ElectionError("weights and ballots have different lengths")
        if validate:
            self.validate()

    # ------------------------------------------------------------------ checks
    def validate(self) -> None:
        _check_int(self.budget, "budget")
        if self.budget < 0:
            raise ElectionError(f"budget must not be negative, got {self.budget}")
        for pid, p in self.projects.items():
            if pid != p.id:
                raise ElectionError(f"project key {pid!r} differs from its id {p.id!r}")
            _check_int(p.cost, f"cost of project {pid!r}")
            if p.cost <= 0:
                raise ElectionError(f"project {pid!r} has a non-positive cost ({p.cost})")
        for i, (b, w) in enumerate(zip(self.ballots, self.weights)):
            _check_int(w, f"weight of ballot {i + 1}")
            if w <= 0:
                raise ElectionError(f"ballot {i + 1} has a non-positive weight ({w})")
            for pid in b:
                if pid not in self.projects:
                    raise ElectionError(f"unknown project id {pid!r} in ballot {i + 1}")
            if self.vote_type == CUMULATIVE:
                for pid, pts in b.items():
                    _check_int(pts, f"points for project {pid!r} in ballot {i + 1}")
                    if pts <= 0:
                        raise ElectionError(
                            f"points for project {pid!r} in ballot {i + 1} must be positive, got {pts}"
                        )

    # ------------------------------------------------------------------ views
    @property
    def voters(self) -> int:
        return sum(self.weights)

    def aggregated(self) -> Counter:
        """Counter: canonical ballot -> number of voters (see :func:`ballot_key`)."""
        c: Counter = Counter()
        for b, w in zip(self.ballots, self.weights):
            c[ballot_key(b, self.vote_type)] += w
        return c

    def compacted(self) -> "Election":
        """Same election with identical ballots merged (weights summed)."""
        agg = self.aggregated()
        ballots = list(agg.keys())
        if self.vote_type == CUMULATIVE:
            ballots = [dict(k) for k in ballots]
        return Election(self.budget, self.projects, ballots, self.vote_type, list(agg.values()), self.meta, validate=False)

    def votes(self) -> dict[str, int]:
        """Votes per project: approval count, or sum of points."""
        v = {pid: 0 for pid in self.projects}
        if self.vote_type == APPROVAL:
            for b, w in zip(self.ballots, self.weights):
                for pid in b:
                    v[pid] += w
        else:
            for b, w in zip(self.ballots, self.weights):
                for pid, pts in b.items():
                    v[pid] += w * pts
        return v

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Election):
            return NotImplemented
        return (
            self.budget == other.budget
            and self.vote_type == other.vote_type
            and self.projects == other.projects
            and self.aggregated() == other.aggregated()
        )

    def __repr__(self) -> str:
        return (
            f"Election(budget={self.budget}, projects={len(self.projects)}, "
            f"ballots={len(self.ballots)}, voters={self.voters}, vote_type={self.vote_type!r})"
        )


def tie_key(votes: Mapping[str, int], projects: Mapping[str, Project]):
    """Key function: smaller key = preferred by tie-breaking."""

    def key(pid: str):
        return (-votes[pid], projects[pid].cost, natural_key(pid))

    return key


@dataclass
class Explanation:
    """Why a project was selected or rejected (for the results page).

    ``code`` is a stable machine-readable reason, ``text`` an English sentence;
    other fields are filled when meaningful. Money fields are in currency units;
    fractional amounts are exact :class:`fractions.Fraction` values.

    Codes: ``selected`` (by the main rule), ``selected_completion`` (by the greedy
    completion), ``no_support`` (nobody voted for it), ``exceeds_budget`` (costs
    more than the whole budget), ``unaffordable`` (MES: its supporters' remaining
    money could not cover it), ``did_not_fit`` (greedy: cost above the remaining
    budget), ``stopped`` (greedy "stop" variant or Phragmén stopped before it).
    """

    project_id: str
    selected: bool
    code: str
    text: str
    round: int | None = None  # 1-based selection round (in the kept MES run, or greedy order)
    votes: int = 0
    cost: int = 0
    # MES selected project
    rho: Fraction | None = None  # price per unit of utility (utility = cost for approval, points for cumulative)
    price_per_supporter: Fraction | None = None  # what a paying-in-full supporter paid (per vote unit)
    supporters_paid_all: int = 0  # supporters who paid all their remaining money
    supporters_paid_price: int = 0  # supporters who paid the price (rho x utility) and kept money
    supporters_without_money: int = 0  # supporters who had no money left (paid nothing)
    # MES rejected project: supporters' remaining money when it was dropped (display only, float)
    supporters_money: float | None = None
    # greedy / completion: remaining real budget when the project was considered
    remaining_budget: int | None = None
    # Phragmén: time (load) at which it was bought
    load: Fraction | None = None

    def to_dict(self) -> dict:
        d = {}
        for k, v in self.__dict__.items():
            if isinstance(v, Fraction):
                d[k] = float(v)
                d[k + "_exact"] = f"{v.numerator}/{v.denominator}" if v.denominator != 1 else str(v.numerator)
            else:
                d[k] = v
        return d


@dataclass
class TallyResult:
    selected: list[str]
    total_cost: int
    budget: int
    rule: str
    completion: str
    voters: int
    tie_breaking: str = TIE_BREAKING
    explanations: dict[str, Explanation] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, explanations: bool = False) -> dict:
        d = {
            "selected": list(self.selected),
            "total_cost": self.total_cost,
            "budget": self.budget,
            "rule": self.rule,
            "completion": self.completion,
            "voters": self.voters,
            "tie_breaking": self.tie_breaking,
        }
        d.update(self.details)
        if explanations:
            d["explanations"] = {k: e.to_dict() for k, e in self.explanations.items()}
        return d
