"""Budgets, projects and the vote settings of a process: every change checks permission and phase."""
from __future__ import annotations

import secrets

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from participation.errors import Conflict, DomainError, NotFound
from participation.extensions import db
from participation.html import clean_html
from participation.images import add as add_image, files_kept_on_commit
from participation.jobs import commit
from participation.models import Commune, District, Process, Role, User
from participation.operations import audit
from participation.permissions import get_belonging, require_role, require_same_commune

from .models import Audience, Budget, BudgetScope, Project, Verification, VoteSettings, VotingRule


def vote_settings(process: Process, *, create: bool = False) -> VoteSettings:
    """The process's settings; defaults (not stored) until an administrator saves them."""
    settings = db.session.get(VoteSettings, process.id)
    if settings is None:
        settings = VoteSettings(process_id=process.id, scope=BudgetScope.all, audience=Audience.residents_and_users,
                                online_verification=Verification.declaration, ballot_final=False,
                                show_running_counts=False, salt=secrets.token_hex(16))
        if create:
            db.session.add(settings)
            db.session.flush()
    return settings


def _has_ballots(process_id: int) -> bool:
    from votes.models import Ballot
    return bool(db.session.scalar(select(exists().where(
        Ballot.budget_id == Budget.id, Budget.process_id == process_id))))


def save_vote_settings(actor: User, commune: Commune, process: Process, *, scope: BudgetScope, audience: Audience,
                       min_age: int | None, online_verification: Verification, ballot_final: bool,
                       show_running_counts: bool) -> VoteSettings:
    require_role(actor, commune, Role.administrator)
    require_same_commune(process.commune_id, commune)
    settings = vote_settings(process, create=True)
    # Changing who may vote or how identity is checked after the first ballot would treat voters unequally.
    if _has_ballots(process.id) and (settings.scope != scope or settings.online_verification != online_verification
                                     or settings.min_age != min_age or settings.ballot_final != ballot_final):
        raise Conflict(_("Ballots have been cast: eligibility, scope and ballot finality can no longer change."))
    settings.scope, settings.audience, settings.min_age = scope, audience, min_age
    settings.online_verification, settings.ballot_final = online_verification, ballot_final
    settings.show_running_counts = show_running_counts
    audit(commune, actor, "vote_settings.save", "process", process.id)
    commit()
    return settings


def list_budgets(process: Process) -> list[Budget]:
    return list(db.session.scalars(select(Budget).where(Budget.process_id == process.id)
                                   .order_by(Budget.position, Budget.id)))


def get_budget(process: Process, budget_id: int) -> Budget:
    return get_belonging(Budget, budget_id, lambda b: b.process_id == process.id, _("No such budget."))


def get_project(process: Process, project_id: int) -> Project:
    return get_belonging(Project, project_id, lambda p: p.budget.process_id == process.id, _("No such project."))


def save_budget(actor: User, commune: Commune, process: Process, *, name: dict, description: dict, amount: int,
                currency: str, rule: VotingRule, district: District | None = None,
                min_share_percent: int | None = None, min_projects: int | None = None,
                max_projects: int | None = None, total_points: int | None = None,
                max_points_per_project: int | None = None, budget: Budget | None = None) -> Budget:
    require_role(actor, commune, Role.administrator)
    require_same_commune(process.commune_id, commune)
    if district is not None:
        require_same_commune(district.commune_id, commune)
    if budget is not None and budget.process_id != process.id:
        raise NotFound(_("No such budget."))
    if budget is not None and _budget_has_ballots(budget) and (
            budget.rule != rule or budget.amount != amount or budget.district_id != (district and district.id)):
        raise Conflict(_("Ballots have been cast in this budget: its rule, amount and district can no longer change."))
    if amount <= 0:
        raise DomainError(_("The amount must be positive."), field="amount")
    if rule == VotingRule.k_approval and not max_projects:
        raise DomainError(_("Give the maximum number of projects a ballot may approve."), field="max_projects")
    if rule == VotingRule.cumulative and not (total_points and max_points_per_project):
        raise DomainError(_("Give the points to distribute and the maximum per project."), field="total_points")
    if min_projects and max_projects and min_projects > max_projects:
        raise DomainError(_("The minimum number of projects exceeds the maximum."), field="min_projects")
    if budget is None:
        budget = Budget(commune_id=commune.id, process_id=process.id, position=len(list_budgets(process)))
        db.session.add(budget)
    budget.name = {k: v.strip() for k, v in name.items() if v and v.strip()}
    budget.description = {k: clean_html(v) for k, v in description.items() if v and v.strip()}
    budget.amount, budget.currency, budget.rule = amount, currency.upper(), rule
    budget.district_id = district.id if district else None
    budget.min_share_percent = min_share_percent if rule == VotingRule.approval else None
    budget.min_projects = min_projects if rule != VotingRule.cumulative else None
    budget.max_projects = max_projects if rule != VotingRule.cumulative else None
    budget.total_points = total_points if rule == VotingRule.cumulative else None
    budget.max_points_per_project = max_points_per_project if rule == VotingRule.cumulative else None
    db.session.flush()
    audit(commune, actor, "budget.save", "budget", budget.id)
    commit()
    return budget


