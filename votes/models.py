"""Voters and their ballots. Ballots are append-only: a change adds a ballot that supersedes the
previous one; one current ballot per (voter, budget) is enforced by a partial unique index."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean, CheckConstraint, DateTime, Enum, ForeignKey, Index, Integer, String, UniqueConstraint, text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from budgets.models import Budget, Project, Verification
from participation.extensions import db
from participation.models import User, utcnow


class Channel(str, enum.Enum):
    online = "online"
    paper = "paper"


class Voter(db.Model):
    """One person in one process, whatever the channel.

    `voter_key` is unique per process: a salted hash of what identifies the person (their
    normalised name + year of birth + address when they were identified by it, their vote code,
    or their account when they only declared eligibility). The same person reaching the vote
    through two channels with the same key is the same voter, so they cannot vote twice.
    """
    __tablename__ = "voters"
    __table_args__ = (
        UniqueConstraint("process_id", "voter_key"),
        Index("uq_voters_process_user", "process_id", "user_id", unique=True,
              postgresql_where=text("user_id IS NOT NULL"), sqlite_where=text("user_id IS NOT NULL")),
        CheckConstraint("year_of_birth IS NULL OR (year_of_birth >= 1900 AND year_of_birth <= 2100)",
                        name="year_of_birth_range"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), index=True)
    voter_key: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verification: Mapped[Verification] = mapped_column(Enum(Verification, native_enum=False, length=16))
    year_of_birth: Mapped[int | None] = mapped_column(Integer)  # only when the process has an age rule
    # Residence district (census, code) or the district chosen for a "city + one district" vote.
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id", ondelete="SET NULL"))
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])


class Ballot(db.Model):
    __tablename__ = "ballots"
    __table_args__ = (
        Index("uq_ballots_current", "voter_id", "budget_id", unique=True,
              postgresql_where=text("is_current"), sqlite_where=text("is_current = 1")),
        Index("ix_ballots_budget_current", "budget_id", "is_current"),
        CheckConstraint("channel = 'online' OR operator_id IS NOT NULL", name="paper_has_operator"),
        CheckConstraint("NOT is_current OR superseded_by_id IS NULL", name="current_not_superseded"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("voters.id", ondelete="RESTRICT"), index=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budgets.id", ondelete="RESTRICT"))
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("ballots.id", ondelete="RESTRICT"))
    channel: Mapped[Channel] = mapped_column(Enum(Channel, native_enum=False, length=8))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    receipt_hash: Mapped[str] = mapped_column(String(64), unique=True)  # the voter keeps the code itself
    cast_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    voter: Mapped[Voter] = relationship()
    budget: Mapped[Budget] = relationship()
    choices: Mapped[list[BallotChoice]] = relationship(back_populates="ballot", cascade="all, delete-orphan",
                                                       order_by="BallotChoice.project_id")


class BallotChoice(db.Model):
    __tablename__ = "ballot_choices"
    __table_args__ = (CheckConstraint("points > 0", name="points_positive"),)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="RESTRICT"), primary_key=True)
    points: Mapped[int] = mapped_column(Integer, default=1)  # 1 for approval ballots

    ballot: Mapped[Ballot] = relationship(back_populates="choices")
    project: Mapped[Project] = relationship()
