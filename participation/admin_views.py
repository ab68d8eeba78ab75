"""Commune administration: processes, phases, roles, commune identity and the audit log."""
from __future__ import annotations

from datetime import timezone
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import format_datetime, gettext as _
from flask_login import current_user
from sqlalchemy import select

from . import audit as audit_log, images, operations
from .accounts import invitations
from .confirm import ask_confirmation, confirmed
from .errors import DomainError
from .extensions import db
from .forms import (ROLE_NAMES, AuditFilterForm, RoleForm, attach_error, commune_form, form_status, language_values,
                    phase_form, process_form)
from .hooks import PHASE_NAMES, phase_name
from .input import arg_int, form_int
from .models import Membership, Phase, PhaseKind, Role, utcnow
from .permissions import require_role
from .tenancy import staff_blueprint

bp = staff_blueprint("admin", __name__, url_prefix="/admin", roles=(Role.moderator, Role.reviewer,))



def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def to_utc(local):
    """Administrators type local wall-clock times; the database keeps naive UTC."""
    return local.replace(tzinfo=_tz()).astimezone(timezone.utc).replace(tzinfo=None)


def to_local(utc):
    return utc.replace(tzinfo=timezone.utc).astimezone(_tz()).replace(tzinfo=None)


@bp.get("/")
def dashboard():
    processes = operations.list_processes(g.commune, include_unpublished=True)
    return render_template("admin/dashboard.html", processes=processes)


@bp.route("/processes/new", methods=["GET", "POST"])
@bp.route("/processes/<slug>/edit", methods=["GET", "POST"])
def edit_process(slug: str | None = None):
    require_role(current_user, g.commune, Role.administrator)
    langs = g.commune.languages
    process = operations.get_process(g.commune, slug, include_unpublished=True) if slug else None
    data = None
    if process is not None and request.method == "GET":
        data = {"slug": process.slug, "published": process.published}
        data.update({f"title_{k}": v for k, v in process.title.items()})
        data.update({f"description_{k}": v for k, v in process.description.items()})
    form = process_form(langs, has_image=process is not None and process.image is not None, data=data)
    if form.validate_on_submit():
        try:
            saved = operations.save_process(
                current_user, g.commune, slug=form.slug.data, title=language_values(form, "title", langs),
                description=language_values(form, "description", langs), image=images.read_upload(form.image.data),
                remove_image=bool(getattr(form, "remove_image", None) and form.remove_image.data),
                published=form.published.data, process=process)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            flash(_("The process is saved."), "success")
            return redirect(url_for("admin.phases", slug=saved.slug))
    return render_template("admin/process_form.html", form=form, process=process, languages_=langs), \
        form_status(form)


@bp.route("/processes/<slug>/phases", methods=["GET", "POST"])
@bp.route("/processes/<slug>/phases/<int:phase_id>", methods=["GET", "POST"])
def phases(slug: str, phase_id: int | None = None):
    require_role(current_user, g.commune, Role.administrator)
    langs = g.commune.languages
    process = operations.get_process(g.commune, slug, include_unpublished=True)
    phase = next((p for p in process.phases if p.id == phase_id), None) if phase_id else None
    if phase_id and phase is None:
        abort(404)
    data = None
    if phase is not None and request.method == "GET":
        data = {"kind": phase.kind.value, "starts_at": to_local(phase.starts_at), "ends_at": to_local(phase.ends_at)}
        data.update({f"name_{k}": v for k, v in phase.name.items()})
    form = phase_form(langs, PHASE_NAMES, data=data)
    if form.validate_on_submit():
        try:
            operations.save_phase(
                current_user, g.commune, process, kind=PhaseKind(form.kind.data),
                name=language_values(form, "name", langs), starts_at=to_utc(form.starts_at.data),
                ends_at=to_utc(form.ends_at.data), phase=phase)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            flash(_("The phase is saved."), "success")
            return redirect(url_for("admin.phases", slug=process.slug))
    return render_template("admin/phases.html", form=form, process=process, phase=phase, to_local=to_local,
                           out_of_order=operations.phases_out_of_order(process)), form_status(form)


def _phase_of(process, phase_id: int) -> Phase:
    phase = next((p for p in process.phases if p.id == phase_id), None)
    if phase is None:
        abort(404)
    return phase


@bp.route("/processes/<slug>/phases/<int:phase_id>/delete", methods=["GET", "POST"])
def delete_phase(slug: str, phase_id: int):
    require_role(current_user, g.commune, Role.administrator)
    process = operations.get_process(g.commune, slug, include_unpublished=True)
    phase = _phase_of(process, phase_id)
    if not confirmed():
        dates = f"{format_datetime(phase.starts_at, 'short')} \u2013 {format_datetime(phase.ends_at, 'short')}"
        return ask_confirmation(
            _("Delete the phase \u201c%(phase)s\u201d (%(dates)s)?", phase=phase_name(phase), dates=dates),
            details=_("The phase disappears from the process page; what residents did during it stays."),
            confirm_label=_("Delete the phase"), cancel_url=url_for("admin.phases", slug=slug))
    operations.delete_phase(current_user, g.commune, process, phase)
    flash(_("The phase is deleted."), "success")
    return redirect(url_for("admin.phases", slug=slug))