def _budget_has_ballots(budget: Budget) -> bool:
    from votes.models import Ballot
    return bool(db.session.scalar(select(exists().where(Ballot.budget_id == budget.id))))


def delete_budget(actor: User, commune: Commune, budget: Budget) -> None:
    require_role(actor, commune, Role.administrator)
    require_same_commune(budget.commune_id, commune)
    if _budget_has_ballots(budget):
        raise Conflict(_("Ballots have been cast in this budget: it cannot be deleted."))
    audit(commune, actor, "budget.delete", "process", budget.process_id, params={"budget": budget.name})
    db.session.delete(budget)
    commit()


def parse_images(text: str) -> list[dict]:
    """One image per line: `address | alternative text`. Addresses are of this site's images (uploaded
    with the form, or a proposal's): images from other sites would be blocked by the CSP."""
    from flask import current_app

    from participation.links import is_web_url, site_path

    images = []
    for line in (text or "").splitlines():
        src, _sep, alt = line.partition("|")
        src = src.strip()
        if not src:
            continue
        path = site_path(src, current_app.config["BASE_URL"])
        if path is None:
            raise DomainError(_("Images from other sites cannot be shown (the site's security policy blocks "
                                "them): add the image with the upload field instead.") if is_web_url(src) else
                              _("Image addresses are addresses of this site's images, starting with / or "
                                "https://."), field="images")
        images.append({"src": path, "alt": alt.strip()[:200]})
    return images


PROJECT_IMAGE_SIDE = 1600


def save_project(actor: User, commune: Commune, budget: Budget, *, title: str, description: str, cost: int,
                 district: District | None = None, theme_id: int | None = None, images: list[dict] | None = None,
                 address: str = "", latitude: float | None = None, longitude: float | None = None,
                 proposal_id: int | None = None, project: Project | None = None,
                 uploads: list[bytes] | None = None) -> Project:
    """`uploads`: new images (validated, re-encoded) added after `images`."""
    require_role(actor, commune, Role.administrator)
    with files_kept_on_commit() as written:
        project = _write_project(commune, budget, title=title, description=description, cost=cost,
                                 district=district, theme_id=theme_id, images=images, address=address,
                                 latitude=latitude, longitude=longitude, proposal_id=proposal_id, project=project,
                                 uploads=uploads, written=written)
        audit(commune, actor, "project.save", "project", project.id)
        commit()
    return project


def _write_project(commune: Commune, budget: Budget, *, title: str, description: str, cost: int,
                   district: District | None, theme_id: int | None, images: list[dict] | None, address: str,
                   latitude: float | None, longitude: float | None, proposal_id: int | None,
                   project: Project | None, uploads: list[bytes] | None = None, written=None) -> Project:
    """The checks and writes shared by administrators' project form and reviewers' accepted proposals;
    `uploads` are stored as files listed in `written` (removed if the transaction fails)."""
    require_same_commune(budget.commune_id, commune)
    if district is not None:
        require_same_commune(district.commune_id, commune)
    if project is not None and project.budget_id != budget.id:
        raise NotFound(_("No such project."))
    if cost <= 0:
        raise DomainError(_("The cost must be positive."), field="cost")
    if project is not None and project.cost != cost and _budget_has_ballots(budget):
        raise Conflict(_("Ballots have been cast in this budget: the cost of its projects can no longer change."))
    if (latitude is None) != (longitude is None):
        raise DomainError(_("Give both latitude and longitude, or neither."), field="latitude")
    if project is None:
        project = Project(commune_id=commune.id, budget_id=budget.id, proposal_id=proposal_id)
        db.session.add(project)
    project.title, project.description, project.cost = title.strip(), clean_html(description or ""), cost
    project.district_id = district.id if district else None
    project.theme_id = theme_id
    project.address, project.latitude, project.longitude = (address or "").strip(), latitude, longitude
    added = [add_image(data, commune_id=commune.id, kind="projects", field="new_images",
                       max_side=PROJECT_IMAGE_SIDE, written=written) for data in uploads or []]
    project.images = list(images or []) + [
        {"src": url_for("communes.image", commune=commune.slug, filename=row.filename), "alt": project.title}
        for row in added]
    db.session.flush()
    return project


