"""Results administration (reviewers and administrators): compute now with a chosen tally rule, see the
computed result before publication, publish it (administrators); export a budget and import a past
election in the Pabulib format (administrators)."""
from __future__ import annotations

from flask import Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from budgets.operations import get_budget, list_budgets
from participation.errors import DomainError
from participation.forms import attach_error, form_status
from participation.hooks import admin_link
from participation.input import parse_int
from participation.models import Role
from participation.operations import get_process, list_processes
from participation.permissions import require_role
from participation.tenancy import staff_blueprint

from .operations import (
    get_result, latest_result, pending_tallies, publish_result, request_tally, result_history,
)
from .data import rule_label, tally_settings, vote_closed
from .explain import percent, result_view
from .forms import ComputeForm, ExportForm, ImportForm, PublishForm
from .interop import age_collected, export_budget, import_pabulib, import_record

results_admin_bp = staff_blueprint("results_admin", __name__, url_prefix="/admin/results",
                                     template_folder="templates", roles=(Role.reviewer,))



@admin_link
def _links(commune):
    if not current_user.is_authenticated or not current_user.has_role(commune, Role.reviewer):
        return []
    return [(str(_l("Results and Pabulib files")), url_for("results_admin.index", commune=commune.slug))]


def _process(slug: str):
    return get_process(g.commune, slug, include_unpublished=True)


@results_admin_bp.get("/")
def index():
    return render_template("results/admin_index.html",
                           processes=list_processes(g.commune, include_unpublished=True))


@results_admin_bp.get("/<process>/")
def process_results(process: str):
    proc = _process(process)
    budgets = []
    for budget in list_budgets(proc):
        rule, completion = tally_settings(budget)
        latest = latest_result(budget)
        budgets.append({
            "budget": budget, "compute": ComputeForm(prefix=f"b{budget.id}", data={"rule": rule,
                                                                                  "completion": completion}),
            "latest": result_view(latest, filename=f"result-{latest.id}.pb") if latest else None,
            "history": result_history(budget), "imported": import_record(budget)})
    pending = pending_tallies([item["budget"].id for item in budgets])
    return render_template("results/admin.html", process=proc, budgets=budgets, closed=vote_closed(proc),
                           rule_label=rule_label,
                           pending=pending,
                           age=age_collected(proc),
                           can_publish=current_user.has_role(g.commune, Role.administrator), percent=percent)


@results_admin_bp.post("/<process>/<int:budget_id>/compute")
def compute(process: str, budget_id: int):
    proc = _process(process)
    budget = get_budget(proc, budget_id)
    form = ComputeForm(prefix=f"b{budget.id}")
    if not form.validate_on_submit():
        flash(_("Choose one of the tally rules."), "error")
    else:
        request_tally(current_user, g.commune, budget, rule=form.rule.data, completion=form.completion.data)
        flash(_("The result is being computed; it appears below when ready (it stays private until published)."),
              "success")
    return redirect(url_for(".process_results", process=proc.slug, _anchor=f"budget-{budget.id}"))


@results_admin_bp.post("/<process>/publish")
def publish(process: str):
    proc = _process(process)
    form = PublishForm()
    result_id = parse_int(form.result_id.data)
    if form.validate_on_submit() and result_id is not None:
        result = get_result(g.commune, result_id)
        get_budget(proc, result.budget_id)  # the result must belong to this process
        publish_result(current_user, g.commune, result)
        flash(_("The result is published."), "success")
    return redirect(url_for(".process_results", process=proc.slug))


@results_admin_bp.get("/<process>/result-<int:result_id>.pb")
def result_file(process: str, result_id: int):
    """The ballots a computed (maybe unpublished) result was tallied from: its SHA-256 is the digest."""
    proc = _process(process)
    result = get_result(g.commune, result_id)
    get_budget(proc, result.budget_id)
    return Response(result.ballot_file.encode("utf-8"), mimetype="text/plain",
                    headers={"Content-Disposition": f'attachment; filename="result-{result.id}.pb"'})


@results_admin_bp.get("/<process>/<int:budget_id>/export.pb")
def export(process: str, budget_id: int):
    proc = _process(process)
    budget = get_budget(proc, budget_id)
    form = ExportForm(request.args)
    text = export_budget(current_user, g.commune, budget, include_age=bool(form.age.data))
    return Response(text.encode("utf-8"), mimetype="text/plain", headers={
        "Content-Disposition": f'attachment; filename="{g.commune.slug}-{proc.slug}-budget-{budget.id}.pb"'})


@results_admin_bp.route("/<process>/import", methods=["GET", "POST"])
def import_file(process: str):
    proc = _process(process)
    require_role(current_user, g.commune, Role.administrator)
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            budget = import_pabulib(current_user, g.commune, proc, upload.read(), name=form.name.data or "",
                                    filename=upload.filename or "")
        except DomainError as exc:
            attach_error(form, exc)
        else:
            record = import_record(budget)
            flash(_("Imported: %(voters)s ballots; the result is computed with the rule given in the file.",
                    voters=record.voters), "success")
            return redirect(url_for(".process_results", process=proc.slug, _anchor=f"budget-{budget.id}"))
    return render_template("results/import.html", process=proc, form=form, closed=vote_closed(proc)), \
        form_status(form)
