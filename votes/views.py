"""Ballot pages: eligibility, the ballot (works without JavaScript), confirmation, receipt and its check,
and a small JSON API (same session, CSRF token in a header) for scripts. On PostgreSQL the lean endpoint
(ballot_api.py) casts acceptable ballots of both the cast form and the API before these views."""
from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from budgets.ballot_check import rule_description, summarise
from budgets.models import Budget, BudgetScope, Verification
from budgets.operations import get_budget, vote_settings
from participation.errors import DomainError
from participation.extensions import limiter
from participation.forms import attach_error, form_status
from participation.models import Action, Process
from participation.tenancy import process_blueprint
from participation.views import safe_next

from . import cast_function, operations as ops
from .ballot_api import NUMBER, ChoicesError, parse_choices
from .forms import ReceiptForm, eligibility_form
from .operations_voters import register_online_voter

bp = process_blueprint("votes", __name__, url_prefix="/vote", template_folder="templates")



def _over_ballot_limit() -> bool:
    """Submissions that reach Flask (pages, and API requests the lean endpoint passed on: refusals,
    errors) count per account (people at one address share an IP: a library, a town hall). Accepted
    ballots are also limited by the cast itself, from the ballots stored (cast_function.ballot_rate)."""
    if not limiter.enabled:
        return False
    return not limiter.hit(cast_function.ballot_limit(current_app.config), "ballot",
                                   f"user:{current_user.id}")


@bp.get("/")
def home():
    process: Process = g.process
    voter = ops.voter_for_user(process, current_user)
    settings = vote_settings(process)
    return render_template("votes/home.html", process=process, settings=settings, voter=voter,
                           budgets=ops.votable_budgets(process, voter), ballots=ops.current_ballots(voter),
                           is_open=process.allows(Action.vote), Verification=Verification)


@bp.route("/eligibility", methods=["GET", "POST"])
@login_required
def eligibility():
    process: Process = g.process
    settings = vote_settings(process)
    if ops.voter_for_user(process, current_user) is not None:
        return redirect(url_for(".home"))
    form = eligibility_form(settings, g.commune.districts,
                            residence=settings.scope == BudgetScope.city_plus_residence_district,
                            users_too=settings.audience.value == "residents_and_users")
    if form.validate_on_submit():
        data = {name: getattr(form, name).data for name in ("attest", "name", "year_of_birth", "address", "code",
                                                            "district") if name in form}
        data["district_id"] = data.pop("district", 0) or None
        try:
            register_online_voter(current_user, g.commune, process, **{k: v for k, v in data.items()
                                                                       if v is not None})
        except DomainError as exc:
            attach_error(form, exc)
        else:
            return redirect(safe_next(request.args.get("next"), fallback=url_for(".home")))
    return render_template("votes/eligibility.html", process=process, settings=settings, form=form,
                           Verification=Verification), form_status(form)


def _choices(form) -> dict[int, int]:
    """The ballot being built, from the form: hidden `project` ids (one point each: approval rules, with
    the add/remove buttons) and `points-<id>` inputs (cumulative). Read whatever the budget's rule, as
    the API reads {"projects"} or {"points"}: the cast checks the choices against the rule. The lean
    endpoint reads the same cast form (ballot_api.parse_form) and must find the same choices."""
    choices = {int(v): 1 for v in form.getlist("project") if NUMBER.fullmatch(v)}
    if NUMBER.fullmatch(form.get("add") or ""):
        choices[int(form["add"])] = 1
    if NUMBER.fullmatch(form.get("remove") or ""):
        choices.pop(int(form["remove"]), None)
    for key, value in form.items():
        if key.startswith("points-") and NUMBER.fullmatch(key[7:]):
            points = int(value) if re.fullmatch(r"-?[0-9]{1,10}", value or "") else 0  # negatives: the rule refuses
            if points:
                choices[int(key[7:])] = points
            else:  # 0 points: not chosen
                choices.pop(int(key[7:]), None)
    return choices


def _render_ballot(budget: Budget, voter, choices: dict[int, int], *, error: str | None = None, status: int = 200):
    projects = ops.project_map(budget)
    summary = summarise(budget, projects, choices)
    shown = [p for p in sorted(projects.values(), key=lambda p: p.title.lower()) if not p.withdrawn]
    template = "votes/_ballot_form.html" if request.headers.get("X-Partial") else "votes/ballot.html"
    current = ops.current_ballots(voter).get(budget.id)
    return render_template(template, process=g.process, budget=budget, projects=shown, choices=choices,
                           summary=summary, error=error, current=current, rule_text=rule_description(budget),
                           settings=vote_settings(g.process)), status


def _voter_or_redirect(budget: Budget):
    voter = ops.voter_for_user(g.process, current_user)
    if voter is None:
        return None, redirect(url_for(".eligibility", next=url_for(".ballot", budget_id=budget.id)))
    return voter, None


