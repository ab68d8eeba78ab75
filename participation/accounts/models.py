"""Server-side records of accounts: signed-in sessions and role invitations."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import Commune, Role, User, utcnow


class AccountSession(db.Model):
    """One signed-in browser. The session cookie and the remember-me cookie name it (by a random key whose
    SHA-256 is kept here), so deleting the row ends both, wherever they were copied to."""
    __tablename__ = "account_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class InvitationStatus(str, enum.Enum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"
    withdrawn = "withdrawn"


class RoleInvitation(db.Model):
    """A role in a commune offered to an e-mail address; the person accepts (or declines) it from their
    own account. Kept after the answer, as the record of who was asked what."""
    __tablename__ = "role_invitations"
    __table_args__ = (Index("ix_role_invitations_commune_status", "commune_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))  # lower-cased, as typed by the administrator
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=16))
    status: Mapped[InvitationStatus] = mapped_column(
        Enum(InvitationStatus, native_enum=False, length=16), default=InvitationStatus.pending)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)

    commune: Mapped[Commune] = relationship()
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    def is_open(self, now: datetime | None = None) -> bool:
        return self.status == InvitationStatus.pending and (now or utcnow()) < self.expires_at
