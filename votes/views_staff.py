"""Staff pages of the vote: paper ballot entry (reviewers) and turnout statistics with a CSV export."""
from __future__ import annotations

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user

from budgets.ballot_check import rule_description
from budgets.models import BudgetScope, VotingRule
from budgets.operations import get_budget, list_budgets, vote_settings
from participation.errors import DomainError
from participation.forms import attach_error
from participation.hooks import admin_link
from participation.input import parse_int
from participation.models import Role
from participation.operations import get_process, list_processes
from participation.tenancy import staff_blueprint

from . import operations as ops
from .forms import PaperIdentityForm
from .operations_paper import cast_paper_ballot
from .operations_stats import turnout, turnout_csv

staff_bp = staff_blueprint("votes_staff", __name__, url_prefix="/admin/vote", template_folder="templates", roles=(Role.reviewer,))
# Static files are not per commune: a plain blueprint serves them at /static/votes/.
assets_bp = Blueprint("votes_assets", __name__, static_folder="static", static_url_path="/static/votes")



@admin_link
def _links(commune):
    if not current_user.is_authenticated or not current_user.has_role(commune, Role.reviewer):
        return []
    return [(str(_l("Paper ballots")), url_for("votes_staff.index", commune=commune.slug)),
            (str(_l("Vote statistics")), url_for("votes_staff.index", commune=commune.slug, kind="statistics"))]


@staff_bp.get("/")
def index():
    kind = "statistics" if request.args.get("kind") == "statistics" else "paper"
    return render_template("votes/staff_index.html", kind=kind,
                           processes=list_processes(g.commune, include_unpublished=True))


@staff_bp.get("/<process>/paper")
def paper_budgets(process: str):
    proc = get_process(g.commune, process, include_unpublished=True)
    return render_template("votes/paper_budgets.html", process=proc, budgets=list_budgets(proc))


@staff_bp.route("/<process>/paper/<int:budget_id>", methods=["GET", "POST"])
def paper(process: str, budget_id: int):
    proc = get_process(g.commune, process, include_unpublished=True)
    budget = get_budget(proc, budget_id)
    settings = vote_settings(proc)
    form = PaperIdentityForm()
    form.district.choices = [(0, _("Not needed"))] + [(d.id, d.name) for d in g.commune.districts]
    if settings.scope != BudgetScope.city_plus_residence_district:
        del form.district
    choices: dict[int, int] = {}
    status = 200
    if request.method == "POST":
        choices = _paper_choices(budget, request.form)
        if form.validate_on_submit():
            try:
                _ballot, code = cast_paper_ballot(
                    current_user, g.commune, budget, choices, name=form.name.data or "",
                    year_of_birth=form.year_of_birth.data, address=form.address.data or "",
                    code=form.code.data or "",
                    district_id=(form.district.data or None) if "district" in form else None)
            except DomainError as exc:
                attach_error(form, exc)
                status = exc.status
            else:
                flash(_("Paper ballot recorded. Receipt code to give to the person: %(code)s", code=code), "success")
                return redirect(url_for(".paper", process=proc.slug, budget_id=budget.id))
        else:
            status = 400
    projects = [p for p in ops.project_map(budget).values() if not p.withdrawn]
    projects.sort(key=lambda p: p.title.lower())
    return render_template("votes/paper.html", process=proc, budget=budget, form=form, projects=projects,
                           choices=choices, rule_text=rule_description(budget)), status


def _paper_choices(budget, form) -> dict[int, int]:
    if budget.rule == VotingRule.cumulative:
        choices = {}
        for key, value in form.items():
            project_id, points = parse_int(key.removeprefix("points-")), parse_int(value.strip())
            if key.startswith("points-") and project_id is not None and points:
                choices[project_id] = points
        return choices
    return {project_id: 1 for project_id in map(parse_int, form.getlist("project")) if project_id is not None}


@staff_bp.get("/<process>/statistics")
def statistics(process: str):
    proc = get_process(g.commune, process, include_unpublished=True)
    return render_template("votes/statistics.html", process=proc, t=turnout(current_user, g.commune, proc))


@staff_bp.get("/<process>/statistics.csv")
def statistics_csv(process: str):
    proc = get_process(g.commune, process, include_unpublished=True)
    data = turnout_csv(turnout(current_user, g.commune, proc), str(get_locale()))
    return Response(data, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="turnout-{proc.slug}.csv"'})
