"""Administration of budgets, projects, vote settings, census and vote codes (administrators)."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from participation import images
from participation.confirm import ask_confirmation, confirmed
from participation.errors import DomainError, NotFound
from participation.extensions import db
from participation.forms import attach_error, language_values
from participation.hooks import admin_link
from participation.input import form_int
from participation.models import District, Role
from participation.operations import get_process, list_processes
from participation.tenancy import staff_blueprint

from . import operations as ops
from .forms import (RULE_LABELS, VERIFICATION_LABELS, CensusForm, VoteSettingsForm, budget_form, codes_form,
                    project_form)
from .models import Audience, BudgetScope, Verification, VotingRule
from .operations_eligibility import census_size, generate_vote_codes, import_census

admin_bp = staff_blueprint("budgets_admin", __name__, url_prefix="/admin/budgets", template_folder="templates", roles=(Role.administrator,))



@admin_link
def _links(commune):
    if not current_user.is_authenticated or not current_user.has_role(commune, Role.administrator):
        return []
    return [(str(_l("Budgets and projects")), url_for("budgets_admin.index", commune=commune.slug))]


def _process(slug: str):
    return get_process(g.commune, slug, include_unpublished=True)


def _district(district_id: int | None) -> District | None:
    return db.session.get(District, district_id) if district_id else None


def _themes():
    from proposals.models import Theme
    return list(db.session.scalars(select(Theme).where(Theme.commune_id == g.commune.id).order_by(Theme.position)))


@admin_bp.get("/")
def index():
    return render_template("budgets/admin_index.html", processes=list_processes(g.commune, include_unpublished=True))


@admin_bp.get("/<process>/")
def process_budgets(process: str):
    proc = _process(process)
    return render_template("budgets/admin_budgets.html", process=proc, budgets=ops.list_budgets(proc),
                           settings=ops.vote_settings(proc), census=census_size(proc), rule_labels=RULE_LABELS,
                           verification_labels=VERIFICATION_LABELS)


@admin_bp.route("/<process>/settings", methods=["GET", "POST"])
def settings(process: str):
    proc = _process(process)
    current = ops.vote_settings(proc)
    form = VoteSettingsForm(data=None if request.method == "POST" else {
        "scope": current.scope.value, "audience": current.audience.value, "min_age": current.min_age,
        "online_verification": current.online_verification.value, "ballot_final": current.ballot_final,
        "show_running_counts": current.show_running_counts})
    if form.validate_on_submit():
        try:
            ops.save_vote_settings(current_user, g.commune, proc, scope=BudgetScope(form.scope.data),
                                   audience=Audience(form.audience.data), min_age=form.min_age.data,
                                   online_verification=Verification(form.online_verification.data),
                                   ballot_final=form.ballot_final.data,
                                   show_running_counts=form.show_running_counts.data)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            flash(_("Vote settings saved."), "success")
            return redirect(url_for(".process_budgets", process=proc.slug))
    return render_template("budgets/admin_form.html", process=proc, form=form, title=_("Vote settings"))


@admin_bp.route("/<process>/new", methods=["GET", "POST"])
@admin_bp.route("/<process>/<int:budget_id>/edit", methods=["GET", "POST"])
def edit_budget(process: str, budget_id: int | None = None):
    proc = _process(process)
    budget = ops.get_budget(proc, budget_id) if budget_id else None
    langs = g.commune.languages
    data = None
    if budget is not None and request.method == "GET":
        data = {"amount": budget.amount, "currency": budget.currency, "rule": budget.rule.value,
                "district": budget.district_id or 0, "min_share_percent": budget.min_share_percent,
                "min_projects": budget.min_projects, "max_projects": budget.max_projects,
                "total_points": budget.total_points, "max_points_per_project": budget.max_points_per_project}
        data.update({f"name_{k}": v for k, v in budget.name.items()})
        data.update({f"description_{k}": v for k, v in budget.description.items()})
    form = budget_form(langs, g.commune.districts, data=data)
    if form.validate_on_submit():
        try:
            saved = ops.save_budget(
                current_user, g.commune, proc, name=language_values(form, "name", langs),
                description=language_values(form, "description", langs), amount=form.amount.data,
                currency=form.currency.data, rule=VotingRule(form.rule.data), district=_district(form.district.data),
                min_share_percent=form.min_share_percent.data, min_projects=form.min_projects.data,
                max_projects=form.max_projects.data, total_points=form.total_points.data,
                max_points_per_project=form.max_points_per_project.data, budget=budget)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            flash(_("Budget saved."), "success")
            return redirect(url_for(".projects", process=proc.slug, budget_id=saved.id))
    title = _("Edit the budget") if budget else _("New budget")
    return render_template("budgets/admin_form.html", process=proc, form=form, title=title)


@admin_bp.route("/<process>/<int:budget_id>/delete", methods=["GET", "POST"])
def delete_budget(process: str, budget_id: int):
    proc = _process(process)
    budget = ops.get_budget(proc, budget_id)
    if not confirmed():
        return ask_confirmation(
            _("Delete the budget \u201c%(name)s\u201d and its projects?", name=budget.name_in(str(get_locale()))),
            confirm_label=_("Delete the budget"), cancel_url=url_for(".process_budgets", process=proc.slug))
    ops.delete_budget(current_user, g.commune, budget)
    flash(_("Budget deleted."), "success")
    return redirect(url_for(".process_budgets", process=proc.slug))


@admin_bp.get("/<process>/<int:budget_id>/projects")
def projects(process: str, budget_id: int):
    proc = _process(process)
    budget = ops.get_budget(proc, budget_id)
    return render_template("budgets/admin_projects.html", process=proc, budget=budget,
                           proposals=ops.accepted_proposals(proc))


@admin_bp.route("/<process>/<int:budget_id>/projects/new", methods=["GET", "POST"])
@admin_bp.route("/<process>/projects/<int:project_id>/edit", methods=["GET", "POST"])
def edit_project(process: str, budget_id: int | None = None, project_id: int | None = None):
    proc = _process(process)
    project = ops.get_project(proc, project_id) if project_id else None
    budget = project.budget if project else ops.get_budget(proc, budget_id)
    data = None
    if project is not None and request.method == "GET":
        data = {"title": project.title, "description": project.description, "cost": project.cost,
                "district": project.district_id or 0, "theme": project.theme_id or 0,
                "images": "\n".join(f"{i['src']} | {i.get('alt', '')}" for i in project.images or []),
                "address": project.address, "latitude": project.latitude, "longitude": project.longitude}
    form = project_form(g.commune.districts, _themes(), str(get_locale()), data=data)
    if form.validate_on_submit():
        try:
            ops.save_project(
                current_user, g.commune, budget, title=form.title.data, description=form.description.data or "",
                cost=form.cost.data, district=_district(form.district.data), theme_id=form.theme.data or None,
                images=ops.parse_images(form.images.data), address=form.address.data or "",
                latitude=float(form.latitude.data) if form.latitude.data is not None else None,
                longitude=float(form.longitude.data) if form.longitude.data is not None else None, project=project,
                uploads=[data for data in map(images.read_upload, form.new_images.data or []) if data is not None])
        except DomainError as exc:
            attach_error(form, exc)
        else:
            flash(_("Project saved."), "success")
            return redirect(url_for(".projects", process=proc.slug, budget_id=budget.id))
    title = _("Edit the project") if project else _("New project")
    return render_template("budgets/admin_form.html", process=proc, form=form, title=title)


@admin_bp.post("/<process>/projects/<int:project_id>/withdraw")
def withdraw_project(process: str, project_id: int):
    proc = _process(process)
    project = ops.get_project(proc, project_id)
    ops.set_project_withdrawn(current_user, g.commune, project, not project.withdrawn)
    return redirect(url_for(".projects", process=proc.slug, budget_id=project.budget_id))


@admin_bp.route("/<process>/census", methods=["GET", "POST"])
def census(process: str):
    proc = _process(process)
    form = CensusForm()
    if form.validate_on_submit():
        try:
            text = form.file.data.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            attach_error(form, DomainError(_("The file must be encoded in UTF-8."), field="file"))
        else:
            try:
                added = import_census(current_user, g.commune, proc, text, replace=form.replace.data)
            except DomainError as exc:
                attach_error(form, exc)
            else:
                flash(_("%(count)s people added to the list of voters.", count=added), "success")
                return redirect(url_for(".process_budgets", process=proc.slug))
    return render_template("budgets/admin_form.html", process=proc, form=form, title=_("Import the census"),
                           multipart=True, hint=_("Only salted hashes of name, year of birth and address are kept; "
                                                  "the file itself is not stored."))


@admin_bp.route("/<process>/codes", methods=["GET", "POST"])
def codes(process: str):
    proc = _process(process)
    form = codes_form(g.commune.districts)
    if form.validate_on_submit():
        try:
            generated = generate_vote_codes(current_user, g.commune, proc, form.count.data,
                                            _district(form.district.data))
        except DomainError as exc:
            attach_error(form, exc)
        else:
            return render_template("budgets/admin_codes.html", process=proc, codes=generated,
                                   district=_district(form.district.data))
    return render_template("budgets/admin_form.html", process=proc, form=form, title=_("Vote codes"),
                           hint=_("The codes are shown once, to print; only their hashes are kept."))
