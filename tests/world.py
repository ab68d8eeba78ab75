"""A commune with one of everything, through the real operations, for tests that walk every route of the
URL map (the input fuzz test, the form walk): a valid value for every URL parameter."""
from __future__ import annotations

from dataclasses import dataclass, field

from participation.extensions import db
from participation.models import OutboxJob, OutboxStatus, PhaseKind, Role

from .factories import grant, make_commune, make_process, make_user

# Route parameters whose valid value depends on the blueprint: proposal pages live in a process open
# for proposals, ballot, budget and results pages in a process whose vote is open.
VOTE_BLUEPRINTS = ("votes", "votes_api", "budgets", "results", "votes_staff", "budgets_admin", "results_admin")


@dataclass
class World:
    commune: str
    admin: object  # administrator of the commune, and platform administrator
    resident: object
    values: dict[str, object] = field(default_factory=dict)
    ideas: str = "idees"
    vote: str = "vote"

    def value(self, endpoint: str, name: str):
        """A value of route parameter `name` that leads to an existing object for `endpoint`."""
        blueprint = endpoint.split(".")[0]
        if name in ("process", "slug"):
            return self.vote if blueprint in VOTE_BLUEPRINTS else self.ideas
        if endpoint.startswith("proposals_admin.moderate") and name == "action":
            return "hide"
        return self.values.get(name, "x")


def build_world() -> World:
    from proposals import operations as proposal_ops
    from proposals import operations_engagement as engagement
    from proposals import operations_groups as groups
    from proposals import operations_moderation as moderation
    from proposals.models import ReportReason, ReportTarget
    from participation.notifications.operations import notify
    from votes.operations import cast_online_ballot
    from votes.results.operations import compute_result

    from .budgets.factories import make_budget, make_settings, make_voter
    from .proposals.factories import png_bytes

    commune = make_commune("ville", districts=("Centre", "Nord"))
    other = make_commune("autre")  # another tenant, whose address and host a form may try to take
    other.host = "autre.example"
    db.session.commit()
    admin = grant(make_user("Admin", platform_admin=True), commune, Role.administrator)
    resident = grant(make_user("Habitante"), commune, Role.resident)
    ideas = make_process(commune, slug="idees", active=PhaseKind.proposals)
    proposal_ops.ensure_default_themes(commune)
    db.session.commit()
    proposal = proposal_ops.submit_proposal(resident, commune, ideas, title="Un jardin", body="<p>Des bacs.</p>",
                                            uploads=[png_bytes()])
    comment = engagement.add_comment(admin, commune, proposal, "<p>Bonne idée</p>")
    moderation.report(admin, commune, ReportTarget.proposal, proposal.id, reason=ReportReason.spam, text="")
    group = groups.create_group(resident, commune, "Association du Centre")

    vote = make_process(commune, slug="vote", active=PhaseKind.vote)
    make_settings(vote)
    budget = make_budget(vote, name="Ville")
    make_budget(vote, name="Nord", district=commune.districts[1])  # a district tied to a budget
    project = budget.projects[0]
    make_voter(vote, resident)
    cast_online_ballot(resident, vote, budget, {project.id: 1})
    result = compute_result(budget.id)

    notify([admin.id, resident.id], kind="results.published", dedupe_key="world", url="/ville/")
    job = OutboxJob(task="participation.tasks.noop", args={}, status=OutboxStatus.failed, last_error="boom")
    db.session.add(job)
    db.session.commit()
    from participation.models import Membership
    from participation.notifications.models import Notification
    membership = db.session.scalar(db.select(Membership).where(Membership.user_id == resident.id))
    notification = db.session.scalar(db.select(Notification).where(Notification.user_id == admin.id))
    values = {
        "commune": commune.slug, "proposal_id": proposal.id, "comment_id": comment.id, "target_id": proposal.id,
        "target_type": "proposal", "group_id": group.id, "budget_id": budget.id, "project_id": project.id,
        "result_id": result.id, "phase_id": ideas.phases[0].id, "membership_id": membership.id,
        "user_id": resident.id, "notification_id": notification.id, "job_id": job.id,
        "filename": proposal.images[0].filename, "token": "not-a-token",
    }
    return World(commune=commune.slug, admin=admin, resident=resident, values=values)
