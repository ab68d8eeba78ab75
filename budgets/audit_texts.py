"""How the budgets package's audit entries read, and how budgets and projects are named and linked."""
from __future__ import annotations

from flask import url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from sqlalchemy import select

from participation.audit import ADMINISTRATION, INSTRUCTION, Target, describe_action, describe_target
from participation.extensions import db
from participation.models import Commune, Process

from .models import Budget, Project

describe_action("vote_settings.save", lambda p: _("%(actor)s saved the vote settings of %(target)s"),
                part=ADMINISTRATION, label=_l("Saving the vote settings"))
describe_action("budget.save", lambda p: _("%(actor)s saved %(target)s"), part=ADMINISTRATION,
                label=_l("Saving a budget"))
describe_action("budget.delete", lambda p: _("%(actor)s deleted the budget \u201c%(budget)s\u201d of %(target)s"),
                part=ADMINISTRATION, label=_l("Deleting a budget"))
describe_action("project.save", lambda p: _("%(actor)s saved %(target)s"), part=ADMINISTRATION,
                label=_l("Saving a project"))
describe_action("project.withdraw", lambda p: _("%(actor)s withdrew %(target)s from the ballot"),
                part=ADMINISTRATION, label=_l("Withdrawing a project from the ballot"))
describe_action("project.restore", lambda p: _("%(actor)s put %(target)s back on the ballot"),
                part=ADMINISTRATION, label=_l("Putting a project back on the ballot"))
describe_action("project.from_proposal",
                lambda p: _("%(actor)s made %(target)s a project of the budget \u201c%(budget)s\u201d"),
                part=INSTRUCTION, label=_l("Turning a proposal into a project"))
describe_action("census.import", lambda p: _("%(actor)s imported the census of %(target)s"), part=ADMINISTRATION,
                label=_l("Importing the census"), show_reason=False)
describe_action("vote_codes.generate", lambda p: _("%(actor)s generated vote codes for %(target)s"),
                part=ADMINISTRATION, label=_l("Generating vote codes"), show_reason=False)


def _locale() -> str:
    return str(get_locale() or "fr")


def _budget_target(budget: Budget, process: str, commune: str) -> Target:
    return Target(_("the budget \u201c%(name)s\u201d", name=budget.name_in(_locale())),
                  url_for("budgets.budget", commune=commune, process=process, budget_id=budget.id))


@describe_target("budget", missing=_l("a deleted budget"))
def budgets(ids: list[int]) -> dict[int, Target]:
    rows = db.session.execute(select(Budget, Process.slug, Commune.slug).join(Process, Process.id == Budget.process_id)
                              .join(Commune, Commune.id == Process.commune_id).where(Budget.id.in_(ids)))
    return {budget.id: _budget_target(budget, process, commune) for budget, process, commune in rows}


@describe_target("project", missing=_l("a deleted project"))
def projects(ids: list[int]) -> dict[int, Target]:
    rows = db.session.execute(select(Project.id, Project.title, Process.slug, Commune.slug)
                              .join(Budget, Budget.id == Project.budget_id)
                              .join(Process, Process.id == Budget.process_id)
                              .join(Commune, Commune.id == Process.commune_id).where(Project.id.in_(ids)))
    return {ident: Target(_("the project \u201c%(title)s\u201d", title=title),
                          url_for("budgets.project", commune=commune, process=process, project_id=ident))
            for ident, title, process, commune in rows}
