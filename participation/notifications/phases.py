"""The periodic check (`participation tick`, and every minute in each worker) that announces phases.

It publishes "phase.opened" once a phase of an announced kind is the active one, and
"phase.closing_soon" once it ends within CLOSING_SOON; the dedupe keys make each happen once per
phase, however often the check runs and however many workers run it.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..events import publish
from ..extensions import db
from ..jobs import commit
from ..models import PhaseKind, Process, utcnow

ANNOUNCED_KINDS = frozenset({PhaseKind.vote})
CLOSING_SOON = timedelta(hours=48)


def tick(now: datetime | None = None) -> list[str]:
    """Publish what is due; returns the dedupe keys of the events published by this call or an earlier one."""
    now = now or utcnow()
    events = []
    processes = db.session.scalars(select(Process).where(Process.published.is_(True))
                                   .options(selectinload(Process.phases), selectinload(Process.commune)))
    for process in processes:
        phase = process.active_phase(now)
        if phase is None or phase.kind not in ANNOUNCED_KINDS:
            continue
        events.append(f"phase.opened:{phase.id}")
        publish("phase.opened", dedupe_key=events[-1], phase_id=phase.id)
        # A short phase gets no reminder: the opening notice already says when it ends.
        if phase.starts_at + CLOSING_SOON <= now < phase.ends_at <= now + CLOSING_SOON:
            events.append(f"phase.closing_soon:{phase.id}")
            publish("phase.closing_soon", dedupe_key=events[-1], phase_id=phase.id)
    commit()
    return events
