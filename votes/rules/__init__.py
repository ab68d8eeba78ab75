"""Pure participatory-budgeting tally rules (no Flask, no SQLAlchemy).

Entry point: :func:`tally`. See :mod:`votes.rules.model` for the data model and
the tie-breaking rule, :mod:`votes.rules.mes`, :mod:`votes.rules.greedy`,
:mod:`votes.rules.phragmen` for the rules, :mod:`votes.rules.fairness` for the
fairness figures.
"""

from __future__ import annotations

from .fairness import fairness
from .greedy import greedy
from .mes import COMPLETIONS, equal_shares, greedy_fill
from .model import (
    APPROVAL,
    CUMULATIVE,
    TIE_BREAKING,
    Election,
    ElectionError,
    Explanation,
    Project,
    TallyResult,
    natural_key,
)
from .phragmen import sequential_phragmen

RULES = ("greedy", "mes", "phragmen")


def tally(election: Election, rule: str = "mes", completion: str = "none", greedy_variant: str = "skip") -> TallyResult:
    """Compute the outcome of ``election`` with ``rule`` (greedy, mes, phragmen).

    ``completion`` (none, add1, greedy, add1-greedy) applies to MES only; for the
    other rules only ``none`` is accepted. ``greedy_variant`` (skip, stop) applies
    to the greedy rule.
    """
    if completion not in COMPLETIONS:
        raise ValueError(f"unknown completion {completion!r} (choose from {', '.join(COMPLETIONS)})")
    if rule == "mes":
        return equal_shares(election, completion)
    if completion != "none":
        raise ValueError(f"completion {completion!r} only applies to rule 'mes'")
    if rule == "greedy":
        return greedy(election, greedy_variant)
    if rule == "phragmen":
        return sequential_phragmen(election)
    raise ValueError(f"unknown rule {rule!r} (choose from {', '.join(RULES)})")


__all__ = [
    "APPROVAL", "CUMULATIVE", "COMPLETIONS", "RULES", "TIE_BREAKING", "Election", "ElectionError",
    "Explanation", "Project", "TallyResult", "equal_shares", "fairness", "greedy", "greedy_fill",
    "natural_key", "sequential_phragmen", "tally",
]