@bp.post("/processes/<slug>/override")
def override_phase(slug: str):
    process = operations.get_process(g.commune, slug, include_unpublished=True)
    phase_id = form_int("phase_id")
    phase = _phase_of(process, phase_id) if phase_id is not None else None
    operations.override_phase(current_user, g.commune, process, phase)
    flash(_("The active phase is updated."), "success")
    return redirect(url_for("admin.phases", slug=slug))


@bp.route("/roles", methods=["GET", "POST"])
def roles():
    form = RoleForm()
    if form.validate_on_submit():
        invitations.invite(current_user, g.commune, form.email.data, Role(form.role.data))
        # The same answer whether or not the address has an account: the page reveals nothing.
        flash(_("An invitation has been sent to %(email)s. The role is given once the person accepts it.",
                email=form.email.data.strip()), "success")
        return redirect(url_for("admin.roles"))
    return render_template("admin/roles.html", form=form, memberships=operations.members(current_user, g.commune),
                           invitations=invitations.pending(current_user, g.commune), role_names=ROLE_NAMES,
                           now=utcnow()), form_status(form)


@bp.post("/roles/invitations/<int:invitation_id>/withdraw")
def withdraw_invitation(invitation_id: int):
    invitations.withdraw(current_user, g.commune, invitation_id)
    flash(_("The invitation is withdrawn."), "success")
    return redirect(url_for("admin.roles"))


@bp.route("/roles/<int:membership_id>/revoke", methods=["GET", "POST"])
def revoke(membership_id: int):
    membership = db.session.scalar(select(Membership).where(
        Membership.id == membership_id, Membership.commune_id == g.commune.id))
    if membership is None:
        abort(404)
    require_role(current_user, g.commune, Role.administrator)
    if not confirmed():
        return ask_confirmation(_("Take the role of %(role)s from %(name)s?",
                                  role=audit_log.role_name(membership.role), name=membership.user.nickname),
                                confirm_label=_("Revoke the role"), cancel_url=url_for("admin.roles"))
    operations.revoke_role(current_user, g.commune, membership)
    flash(_("The role is revoked."), "success")
    return redirect(url_for("admin.roles"))


@bp.route("/commune", methods=["GET", "POST"])
def commune_settings():
    require_role(current_user, g.commune, Role.administrator)
    c = g.commune
    langs = current_app.config["LANGUAGES"]
    data = None
    if request.method == "GET":
        data = {"slug": c.slug, "host": c.host, "primary_color": c.primary_color,
                "accent_color": c.accent_color, "languages": c.languages, "default_language": c.default_language,
                "districts": "\n".join(d.name for d in c.districts),
                "map_latitude": c.map_latitude, "map_longitude": c.map_longitude}
        data.update({f"name_{k}": v for k, v in c.name.items()})
        data.update({f"description_{k}": v for k, v in c.description.items()})
    form = commune_form(langs, data=data, host_editable=current_user.is_platform_admin,
                        has_logo=c.logo is not None)
    if form.validate_on_submit():
        host = {"host": form.host.data} if "host" in form else {}
        try:
            operations.save_commune(
                current_user, slug=form.slug.data, name=language_values(form, "name", langs),
                description=language_values(form, "description", langs), primary_color=form.primary_color.data,
                accent_color=form.accent_color.data, default_language=form.default_language.data,
                languages=form.languages.data, logo=images.read_upload(form.logo.data),
                remove_logo=bool(getattr(form, "remove_logo", None) and form.remove_logo.data),
                map_centre=(form.map_latitude.data, form.map_longitude.data),
                districts=form.districts.data.splitlines(), commune=c, **host)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            flash(_("The commune is saved."), "success")
            return redirect(url_for("admin.commune_settings", commune=c.slug))
    return render_template("admin/commune_form.html", form=form), form_status(form)


def page_number() -> int:
    """?page=N of a list; anything else (not a number, 0, absurdly large) is the first page."""
    return arg_int("page", 1, minimum=1, maximum=999_999)


def render_audit(commune):
    """The audit log page of a commune, or of the platform (commune None); also used by platform_views."""
    parts = audit_log.visible_parts(current_user, commune)  # the permission check
    asked = any(request.args.get(name) for name in ("action", "person", "since", "until"))
    form = AuditFilterForm(request.args if asked else None)
    form.action.choices = [("", _("All actions"))] + audit_log.action_choices(parts)
    filters = audit_log.AuditFilters()
    if asked and form.validate():
        filters = audit_log.AuditFilters(action=form.action.data or "", person=form.person.data or "",
                                         since=form.since.data, until=form.until.data)
    page = audit_log.audit_page(current_user, commune, filters, page=page_number())
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("admin/audit.html", form=form, page=page, args=args, commune_wide=commune is not None,
                           parts=parts), form_status(form)


@bp.get("/audit")
def audit():
    return render_audit(g.commune)
