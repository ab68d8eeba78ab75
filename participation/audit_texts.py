"""How the platform's own audit entries read, and how its objects are named (see participation/audit.py)."""
from __future__ import annotations

from flask import g, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .audit import ADMINISTRATION, MODERATION, PLATFORM, Target, describe_action, describe_params, describe_target
from .extensions import db
from .hooks import PHASE_NAMES, phase_name
from .models import Commune, Phase, Process, User


def _until(params: dict) -> str:
    return _("%(actor)s blocked %(target)s until %(until)s") if params.get("until") else \
        _("%(actor)s blocked %(target)s")


describe_action("moderation.block", _until, part=MODERATION, label=_l("Blocking a person"))
describe_action("moderation.unblock", lambda p: _("%(actor)s unblocked %(target)s"), part=MODERATION,
                label=_l("Unblocking a person"))
describe_action("process.save", lambda p: _("%(actor)s saved the process %(target)s"), part=ADMINISTRATION,
                label=_l("Saving a process"))
describe_action("phase.save", lambda p: _("%(actor)s saved the phase %(target)s"), part=ADMINISTRATION,
                label=_l("Saving a phase"))
describe_action("phase.delete", lambda p: _("%(actor)s deleted the phase \u201c%(phase)s\u201d of %(target)s"),
                part=ADMINISTRATION, label=_l("Deleting a phase"))
describe_action("phase.move", lambda p: _("%(actor)s moved the phase %(target)s"), part=ADMINISTRATION,
                label=_l("Moving a phase (former versions)"))
describe_action("phase.override",
                lambda p: _("%(actor)s made \u201c%(phase)s\u201d the active phase of %(target)s") if p.get("phase")
                else _("%(actor)s let the dates decide the active phase of %(target)s"),
                part=ADMINISTRATION, label=_l("Choosing the active phase"))
describe_action("role.grant", lambda p: _("%(actor)s gave %(target)s the role of %(role)s"), part=ADMINISTRATION,
                label=_l("Granting a role"))
describe_action("role.invite", lambda p: _("%(actor)s invited a person to take the role of %(role)s"),
                part=ADMINISTRATION, label=_l("Inviting someone to a role"))
describe_action("role.invitation_withdraw",
                lambda p: _("%(actor)s withdrew an invitation to the role of %(role)s"), part=ADMINISTRATION,
                label=_l("Withdrawing an invitation"))
describe_action("role.accept", lambda p: _("%(actor)s accepted the role of %(role)s, offered by %(inviter)s"),
                part=ADMINISTRATION, label=_l("Accepting a role"))
describe_action("role.decline", lambda p: _("%(actor)s declined the role of %(role)s"), part=ADMINISTRATION,
                label=_l("Declining a role"))
describe_action("role.revoke", lambda p: _("%(actor)s took the role of %(role)s from %(target)s"),
                part=ADMINISTRATION, label=_l("Revoking a role"))
describe_action("commune.save", lambda p: _("%(actor)s saved the settings of %(target)s"), part=ADMINISTRATION,
                label=_l("Saving the commune's settings"))
describe_action("job.retry", lambda p: _("%(actor)s ran %(target)s again"), part=PLATFORM,
                label=_l("Running a failed job again"))
describe_action("platform_admin.grant", lambda p: _("%(actor)s made %(target)s a platform administrator"),
                part=PLATFORM, label=_l("Adding a platform administrator"))
describe_action("platform_admin.revoke",
                lambda p: _("%(actor)s removed %(target)s from the platform administrators"), part=PLATFORM,
                label=_l("Removing a platform administrator"))
# A phase is stored as its own names ({lang: name}) or, without one, its kind (shown as the kind's name).
describe_params("phase", {kind.value: label for kind, label in PHASE_NAMES.items()})


@describe_target("user", missing=_l("a deleted account"))
def users(ids: list[int]) -> dict[int, Target]:
    """A person links to the log filtered on them (everything they did or that was done to them)."""
    endpoint = "admin.audit" if getattr(g, "commune", None) is not None else "platform_admin.audit"
    rows = db.session.execute(select(User.id, User.nickname).where(User.id.in_(ids)))
    return {row.id: Target(row.nickname, url_for(endpoint, person=row.nickname)) for row in rows}


@describe_target("process", missing=_l("a deleted process"))
def processes(ids: list[int]) -> dict[int, Target]:
    rows = db.session.scalars(select(Process).where(Process.id.in_(ids)).options(selectinload(Process.commune)))
    return {p.id: Target(_("\u201c%(title)s\u201d", title=p.title_in(_locale())),
                         url_for("communes.process", commune=p.commune.slug, slug=p.slug)) for p in rows}


@describe_target("phase", missing=_l("a deleted phase"))
def phases(ids: list[int]) -> dict[int, Target]:
    rows = db.session.scalars(select(Phase).where(Phase.id.in_(ids)).options(
        selectinload(Phase.process).selectinload(Process.commune)))
    return {p.id: Target(_("\u201c%(phase)s\u201d of \u201c%(process)s\u201d", phase=phase_name(p),
                           process=p.process.title_in(_locale())),
                         url_for("admin.phases", commune=p.process.commune.slug, slug=p.process.slug))
            for p in rows}


@describe_target("commune", missing=_l("a deleted commune"))
def communes(ids: list[int]) -> dict[int, Target]:
    rows = db.session.scalars(select(Commune).where(Commune.id.in_(ids)))
    return {c.id: Target(c.title(_locale()), url_for("communes.home", commune=c.slug)) for c in rows}


@describe_target("outbox_job", missing=_l("a background job"))
def jobs(ids: list[int]) -> dict[int, Target]:
    return {i: Target(_("the background job no. %(id)s", id=i), url_for("notifications.failed_jobs")) for i in ids}


def _locale() -> str:
    from flask_babel import get_locale
    return str(get_locale() or "fr")
