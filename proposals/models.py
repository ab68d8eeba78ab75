"""Proposals and petitions, their authors, images, supports, comments, follows, reports and blocks."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON, Boolean, CheckConstraint, DateTime, Enum, ForeignKey, Index, Integer, String, Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.extensions import db
from participation.models import District, Process, User, translate, utcnow
from participation.places import PlaceMixin, place_constraints


class ProposalStatus(str, enum.Enum):
    published = "published"
    evaluating = "evaluating"
    accepted = "accepted"
    rejected = "rejected"
    duplicate = "duplicate"  # points to the proposal it duplicates (duplicate_of_id)
    withdrawn = "withdrawn"


class ProposalKind(str, enum.Enum):
    idea = "idea"
    petition = "petition"


class ReportReason(str, enum.Enum):
    spam = "spam"
    offensive = "offensive"
    off_topic = "off_topic"
    other = "other"


# Themes every new commune starts with; keys are stable, names are translated.
DEFAULT_THEMES = {
    "environment": {"fr": "Environnement", "en": "Environment", "de": "Umwelt"},
    "living-environment": {"fr": "Cadre de vie", "en": "Living environment", "de": "Lebensumfeld"},
    "mobility": {"fr": "Mobilité", "en": "Mobility", "de": "Mobilität"},
    "social": {"fr": "Solidarité et social", "en": "Social", "de": "Soziales"},
    "culture": {"fr": "Culture et sport", "en": "Culture", "de": "Kultur"},
    "economy": {"fr": "Économie", "en": "Economy", "de": "Wirtschaft"},
}


class Theme(db.Model):
    __tablename__ = "themes"
    __table_args__ = (UniqueConstraint("commune_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(60))
    name: Mapped[dict] = mapped_column(JSON, default=dict)  # per language
    position: Mapped[int] = mapped_column(Integer, default=0)

    def label(self, locale: str | None) -> str:
        if isinstance(self.name, str):
            return self.name
        return translate(self.name, locale, "fr") or self.key


class UserGroup(db.Model):
    """An association or collective that authors proposals; its members act on its behalf."""
    __tablename__ = "user_groups"
    __table_args__ = (UniqueConstraint("commune_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    members: Mapped[list[User]] = relationship(secondary="user_group_members", order_by="User.nickname")


class UserGroupMember(db.Model):
    __tablename__ = "user_group_members"
    group_id: Mapped[int] = mapped_column(ForeignKey("user_groups.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class ProposalSettings(db.Model):
    """Per-process rules for proposals; a process without a row uses the defaults below."""
    __tablename__ = "proposal_settings"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), unique=True)
    petitions_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    petition_threshold: Mapped[int] = mapped_column(Integer, default=100)
    petition_days: Mapped[int] = mapped_column(Integer, default=90)  # time to collect signatures
    petition_answer_days: Mapped[int] = mapped_column(Integer, default=60)  # time the commune has to answer
    report_threshold: Mapped[int] = mapped_column(Integer, default=3)  # reports that hide content until review
    __table_args__ = (
        CheckConstraint("petition_threshold > 0", name="threshold_positive"),
        CheckConstraint("report_threshold > 0", name="report_threshold_positive"),
    )


class Proposal(PlaceMixin, db.Model):
    __tablename__ = "proposals"
    __table_args__ = (
        CheckConstraint("support_count >= 0", name="support_count_positive"),
        CheckConstraint("estimated_cost IS NULL OR estimated_cost >= 0", name="cost_positive"),
        *place_constraints(),
        # One status, consistent fields: only a duplicate points to another proposal (never to itself),
        # and a rejection always carries its public justification.
        CheckConstraint("duplicate_of_id IS NULL OR (status = 'duplicate' AND duplicate_of_id <> id)",
                        name="duplicate_consistent"),
        CheckConstraint("status <> 'rejected' OR answer <> ''", name="rejection_answered"),
        Index("ix_proposals_process_created", "process_id", "created_at"),
        Index("ix_proposals_process_supports", "process_id", "support_count"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"), index=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ProposalKind] = mapped_column(Enum(ProposalKind, native_enum=False, length=16),
                                               default=ProposalKind.idea)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")  # sanitised HTML
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id", ondelete="SET NULL"), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id", ondelete="SET NULL"), index=True)
    status: Mapped[ProposalStatus] = mapped_column(
        Enum(ProposalStatus, native_enum=False, length=16), default=ProposalStatus.published, index=True)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)  # by moderation, independent of status
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    support_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    comment_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    group_id: Mapped[int | None] = mapped_column(ForeignKey("user_groups.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Instruction by city services
    estimated_cost: Mapped[int | None] = mapped_column(Integer)  # whole currency units
    feasibility: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text, default="")  # sanitised public answer
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id", ondelete="SET NULL"))
    # Petitions
    signature_threshold: Mapped[int | None] = mapped_column(Integer)
    signature_deadline: Mapped[datetime | None] = mapped_column(DateTime)
    threshold_reached_at: Mapped[datetime | None] = mapped_column(DateTime)
    answer_due_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)

    authors: Mapped[list[User]] = relationship(secondary="proposal_authors", order_by="ProposalAuthor.position",
                                               viewonly=True)
    author_links: Mapped[list[ProposalAuthor]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="ProposalAuthor.position")
    theme: Mapped[Theme | None] = relationship()
    district: Mapped[District | None] = relationship()
    process: Mapped[Process] = relationship()
    group: Mapped[UserGroup | None] = relationship()
    images: Mapped[list[ProposalImage]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="ProposalImage.position")
    duplicate_of: Mapped[Proposal | None] = relationship(remote_side=[id])

    @property
    def is_petition(self) -> bool:
        return self.kind == ProposalKind.petition

    def is_author(self, user) -> bool:
        uid = getattr(user, "id", None)
        return uid is not None and any(link.user_id == uid for link in self.author_links)


class ProposalAuthor(db.Model):
    __tablename__ = "proposal_authors"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    proposal: Mapped[Proposal] = relationship(back_populates="author_links")
    user: Mapped[User] = relationship()


class ProposalImage(db.Model):
    __tablename__ = "proposal_images"
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(80), unique=True)  # random, never the uploaded name
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    alt: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    proposal: Mapped[Proposal] = relationship(back_populates="images")


class Support(db.Model):
    """A support of an idea, or a signature of a petition: one per person per proposal."""
    __tablename__ = "supports"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Follow(db.Model):
    __tablename__ = "proposal_follows"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


MAX_COMMENT_DEPTH = 3


class Comment(db.Model):
    __tablename__ = "comments"
    __table_args__ = (
        CheckConstraint("depth >= 1 AND depth <= 3", name="depth_range"),
        Index("ix_comments_proposal_created", "proposal_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    depth: Mapped[int] = mapped_column(Integer, default=1)
    body: Mapped[str] = mapped_column(Text, default="")  # sanitised HTML; emptied when deleted
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(DateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)  # the comment keeps its place in the thread
    author: Mapped[User | None] = relationship()
    proposal: Mapped[Proposal] = relationship()


class ReportTarget(str, enum.Enum):
    proposal = "proposal"
    comment = "comment"


class Report(db.Model):
    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("target_type", "target_id", "reporter_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"), index=True)
    target_type: Mapped[ReportTarget] = mapped_column(Enum(ReportTarget, native_enum=False, length=16))
    target_id: Mapped[int] = mapped_column(Integer)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[ReportReason] = mapped_column(Enum(ReportReason, native_enum=False, length=16))
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
