"""How the proposals package's audit entries read, and how proposals and comments are named and linked."""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from sqlalchemy import select

from participation.audit import (ADMINISTRATION, INSTRUCTION, MODERATION, Target, describe_action, describe_params,
                                 describe_target)
from participation.extensions import db
from participation.models import Commune, Process

from .models import Comment, Proposal, Theme
from .tasks import STATUS_NAMES

describe_action("moderation.hide", lambda p: _("%(actor)s hid %(target)s"), part=MODERATION,
                label=_l("Hiding content"))
describe_action("moderation.unhide", lambda p: _("%(actor)s restored %(target)s"), part=MODERATION,
                label=_l("Restoring content"))
describe_action("moderation.dismiss",
                lambda p: _("%(actor)s dismissed the reports on %(target)s and restored it") if p.get("restored")
                else _("%(actor)s dismissed the reports on %(target)s"), part=MODERATION,
                label=_l("Dismissing reports"))
describe_action("moderation.auto_hide",
                lambda p: ngettext("Hidden automatically after %(reports)s report: %(target)s",
                                   "Hidden automatically after %(reports)s reports: %(target)s",
                                   int(p.get("reports") or 0)),
                part=MODERATION, label=_l("Hiding after reports"))
describe_action("instruction.save",
                lambda p: _("%(actor)s set the status of %(target)s to \u201c%(status)s\u201d and answered it")
                if p.get("answered") else _("%(actor)s set the status of %(target)s to \u201c%(status)s\u201d"),
                part=INSTRUCTION, label=_l("Instructing a proposal"), show_reason=False)
describe_action("theme.save", lambda p: _("%(actor)s saved the theme %(target)s"), part=ADMINISTRATION,
                label=_l("Saving a theme"))
describe_action("proposal_settings.save", lambda p: _("%(actor)s saved the proposal settings of %(target)s"),
                part=ADMINISTRATION, label=_l("Saving the proposal settings"))
describe_params("status", {status.value: label for status, label in STATUS_NAMES.items()})


def _locale() -> str:
    from flask_babel import get_locale
    return str(get_locale() or "fr")


def _proposal_rows(ids: list[int]):
    return db.session.execute(select(Proposal.id, Proposal.title, Process.slug.label("process"),
                                     Commune.slug.label("commune"))
                              .join(Process, Process.id == Proposal.process_id)
                              .join(Commune, Commune.id == Proposal.commune_id).where(Proposal.id.in_(ids)))


@describe_target("proposal", missing=_l("a deleted proposal"))
def proposals(ids: list[int]) -> dict[int, Target]:
    return {row.id: Target(_("the proposal \u201c%(title)s\u201d", title=row.title),
                           url_for("proposals.detail", commune=row.commune, process=row.process, proposal_id=row.id))
            for row in _proposal_rows(ids)}


@describe_target("comment", missing=_l("a deleted comment"))
def comments(ids: list[int]) -> dict[int, Target]:
    rows = db.session.execute(select(Comment.id, Comment.proposal_id).where(Comment.id.in_(ids))).all()
    on = {row.id: (row.title, row.commune, row.process) for row in _proposal_rows([r.proposal_id for r in rows])}
    found = {}
    for row in rows:
        title, commune, process = on[row.proposal_id]
        found[row.id] = Target(_("a comment on \u201c%(title)s\u201d", title=title),
                               url_for("proposals.detail", commune=commune, process=process,
                                       proposal_id=row.proposal_id) + f"#comment-{row.id}")
    return found


@describe_target("theme", missing=_l("a deleted theme"))
def themes(ids: list[int]) -> dict[int, Target]:
    return {t.id: Target(_("\u201c%(name)s\u201d", name=t.label(_locale())))
            for t in db.session.scalars(select(Theme).where(Theme.id.in_(ids)))}