def set_project_withdrawn(actor: User, commune: Commune, project: Project, withdrawn: bool, reason: str = "") -> None:
    """Withdraw a project from the ballot (e.g. found unfeasible); existing ballots stay as cast."""
    require_role(actor, commune, Role.administrator)
    require_same_commune(project.commune_id, commune)
    project.withdrawn = withdrawn
    audit(commune, actor, "project.withdraw" if withdrawn else "project.restore", "project", project.id, reason)
    commit()


def accepted_proposals(process: Process) -> list:
    """Accepted proposals with a reviewer's cost that are not yet a project of this process."""
    from proposals.models import Proposal, ProposalStatus
    used = select(Project.proposal_id).join(Budget).where(Budget.process_id == process.id,
                                                          Project.proposal_id.is_not(None))
    return list(db.session.scalars(select(Proposal).where(
        Proposal.process_id == process.id, Proposal.status == ProposalStatus.accepted, Proposal.hidden.is_(False),
        Proposal.estimated_cost.is_not(None), Proposal.id.not_in(used)).order_by(Proposal.title)))


def project_from_proposal(actor: User, budget: Budget, proposal) -> Project:
    """Turn an accepted proposal with a reviewer's cost into a project of `budget`: the reviewers who
    instructed it (city staff) may do it, as may administrators."""
    from proposals.models import ProposalStatus
    commune = db.session.get(Commune, budget.commune_id)
    require_role(actor, commune, Role.reviewer)
    require_same_commune(proposal.commune_id, commune)
    if proposal.process_id != budget.process_id:
        raise DomainError(_("This proposal belongs to another process."))
    if proposal.status != ProposalStatus.accepted:
        raise Conflict(_("Only accepted proposals can become projects."))
    if not proposal.estimated_cost:
        raise Conflict(_("This proposal has no cost estimated by a reviewer yet."))
    if db.session.scalar(select(Project.id).where(Project.budget_id == budget.id,
                                                  Project.proposal_id == proposal.id)):
        raise Conflict(_("This proposal is already a project of this budget."))
    if proposal.hidden:
        raise Conflict(_("This proposal is hidden by moderation."))
    district = db.session.get(District, proposal.district_id) if proposal.district_id else None
    try:
        with db.session.begin_nested():  # two clicks at once: the unique (budget, proposal) keeps one
            project = _write_project(commune, budget, title=proposal.title, description=proposal.body,
                                     cost=proposal.estimated_cost, district=district, theme_id=proposal.theme_id,
                                     images=_proposal_images(commune, budget, proposal),
                                     address=proposal.address or "", latitude=proposal.latitude,
                                     longitude=proposal.longitude, proposal_id=proposal.id, project=None)
    except IntegrityError:
        raise Conflict(_("This proposal is already a project of this budget."))
    audit(commune, actor, "project.from_proposal", "proposal", proposal.id,
          params={"project": project.id, "budget": budget.name})
    commit()
    return project


def projects_of_proposal(proposal) -> list[Project]:
    return list(db.session.scalars(select(Project).where(Project.proposal_id == proposal.id)
                                   .order_by(Project.id)))


def _proposal_images(commune: Commune, budget: Budget, proposal) -> list[dict]:
    """The proposal's images, served by the proposals pages (they stay where they were uploaded)."""
    from flask import url_for
    from werkzeug.routing import BuildError
    images = []
    for image in getattr(proposal, "images", []) or []:
        try:
            src = url_for("proposals.image", commune=commune.slug, process=budget.process.slug,
                          filename=image.filename)
        except (BuildError, RuntimeError):  # outside a request, or the proposals pages changed
            continue
        images.append({"src": src, "alt": image.alt or ""})
    return images
