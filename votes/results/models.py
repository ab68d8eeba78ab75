"""Tally results of budgets (every computation is kept; at most one is published per budget), the tally
rule chosen for each budget, and what a Pabulib import brought in."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from budgets.models import Budget
from participation.extensions import db
from participation.models import utcnow

TALLY_RULES = ("mes", "greedy", "phragmen")
TALLY_COMPLETIONS = ("none", "add1", "greedy", "add1-greedy")


class TallySettings(db.Model):
    """How a budget's ballots are counted (the ballot's own rule lives on Budget.rule).

    Kept apart from Budget until the budgets package carries these two columns itself."""
    __tablename__ = "budget_tally_settings"
    __table_args__ = (
        CheckConstraint("rule IN ('mes', 'greedy', 'phragmen')", name="tally_rule_known"),
        CheckConstraint("completion IN ('none', 'add1', 'greedy', 'add1-greedy')", name="tally_completion_known"),
        CheckConstraint("rule = 'mes' OR completion = 'none'", name="completion_only_for_mes"),
    )
    budget_id: Mapped[int] = mapped_column(ForeignKey("budgets.id", ondelete="CASCADE"), primary_key=True)
    rule: Mapped[str] = mapped_column(String(16), default="mes")
    completion: Mapped[str] = mapped_column(String(16), default="add1")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class BudgetResult(db.Model):
    """One computation of a budget's outcome, with everything needed to explain and re-check it.

    Project ids in the JSON columns are the platform's project ids as strings (the tally engine's ids).
    `ballot_file` is the canonical Pabulib export that was tallied: its SHA-256 is `ballot_digest`, and
    it is the file offered for download, so anyone can recompute the outcome."""
    __tablename__ = "budget_results"
    __table_args__ = (
        # At most one published result per budget; the others stay as history.
        Index("uq_budget_results_published", "budget_id", unique=True,
              postgresql_where=text("is_published"), sqlite_where=text("is_published = 1")),
        Index("ix_budget_results_budget_computed", "budget_id", "computed_at"),
        CheckConstraint("NOT is_published OR published_at IS NOT NULL", name="published_has_date"),
        CheckConstraint("total_cost >= 0 AND voters >= 0", name="result_counts_positive"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"), index=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budgets.id", ondelete="CASCADE"))
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    computed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))  # None: the job
    rule: Mapped[str] = mapped_column(String(16))
    completion: Mapped[str] = mapped_column(String(16), default="none")
    software_version: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int] = mapped_column(Integer)  # the budget's amount when tallied
    selected: Mapped[list] = mapped_column(JSON, default=list)  # project ids in order of selection
    total_cost: Mapped[int] = mapped_column(Integer, default=0)
    voters: Mapped[int] = mapped_column(Integer, default=0)
    votes: Mapped[dict] = mapped_column(JSON, default=dict)  # project id -> votes (approvals or points)
    explanations: Mapped[dict] = mapped_column(JSON, default=dict)  # project id -> Explanation.to_dict()
    fairness: Mapped[dict] = mapped_column(JSON, default=dict)
    greedy: Mapped[dict | None] = mapped_column(JSON)  # {"selected", "total_cost", "fairness"}; None for greedy
    details: Mapped[dict] = mapped_column(JSON, default=dict)  # rule details (add1 iterations, share per voter)
    tie_breaking: Mapped[str] = mapped_column(Text, default="")
    ballot_digest: Mapped[str] = mapped_column(String(64))
    ballot_file: Mapped[str] = mapped_column(Text)
    is_published: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)  # kept when a later result replaces it
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    budget: Mapped[Budget] = relationship()

    @property
    def selected_set(self) -> set[str]:
        return set(self.selected)


class PabulibImport(db.Model):
    """Where an imported budget came from: the file's digest and META, and the original project ids."""
    __tablename__ = "pabulib_imports"
    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budgets.id", ondelete="CASCADE"), unique=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    file_digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the uploaded bytes
    meta: Mapped[dict] = mapped_column(JSON, default=dict)
    project_ids: Mapped[dict] = mapped_column(JSON, default=dict)  # platform project id (str) -> id in the file
    voters: Mapped[int] = mapped_column(Integer, default=0)
    empty_ballots: Mapped[int] = mapped_column(Integer, default=0)  # left out: no tally counts them
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
