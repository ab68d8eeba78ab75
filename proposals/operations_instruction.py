"""Instruction by city services: status, feasibility, estimated cost, duplicates and public answers."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from participation.errors import DomainError
from participation.events import publish
from participation.extensions import db
from participation.html import clean_html
from participation.jobs import commit
from participation.models import Commune, Role, User, utcnow
from participation.operations import audit
from participation.permissions import require_role, require_same_commune

from .models import Proposal, ProposalStatus

# Statuses a reviewer may set; "published" is where every proposal starts.
REVIEW_STATUSES = (ProposalStatus.published, ProposalStatus.evaluating, ProposalStatus.accepted,
                   ProposalStatus.rejected, ProposalStatus.duplicate, ProposalStatus.withdrawn)
MAX_COST = 2_000_000_000


def instruct(actor: User, commune: Commune, proposal: Proposal, *, status: ProposalStatus, answer: str = "",
             feasibility: str = "", estimated_cost: int | None = None,
             duplicate_of_id: int | None = None) -> Proposal:
    require_role(actor, commune, Role.reviewer)
    require_same_commune(proposal.commune_id, commune)
    status = ProposalStatus(status)
    answer = clean_html(answer)
    if status == ProposalStatus.rejected and not answer:
        raise DomainError(_l("A rejection needs a public justification."), field="answer")
    if estimated_cost is not None and not 0 <= estimated_cost <= MAX_COST:
        raise DomainError(_l("Enter a cost between 0 and %(max)s.", max=MAX_COST), field="estimated_cost")
    # One status, consistent fields (the database checks it too): only a duplicate names its original.
    if status == ProposalStatus.duplicate and duplicate_of_id is None:
        raise DomainError(_l("Choose the proposal this one duplicates."), field="duplicate_of_id")
    if status != ProposalStatus.duplicate and duplicate_of_id is not None:
        raise DomainError(_l("Only a proposal with the status “Duplicate” names the proposal it "
                             "duplicates: choose that status, or “Not a duplicate”."), field="duplicate_of_id")
    if duplicate_of_id is not None:
        original = db.session.get(Proposal, duplicate_of_id)
        if original is None or original.process_id != proposal.process_id or original.id == proposal.id:
            raise DomainError(_l("Choose another proposal of the same process."), field="duplicate_of_id")
        if original.duplicate_of_id == proposal.id:
            raise DomainError(_l("That proposal is already marked as a duplicate of this one."),
                              field="duplicate_of_id")
        if original.duplicate_of_id is not None:
            raise DomainError(_l("That proposal is itself a duplicate: choose the proposal it duplicates."),
                              field="duplicate_of_id")
    status_changed = proposal.status != status
    answer_changed = answer != (proposal.answer or "")
    proposal.status = status
    proposal.feasibility = clean_html(feasibility)
    proposal.estimated_cost = estimated_cost
    proposal.duplicate_of_id = duplicate_of_id
    if answer_changed:
        proposal.answer = answer
        proposal.answered_at = utcnow() if answer else None
    proposal.updated_at = utcnow()
    entry = audit(commune, actor, "instruction.save", "proposal", proposal.id,
                  params={"status": status.value, "answered": bool(answer_changed and answer)})
    db.session.flush()
    if status_changed:
        publish("proposal.status_changed", dedupe_key=f"proposal.status:{proposal.id}:{entry.id}",
                proposal_id=proposal.id, status=status.value, actor_id=actor.id, change=str(entry.id))
    if answer_changed and answer:
        publish("proposal.answered", dedupe_key=f"proposal.answered:{proposal.id}:{entry.id}",
                proposal_id=proposal.id)
        if proposal.is_petition:
            publish("petition.answered", dedupe_key=f"petition.answered:{proposal.id}:{entry.id}",
                    proposal_id=proposal.id)
    commit()
    return proposal


def duplicate_choices(proposal: Proposal) -> list[tuple[int, str]]:
    rows = db.session.execute(select(Proposal.id, Proposal.title).where(
        Proposal.process_id == proposal.process_id, Proposal.id != proposal.id).order_by(Proposal.id)).all()
    return [(row.id, f"#{row.id} {row.title}") for row in rows]


def accepted_with_cost(process_id: int) -> list[Proposal]:
    """What the budgets package turns into projects."""
    return list(db.session.scalars(select(Proposal).where(
        Proposal.process_id == process_id, Proposal.status == ProposalStatus.accepted,
        Proposal.estimated_cost.is_not(None), Proposal.hidden.is_(False)).order_by(Proposal.id)))


@dataclass
class PetitionState:
    signatures: int
    threshold: int
    deadline: datetime | None
    reached_at: datetime | None
    answer_due_at: datetime | None
    answered_at: datetime | None
    now: datetime

    @property
    def collecting(self) -> bool:
        return self.reached_at is None and (self.deadline is None or self.now <= self.deadline)

    @property
    def failed(self) -> bool:
        return self.reached_at is None and self.deadline is not None and self.now > self.deadline

    @property
    def awaiting_answer(self) -> bool:
        return self.reached_at is not None and self.answered_at is None

    @property
    def days_late(self) -> int:
        """Whole days past the answer deadline (0 when not late)."""
        if self.answer_due_at is None:
            return 0
        end = self.answered_at or self.now
        return max(0, (end - self.answer_due_at).days)

    @property
    def answered_late(self) -> bool:
        return bool(self.answered_at and self.answer_due_at and self.answered_at > self.answer_due_at)


def petition_state(proposal: Proposal, now: datetime | None = None) -> PetitionState:
    return PetitionState(signatures=proposal.support_count, threshold=proposal.signature_threshold or 0,
                         deadline=proposal.signature_deadline, reached_at=proposal.threshold_reached_at,
                         answer_due_at=proposal.answer_due_at,
                         answered_at=proposal.answered_at if proposal.answer else None, now=now or utcnow())
