"""What reviewers (city staff) do with budgets: turn the proposals they accepted into projects."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user

from participation.errors import NotFound
from participation.hooks import instruction_panel
from participation.input import form_int
from participation.extensions import db
from participation.models import Process, Role
from participation.operations import get_process
from participation.tenancy import staff_blueprint

from . import operations as ops

# Same address space as the administrators' pages, open to reviewers (administrators pass every role check).
instruction_bp = staff_blueprint("budgets_instruction", __name__, url_prefix="/admin/budgets",
                                 template_folder="templates", roles=(Role.reviewer,))


@instruction_bp.post("/<process>/from-proposal")
def from_proposal(process: str):
    from proposals.models import Proposal
    proc = get_process(g.commune, process, include_unpublished=True)
    budget = ops.get_budget(proc, form_int("budget_id", 0))
    proposal = db.session.get(Proposal, form_int("proposal_id", 0))
    if proposal is None or proposal.commune_id != g.commune.id:
        raise NotFound(_("No such proposal."))
    ops.project_from_proposal(current_user, budget, proposal)
    flash(_("The proposal is now a project of the budget \u201c%(budget)s\u201d.",
            budget=budget.name_in(str(get_locale()))), "success")
    if request.form.get("back") == "instruction":
        return redirect(url_for("proposals_admin.instruct", proposal_id=proposal.id))
    return redirect(url_for("budgets_admin.projects", process=proc.slug, budget_id=budget.id))


@instruction_panel
def project_panel(proposal) -> str:
    """On an accepted proposal's instruction page: the budgets it is a project of, and a form to add it
    to another budget of its process."""
    from proposals.models import ProposalStatus
    if proposal.status != ProposalStatus.accepted:
        return ""
    process = db.session.get(Process, proposal.process_id)
    budgets = ops.list_budgets(process)
    projects = ops.projects_of_proposal(proposal)
    used = {p.budget_id for p in projects}
    return render_template("budgets/_instruction_panel.html", proposal=proposal, process=process,
                           projects=projects, budgets=budgets, free=[b for b in budgets if b.id not in used])
