"""Accounts, communes (tenants), roles, participatory processes and their phases."""
from __future__ import annotations

import enum
from datetime import datetime, timezone

from flask_login import UserMixin
from sqlalchemy import (
    JSON, Boolean, CheckConstraint, DateTime, Enum, Float, ForeignKey, Index, Integer, String, Text,
    UniqueConstraint, func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def utcnow() -> datetime:
    """Naive UTC: SQLite has no time zones, so every stored datetime is naive UTC."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def translate(values: dict | None, locale: str | None, fallback: str | None) -> str:
    """Pick a per-language text, falling back to the commune's default language, then any."""
    values = values or {}
    for lang in (locale, fallback):
        if lang and values.get(lang):
            return values[lang]
    return next((v for v in values.values() if v), "")


class Role(str, enum.Enum):
    resident = "resident"
    moderator = "moderator"
    reviewer = "reviewer"  # city staff: instruction of proposals, paper-ballot entry
    administrator = "administrator"


class EmailPreference(str, enum.Enum):
    immediately = "immediately"
    daily = "daily"
    never = "never"


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased, never shown publicly
    nickname: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(8))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    email_preference: Mapped[EmailPreference] = mapped_column(
        Enum(EmailPreference, native_enum=False, length=16), default=EmailPreference.immediately)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")

    # The server-side session this request came with (accounts/sessions.py); not a column.
    session_key = None

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and remember-me cookies: the account and its session's key,
        so ending the session (logout, password change) ends every copy of both cookies."""
        if not self.session_key:
            raise RuntimeError("sign in through participation.accounts.sessions.sign_in")
        return f"{self.id}:{self.session_key}"

    # UserMixin compares get_id(): the same account seen through two sessions is still the same account.
    __hash__ = object.__hash__

    def __eq__(self, other) -> bool:
        if not isinstance(other, User):
            return NotImplemented
        return self is other or (self.id is not None and self.id == other.id)

    def __ne__(self, other) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    def roles_in(self, commune: Commune) -> set[Role]:
        return {m.role for m in self.memberships if m.commune_id == commune.id}

    def has_role(self, commune: Commune, *roles: Role) -> bool:
        if self.is_platform_admin:
            return True
        mine = self.roles_in(commune)
        return Role.administrator in mine or bool(mine.intersection(Role(r) for r in roles))


class Commune(db.Model):
    """A tenant: one commune of a metropolis, with its own identity, languages and processes."""
    __tablename__ = "communes"
    __table_args__ = (
        CheckConstraint("(map_latitude IS NULL) = (map_longitude IS NULL)", name="map_centre_complete"),
        CheckConstraint("map_latitude IS NULL OR (map_latitude >= -90 AND map_latitude <= 90)",
                        name="map_latitude_range"),
        CheckConstraint("map_longitude IS NULL OR (map_longitude >= -180 AND map_longitude <= 180)",
                        name="map_longitude_range"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    host: Mapped[str | None] = mapped_column(String(255), unique=True)
    name: Mapped[dict] = mapped_column(JSON, default=dict)
    description: Mapped[dict] = mapped_column(JSON, default=dict)
    logo_id: Mapped[int | None] = mapped_column(
        ForeignKey("uploaded_images.id", ondelete="SET NULL", use_alter=True))
    primary_color: Mapped[str] = mapped_column(String(7), default="#1d4f91")
    accent_color: Mapped[str] = mapped_column(String(7), default="#a3195b")
    default_language: Mapped[str] = mapped_column(String(8), default="fr")
    # Where its maps start; the address search prefers places near it.
    map_latitude: Mapped[float | None] = mapped_column(Float)
    map_longitude: Mapped[float | None] = mapped_column(Float)
    languages: Mapped[list] = mapped_column(JSON, default=lambda: ["fr"])
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    districts: Mapped[list[District]] = relationship(
        back_populates="commune", order_by="District.name", cascade="all, delete-orphan")
    processes: Mapped[list[Process]] = relationship(back_populates="commune", cascade="all, delete-orphan")
    # Loaded with the commune: every page's header shows it.
    logo: Mapped[UploadedImage | None] = relationship(foreign_keys=[logo_id], post_update=True, lazy="joined")

    def title(self, locale: str | None) -> str:
        return translate(self.name, locale, self.default_language)

    def text(self, locale: str | None) -> str:
        return translate(self.description, locale, self.default_language)


class UploadedImage(db.Model):
    """An image of a commune's pages (its logo, a process's image), re-encoded by participation/images.py
    and stored as UPLOAD_DIR/<kind>/<filename>; its owner row points at it."""
    __tablename__ = "uploaded_images"
    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "logos", "processes": the sub-directory
    filename: Mapped[str] = mapped_column(String(80), unique=True)  # random, never the uploaded name
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class District(db.Model):
    __tablename__ = "districts"
    __table_args__ = (UniqueConstraint("commune_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    commune: Mapped[Commune] = relationship(back_populates="districts")


class Membership(db.Model):
    """A role held by an account in one commune; accounts are platform-wide, roles are not."""
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "commune_id", "role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=16))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    user: Mapped[User] = relationship(back_populates="memberships")
    commune: Mapped[Commune] = relationship()


class PhaseKind(str, enum.Enum):
    information = "information"
    proposals = "proposals"
    instruction = "instruction"
    vote = "vote"
    results = "results"
    delivery = "delivery"


class Action(str, enum.Enum):
    propose = "propose"
    support = "support"
    comment = "comment"
    sign = "sign"
    vote = "vote"


# What residents may do in each kind of phase; operations check this, templates only reflect it.
PHASE_ACTIONS: dict[PhaseKind, frozenset[Action]] = {
    PhaseKind.information: frozenset(),
    PhaseKind.proposals: frozenset({Action.propose, Action.support, Action.comment, Action.sign}),
    PhaseKind.instruction: frozenset({Action.comment, Action.sign}),
    PhaseKind.vote: frozenset({Action.vote, Action.comment}),
    PhaseKind.results: frozenset({Action.comment}),
    PhaseKind.delivery: frozenset({Action.comment}),
}


class Process(db.Model):
    __tablename__ = "processes"
    __table_args__ = (UniqueConstraint("commune_id", "slug"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[dict] = mapped_column(JSON, default=dict)
    description: Mapped[dict] = mapped_column(JSON, default=dict)  # sanitised HTML per language
    image_id: Mapped[int | None] = mapped_column(ForeignKey("uploaded_images.id", ondelete="SET NULL"))
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    # An administrator may pin a phase regardless of the dates.
    active_phase_override_id: Mapped[int | None] = mapped_column(
        ForeignKey("phases.id", ondelete="SET NULL", use_alter=True))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    commune: Mapped[Commune] = relationship(back_populates="processes")
    image: Mapped[UploadedImage | None] = relationship(lazy="joined")
    # Always in date order: the order of the phases is their dates (position mirrors it for SQL).
    phases: Mapped[list[Phase]] = relationship(
        back_populates="process", order_by=lambda: [Phase.starts_at, Phase.id], cascade="all, delete-orphan",
        foreign_keys="Phase.process_id")

    def title_in(self, locale: str | None) -> str:
        return translate(self.title, locale, self.commune.default_language)

    def description_in(self, locale: str | None) -> str:
        return translate(self.description, locale, self.commune.default_language)

    def active_phase(self, now: datetime | None = None) -> Phase | None:
        if self.active_phase_override_id:
            for phase in self.phases:
                if phase.id == self.active_phase_override_id:
                    return phase
        now = now or utcnow()
        return next((p for p in self.phases if p.starts_at <= now < p.ends_at), None)

    def allows(self, action: Action, now: datetime | None = None) -> bool:
        phase = self.active_phase(now)
        return phase is not None and action in PHASE_ACTIONS[phase.kind]

    def phase_of_kind(self, kind: PhaseKind) -> Phase | None:
        return next((p for p in self.phases if p.kind == kind), None)


class Phase(db.Model):
    __tablename__ = "phases"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="dates_ordered"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), index=True)
    kind: Mapped[PhaseKind] = mapped_column(Enum(PhaseKind, native_enum=False, length=16))
    name: Mapped[dict] = mapped_column(JSON, default=dict)  # empty: the kind's standard name
    position: Mapped[int] = mapped_column(Integer, default=0)
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    process: Mapped[Process] = relationship(back_populates="phases", foreign_keys=[process_id])

    def is_active(self, now: datetime | None = None) -> bool:
        return self.process.active_phase(now) is self


class AuditEntry(db.Model):
    """Who did what, when and why: moderation, instruction and administration actions.

    Shown in words in the reader's language (participation/audit.py): `action` and `target_type` are
    codes, `params` the values the sentence needs (codes too, labelled when shown), `reason` the
    person's own words."""
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_commune_created", "commune_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # The role the actor acted in, at that time ("Marie (moderator)"), since roles change later.
    actor_role: Mapped[str | None] = mapped_column(String(24))
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int | None] = mapped_column(Integer)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, server_default=func.now())
    actor: Mapped[User | None] = relationship()


