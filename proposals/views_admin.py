"""Staff pages (moderation queue, instruction, settings) and residents' groups."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from participation import blocks
from participation.admin_views import page_number
from participation.errors import DomainError
from participation.extensions import db
from participation.forms import attach_error, form_status
from participation.input import form_int, form_text
from participation.hooks import instruction_panels
from participation.models import Process, Role, User
from participation.operations import get_process, list_processes
from participation.permissions import require_role
from participation.tenancy import commune_blueprint, staff_blueprint

from . import operations as ops
from . import operations_groups as groups
from . import operations_instruction as instr
from . import operations_moderation as mod
from .forms import GroupForm, InstructionForm, MemberForm, SettingsForm
from .models import Proposal, ProposalStatus, ReportTarget

admin_bp = staff_blueprint("proposals_admin", __name__, url_prefix="/admin/proposals",
                             template_folder="templates", roles=(Role.moderator, Role.reviewer,))
groups_bp = commune_blueprint("proposal_groups", __name__, url_prefix="/groups", template_folder="templates")



# ---------------------------------------------------------------- moderation

@admin_bp.get("/moderation")
def moderation():
    return render_template("proposals/admin/moderation.html", items=mod.queue(current_user, g.commune),
                           blocks=blocks.blocks(current_user, g.commune), durations=blocks.DURATIONS, tab="queue")


@admin_bp.get("/moderation/handled")
def moderation_handled():
    items, has_next = mod.handled(current_user, g.commune, page=page_number())
    return render_template("proposals/admin/moderation_handled.html", items=items, has_next=has_next,
                           page=page_number(), durations=blocks.DURATIONS, tab="handled")


def _reason() -> str:
    return form_text("reason")


def _target_type(raw: str) -> ReportTarget:
    try:
        return ReportTarget(raw)
    except ValueError:
        abort(404)


def _moderate(do) -> object:
    try:
        do()
    except DomainError as exc:
        if exc.status not in (400, 409):
            raise
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        flash(_("Done: the action is recorded in the audit log."), "success")
    back = "proposals_admin.moderation_handled" if request.form.get("tab") == "handled" else \
        "proposals_admin.moderation"
    return redirect(url_for(back))


@admin_bp.post("/moderation/<target_type>/<int:target_id>/<action>")
def moderate(target_type: str, target_id: int, action: str):
    kind = _target_type(target_type)
    if action == "hide":
        return _moderate(lambda: mod.set_hidden(current_user, g.commune, kind, target_id, True, _reason()))
    if action == "unhide":
        return _moderate(lambda: mod.set_hidden(current_user, g.commune, kind, target_id, False, _reason()))
    if action == "dismiss":
        return _moderate(lambda: mod.dismiss_reports(current_user, g.commune, kind, target_id, _reason()))
    abort(404)


def _duration() -> int | None:
    choice = request.form.get("duration", "")
    if choice not in blocks.DURATIONS:
        raise DomainError(_("Choose how long the block lasts."), field="duration")
    return blocks.DURATIONS[choice]


@admin_bp.post("/moderation/block")
def block():
    user_id, nickname = form_int("user_id"), request.form.get("nickname", "").strip()
    if user_id is not None:
        user = db.session.get(User, user_id)
    elif nickname:
        user = db.session.scalar(select(User).where(func.lower(User.nickname) == nickname.lower()))
        if user is None:
            flash(_("No account has the nickname %(name)s.", name=nickname[:40]), "error")
            return redirect(url_for("proposals_admin.moderation") + "#blocked")
    else:
        user = None
    if user is None:
        abort(404)
    return _moderate(lambda: blocks.block_user(current_user, g.commune, user, _reason(), _duration()))


@admin_bp.post("/moderation/unblock/<int:user_id>")
def unblock(user_id: int):
    return _moderate(lambda: blocks.unblock_user(current_user, g.commune, user_id, _reason()))


# ---------------------------------------------------------------- instruction

@admin_bp.get("/instruction")
def instruction():
    require_role(current_user, g.commune, Role.reviewer)
    processes = list_processes(g.commune, include_unpublished=True)
    slug = request.args.get("process") or (processes[0].slug if processes else None)
    process = next((p for p in processes if p.slug == slug), None)
    proposals = []
    if process is not None:
        proposals = db.session.scalars(select(Proposal).where(Proposal.process_id == process.id)
                                       .options(selectinload(Proposal.theme))
                                       .order_by(Proposal.status, Proposal.support_count.desc())).all()
    return render_template("proposals/admin/instruction_list.html", processes=processes, process=process,
                           proposals=proposals)


@admin_bp.route("/instruction/<int:proposal_id>", methods=["GET", "POST"])
def instruct(proposal_id: int):
    require_role(current_user, g.commune, Role.reviewer)
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.commune_id != g.commune.id:
        abort(404)
    data = None
    if request.method == "GET":
        data = {"status": proposal.status.value, "feasibility": proposal.feasibility,
                "estimated_cost": proposal.estimated_cost, "answer": proposal.answer,
                "duplicate_of_id": proposal.duplicate_of_id}
    form = InstructionForm(data=data)
    form.duplicate_of_id.choices = [(None, _("Not a duplicate"))] + instr.duplicate_choices(proposal)
    if form.validate_on_submit():
        try:
            instr.instruct(current_user, g.commune, proposal, status=ProposalStatus(form.status.data),
                                 answer=form.answer.data or "", feasibility=form.feasibility.data or "",
                                 estimated_cost=form.estimated_cost.data, duplicate_of_id=form.duplicate_of_id.data)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            flash(_("The instruction is saved."), "success")
            process = db.session.get(Process, proposal.process_id)
            return redirect(url_for("proposals.detail", process=process.slug, proposal_id=proposal.id))
    return render_template("proposals/admin/instruct.html", form=form, proposal=proposal,
                           panels=instruction_panels(proposal)), form_status(form)


# ---------------------------------------------------------------- settings

@admin_bp.route("/settings", methods=["GET", "POST"])
@admin_bp.route("/settings/<slug>", methods=["GET", "POST"])
def settings(slug: str | None = None):
    require_role(current_user, g.commune, Role.administrator)
    processes = list_processes(g.commune, include_unpublished=True)
    if slug is None:
        return render_template("proposals/admin/settings_index.html", processes=processes)
    process = get_process(g.commune, slug, include_unpublished=True)
    current = ops.settings_for(process)
    form = SettingsForm(obj=current if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            ops.save_settings(current_user, g.commune, process, **{
                name: getattr(form, name).data for name in (
                    "petitions_enabled", "petition_threshold", "petition_days", "petition_answer_days",
                    "report_threshold")})
        except DomainError as exc:
            attach_error(form, exc)
        else:
            flash(_("The settings are saved."), "success")
            return redirect(url_for("proposals_admin.settings", slug=process.slug))
    return render_template("proposals/admin/settings.html", form=form, process=process), \
        form_status(form)


# ---------------------------------------------------------------- groups (associations, collectives)

@groups_bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    form = GroupForm()
    if form.validate_on_submit():
        try:
            group = groups.create_group(current_user, g.commune, form.name.data)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            flash(_("The group is created."), "success")
            return redirect(url_for("proposal_groups.detail", group_id=group.id))
    return render_template("proposals/groups.html", form=form, groups=ops.groups_of(current_user, g.commune),
                           block=blocks.active_block(current_user, g.commune)), form_status(form)


@groups_bp.route("/<int:group_id>", methods=["GET", "POST"])
@login_required
def detail(group_id: int):
    group = groups.get_group(g.commune, group_id)
    form = MemberForm()
    if form.validate_on_submit():
        try:
            groups.add_member(current_user, g.commune, group, form.nickname.data)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            flash(_("The member is added."), "success")
            return redirect(url_for("proposal_groups.detail", group_id=group.id))
    return render_template("proposals/group.html", group=group, form=form, member=current_user in group.members,
                           block=blocks.active_block(current_user, g.commune)), form_status(form)


@groups_bp.post("/<int:group_id>/leave")
@login_required
def leave(group_id: int):
    groups.leave_group(current_user, g.commune, groups.get_group(g.commune, group_id))
    flash(_("You left the group."), "success")
    return redirect(url_for("proposal_groups.index"))
