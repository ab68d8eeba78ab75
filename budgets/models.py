"""Budgets and projects of a process, the process's vote settings, and what verifies eligibility:
census entries (salted hashes only) and single-use vote codes (hashes only)."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON, Boolean, CheckConstraint, DateTime, Enum, Float, ForeignKey, Index, Integer, String, Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.extensions import db
from participation.models import District, Process, translate, utcnow


class VotingRule(str, enum.Enum):
    approval = "approval"      # approve projects whose total cost fits the amount (optional minimum share)
    k_approval = "k_approval"  # approve between min_projects and max_projects projects
    cumulative = "cumulative"  # distribute total_points points, at most max_points_per_project each


class BudgetScope(str, enum.Enum):
    """In which budgets of the process one person may vote."""
    all = "all"
    city_plus_chosen_district = "city_plus_chosen_district"
    city_plus_residence_district = "city_plus_residence_district"  # district from the census or the vote code


class Audience(str, enum.Enum):
    residents = "residents"
    residents_and_users = "residents_and_users"  # "habitants et usagers": people who work or study there too


class Verification(str, enum.Enum):
    """How a voter's eligibility was established; recorded on every voter."""
    declaration = "declaration"  # the person attests online
    census = "census"            # matched a census entry imported by administrators
    code = "code"                # used a single-use vote code
    stand = "stand"              # identified by staff at a stand (paper ballots)


class VoteSettings(db.Model):
    """How a process votes: eligibility, verification, scope, and whether a ballot can change."""
    __tablename__ = "vote_settings"
    __table_args__ = (CheckConstraint("min_age IS NULL OR (min_age >= 0 AND min_age <= 120)", name="min_age_range"),)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), primary_key=True)
    scope: Mapped[BudgetScope] = mapped_column(Enum(BudgetScope, native_enum=False, length=32),
                                               default=BudgetScope.all)
    audience: Mapped[Audience] = mapped_column(Enum(Audience, native_enum=False, length=32),
                                               default=Audience.residents_and_users)
    min_age: Mapped[int | None] = mapped_column(Integer)
    # Online voters prove eligibility this way; paper ballots are always verified by staff at the stand.
    online_verification: Mapped[Verification] = mapped_column(
        Enum(Verification, native_enum=False, length=16), default=Verification.declaration)
    ballot_final: Mapped[bool] = mapped_column(Boolean, default=False)  # False: the last ballot cast counts
    show_running_counts: Mapped[bool] = mapped_column(Boolean, default=False)  # off: no bandwagon effect
    # Random per-process salt of the identity hashes, so the same person hashes differently elsewhere.
    salt: Mapped[str] = mapped_column(String(64))


class Budget(db.Model):
    __tablename__ = "budgets"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("min_share_percent IS NULL OR (min_share_percent >= 0 AND min_share_percent <= 100)",
                        name="min_share_range"),
        CheckConstraint("min_projects IS NULL OR min_projects >= 0", name="min_projects_positive"),
        CheckConstraint("max_projects IS NULL OR max_projects >= 1", name="max_projects_positive"),
        CheckConstraint("min_projects IS NULL OR max_projects IS NULL OR min_projects <= max_projects",
                        name="projects_bounds_ordered"),
        CheckConstraint("rule != 'cumulative' OR (total_points >= 1 AND max_points_per_project >= 1)",
                        name="cumulative_points"),
        CheckConstraint("rule != 'k_approval' OR max_projects IS NOT NULL", name="k_approval_max"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"), index=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), index=True)
    name: Mapped[dict] = mapped_column(JSON, default=dict)  # per language
    description: Mapped[dict] = mapped_column(JSON, default=dict)  # sanitised HTML per language
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id", ondelete="RESTRICT"))  # None: city-wide
    amount: Mapped[int] = mapped_column(Integer)  # whole currency units
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    rule: Mapped[VotingRule] = mapped_column(Enum(VotingRule, native_enum=False, length=16),
                                             default=VotingRule.approval)
    min_share_percent: Mapped[int | None] = mapped_column(Integer)  # approval: spend at least this share
    min_projects: Mapped[int | None] = mapped_column(Integer)
    max_projects: Mapped[int | None] = mapped_column(Integer)  # k-approval; also a cap for approval (Warsaw: 15)
    total_points: Mapped[int | None] = mapped_column(Integer)
    max_points_per_project: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    process: Mapped[Process] = relationship()
    district: Mapped[District | None] = relationship()
    projects: Mapped[list[Project]] = relationship(back_populates="budget", order_by="Project.title",
                                                  cascade="all, delete-orphan")

    def name_in(self, locale: str | None) -> str:
        return translate(self.name, locale, self.process.commune.default_language)

    def description_in(self, locale: str | None) -> str:
        return translate(self.description, locale, self.process.commune.default_language)

    @property
    def is_city_wide(self) -> bool:
        return self.district_id is None

    @property
    def vote_type(self) -> str:
        """The ballot shape the tally rules expect."""
        return "cumulative" if self.rule == VotingRule.cumulative else "approval"

    @property
    def min_spend(self) -> int:
        return (self.amount * self.min_share_percent + 99) // 100 if self.min_share_percent else 0


class Project(db.Model):
    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint("cost > 0", name="cost_positive"),
        CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)", name="latitude_range"),
        CheckConstraint("longitude IS NULL OR (longitude >= -180 AND longitude <= 180)", name="longitude_range"),
        UniqueConstraint("budget_id", "proposal_id"),  # one proposal becomes at most one project per budget
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"), index=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budgets.id", ondelete="CASCADE"), index=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")  # sanitised HTML
    cost: Mapped[int] = mapped_column(Integer)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id", ondelete="SET NULL"))
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id", ondelete="SET NULL"))
    images: Mapped[list] = mapped_column(JSON, default=list)  # [{"src": url, "alt": text}]
    address: Mapped[str] = mapped_column(String(255), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)  # kept for audit; not on new ballots
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    budget: Mapped[Budget] = relationship(back_populates="projects")
    district: Mapped[District | None] = relationship()


class CensusEntry(db.Model):
    """A person allowed to vote, known only by the salted hash of (name, year of birth, address)."""
    __tablename__ = "census_entries"
    __table_args__ = (UniqueConstraint("process_id", "key_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id", ondelete="SET NULL"))
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class VoteCode(db.Model):
    """A single-use code printed and handed out; only its hash is stored."""
    __tablename__ = "vote_codes"
    __table_args__ = (Index("ix_vote_codes_process_batch", "process_id", "batch"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id", ondelete="SET NULL"))
    batch: Mapped[int] = mapped_column(Integer, default=1)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