class CommuneBlock(db.Model):
    """A person barred by moderators from publishing in one commune, until `ends_at` (NULL: until
    unblocked). They can still read, follow and vote: see participation/blocks.py for each action."""
    __tablename__ = "commune_blocks"
    __table_args__ = (
        UniqueConstraint("commune_id", "user_id"),
        CheckConstraint("ends_at IS NULL OR ends_at > created_at", name="ends_after_start"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ends_at: Mapped[datetime | None] = mapped_column(DateTime)
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def active(self, now: datetime | None = None) -> bool:
        return self.ends_at is None or self.ends_at > (now or utcnow())


class OutboxStatus(str, enum.Enum):
    pending = "pending"    # committed, not yet handed to the queue (or waiting for a retry)
    queued = "queued"      # handed to Redis/rq
    done = "done"
    failed = "failed"      # gave up after the last retry; a platform administrator may retry


class OutboxJob(db.Model):
    """A side effect written in the same transaction as the change that causes it.

    A relay hands committed rows to rq (or runs them inline without Redis), so a rolled-back
    change never sends anything and a Redis outage only delays jobs.
    """
    __tablename__ = "outbox_jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(120))
    args: Mapped[dict] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(
        Enum(OutboxStatus, native_enum=False, length=16), default=OutboxStatus.pending, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_after: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
