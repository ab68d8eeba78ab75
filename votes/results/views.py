"""Public results of a process: only published results, with the files and the command to re-check them.
Also registers the results section of the process page and the administration pages."""
from __future__ import annotations

from flask import Response, g, render_template
from flask_babel import gettext as _
from flask_login import current_user

from participation.errors import NotFound
from participation.hooks import process_section
from participation.models import Process
from participation.tenancy import process_blueprint

from budgets.operations import get_budget

from . import demo, tasks  # noqa: F401 - register the demo seeder, the tally job and periodic check
from .operations import published_result, published_results, votes_csv
from .explain import percent, result_view

results_bp = process_blueprint("results", __name__, url_prefix="/results", template_folder="templates")



def file_name(process: Process, budget_id: int, ext: str) -> str:
    return f"{process.commune.slug}-{process.slug}-budget-{budget_id}.{ext}"


@results_bp.get("/")
def index():
    process = g.process
    items = [(budget, result_view(result, filename=file_name(process, budget.id, "pb")) if result else None)
             for budget, result in published_results(process)]
    return render_template("results/public.html", process=process, items=items, percent=percent)


def _published(budget_id: int):
    result = published_result(get_budget(g.process, budget_id))
    if result is None:
        raise NotFound(_("The result of this budget is not published."))
    return result


@results_bp.get("/<int:budget_id>.pb")
def ballots_file(budget_id: int):
    """The exact file whose SHA-256 is the published digest (the canonical ballot export)."""
    result = _published(budget_id)
    return Response(result.ballot_file.encode("utf-8"), mimetype="text/plain", headers={
        "Content-Disposition": f'attachment; filename="{file_name(g.process, budget_id, "pb")}"'})


@results_bp.get("/<int:budget_id>.csv")
def votes_file(budget_id: int):
    result = _published(budget_id)
    return Response(votes_csv(result), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{file_name(g.process, budget_id, "csv")}"'})


@process_section
def results_section(process: Process) -> str:
    items = published_results(process)
    if not items:
        return ""
    published = [(budget, result) for budget, result in items if result is not None]
    staff = current_user.is_authenticated and current_user.has_role(process.commune, "reviewer")
    if not published and not staff:
        return ""
    return render_template("results/section.html", process=process, published=published, staff=staff)


from .views_admin import results_admin_bp  # noqa: E402

blueprints = [results_bp, results_admin_bp]
