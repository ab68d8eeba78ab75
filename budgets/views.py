"""Budget and project pages, and the budgets section of the process page."""
from __future__ import annotations

from flask import Blueprint, g, render_template
from flask_babel import get_locale
from sqlalchemy import func, select

from participation.extensions import db
from participation.hooks import process_section
from participation.models import Action, Process
from participation.tenancy import process_blueprint

from . import demo  # noqa: F401 - registers the demo seeder
from .ballot_check import _money, rule_description
from .models import Budget
from .operations import get_budget, get_project, list_budgets, vote_settings

bp = process_blueprint("budgets", __name__, url_prefix="/budgets", template_folder="templates")
# Static files are not per commune: a plain blueprint serves them at /static/budgets/.
assets_bp = Blueprint("budgets_assets", __name__, static_folder="static", static_url_path="/static/budgets")


@bp.app_template_filter("budget_money")
def budget_money(value: int, currency: str = "EUR") -> str:
    """Whole currency units, in the visitor's language: 300 000 €."""
    return _money(value, currency)



def ballot_counts(process: Process) -> dict[int, int] | None:
    """Ballots per budget, or None while the vote is open and the process hides running counts."""
    if process.allows(Action.vote) and not vote_settings(process).show_running_counts:
        return None
    from votes.models import Ballot
    rows = db.session.execute(select(Ballot.budget_id, func.count()).join(Budget).where(
        Budget.process_id == process.id, Ballot.is_current.is_(True)).group_by(Ballot.budget_id))
    return dict(rows.all())


@process_section
def budgets_section(process: Process) -> str:
    budgets = list_budgets(process)
    if not budgets:
        return ""
    return render_template("budgets/_process_section.html", process=process, budgets=budgets,
                           is_open=process.allows(Action.vote), counts=ballot_counts(process),
                           rule_description=rule_description)


@bp.get("/")
def index():
    process = g.process
    return render_template("budgets/index.html", process=process, budgets=list_budgets(process),
                           counts=ballot_counts(process), is_open=process.allows(Action.vote),
                           rule_description=rule_description)


@bp.get("/<int:budget_id>/")
def budget(budget_id: int):
    item = get_budget(g.process, budget_id)
    return render_template("budgets/budget.html", process=g.process, budget=item,
                           projects=[p for p in item.projects if not p.withdrawn],
                           is_open=g.process.allows(Action.vote), rule_text=rule_description(item))


@bp.get("/projects/<int:project_id>")
def project(project_id: int):
    item = get_project(g.process, project_id)
    theme = None
    if item.theme_id:
        from proposals.models import Theme
        theme = db.session.get(Theme, item.theme_id)
    return render_template("budgets/project.html", process=g.process, project=item, budget=item.budget,
                           theme=theme.label(str(get_locale())) if theme else None,
                           is_open=g.process.allows(Action.vote))


from .views_admin import admin_bp  # noqa: E402
from .views_instruction import instruction_bp  # noqa: E402

blueprints = [bp, admin_bp, instruction_bp, assets_bp]