@bp.route("/<int:budget_id>/", methods=["GET", "POST"])
@login_required
def ballot(budget_id: int):
    budget = get_budget(g.process, budget_id)
    voter, redirect_response = _voter_or_redirect(budget)
    if redirect_response:
        return redirect_response
    if request.method == "GET":
        current = ops.current_ballots(voter).get(budget.id)
        choices = {c.project_id: c.points for c in current.choices} if current else {}
        return _render_ballot(budget, voter, choices)
    choices = _choices(request.form)
    if request.form.get("action") == "review":
        summary = summarise(budget, ops.project_map(budget), choices)
        if summary.ok:
            return render_template("votes/confirm.html", process=g.process, budget=budget, choices=choices,
                                   summary=summary, projects=ops.project_map(budget))
        return _render_ballot(budget, voter, choices, error=summary.errors[0], status=400)
    return _render_ballot(budget, voter, choices)


@bp.post("/<int:budget_id>/cast")
@login_required
def cast(budget_id: int):
    if _over_ballot_limit():
        abort(429)
    budget = get_budget(g.process, budget_id)
    voter, redirect_response = _voter_or_redirect(budget)
    if redirect_response:
        return redirect_response
    choices = _choices(request.form)
    try:
        _ballot, code = ops.cast_online_ballot(current_user, g.process, budget, choices)
    except DomainError as exc:
        return _render_ballot(budget, voter, choices, error=str(exc.message), status=exc.status)
    session["receipt"] = {"budget": budget.id, "code": code}
    return redirect(url_for(".receipt", budget_id=budget.id))


@bp.get("/<int:budget_id>/receipt")
@login_required
def receipt(budget_id: int):
    budget = get_budget(g.process, budget_id)
    data = session.pop("receipt", None) or {}  # shown once: the next visitor of a shared computer won't see it
    code = data.get("code") if data.get("budget") == budget.id else None
    voter = ops.voter_for_user(g.process, current_user)
    current = ops.current_ballots(voter).get(budget.id)
    return render_template("votes/receipt.html", process=g.process, budget=budget, code=code, current=current)


@bp.route("/check", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def check():
    form = ReceiptForm()
    result = None
    if form.validate_on_submit():
        result = ops.check_receipt(g.process, form.code.data)
    return render_template("votes/check.html", process=g.process, form=form, result=result)


def _api_error(exc: DomainError):
    return jsonify({"error": str(exc.message)}), exc.status


@bp.get("/<int:budget_id>/api")
@login_required
def api_ballot(budget_id: int):
    """The ballot's projects and a CSRF token to send back in the X-CSRFToken header."""
    budget = get_budget(g.process, budget_id)
    locale = str(get_locale())
    current = ops.current_ballots(ops.voter_for_user(g.process, current_user)).get(budget.id)
    return jsonify({
        "csrf_token": generate_csrf(), "budget": {"id": budget.id, "name": budget.name_in(locale),
                                                  "amount": budget.amount, "currency": budget.currency,
                                                  "rule": budget.rule.value, "rule_text": rule_description(budget)},
        "projects": [{"id": p.id, "title": p.title, "cost": p.cost} for p in ops.project_map(budget).values()
                     if not p.withdrawn],
        "current": {"cast_at": current.cast_at.isoformat() + "Z",
                    "choices": {str(c.project_id): c.points for c in current.choices}} if current else None})


# The ballot submission is the vote's hot path: its blueprint has no commune or process loader (three
# ORM queries); the cast checks the URL's commune and process in its own first statements instead.
api_bp = Blueprint("votes_api", __name__, url_prefix="/<commune>/processes/<process>/vote")


@api_bp.post("/<int:budget_id>/api")
@login_required
def api_cast(commune: str, process: str, budget_id: int):
    """Cast a ballot: {"projects": [ids]} or {"points": {"id": n}}. 201 with the receipt code.
    On PostgreSQL the lean endpoint (ballot_api.py) casts acceptable ballots before Flask; this view
    answers the rest and explains refusals."""
    if _over_ballot_limit():
        abort(429)
    try:
        choices = parse_choices(request.get_json(silent=True))
    except ChoicesError as exc:
        return jsonify({"error": str(exc.message), "field": exc.field}), 400
    try:
        ballot, code = ops.cast_online_ballot(current_user, None, budget_id, choices,
                                              commune_slug=commune, process_slug=process)
    except DomainError as exc:
        return _api_error(exc)
    response = jsonify({"receipt": code, "ballot": ballot.id, "cast_at": ballot.cast_at.isoformat() + "Z"})
    response.headers["Cache-Control"] = "no-store"  # the receipt code is the voter's alone
    return response, 201


# Staff pages, the process page section and the demo data register themselves on import.
from .views_staff import assets_bp, staff_bp  # noqa: E402

blueprints = [bp, api_bp, staff_bp, assets_bp]
