"""The platform administration: communes, platform administrators, background jobs, the platform's audit log."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from . import operations_platform as platform
from .accounts.operations import find_by_email
from .admin_views import render_audit
from .confirm import ask_confirmation, confirmed
from .errors import Conflict, NotFound
from .extensions import db
from .forms import PlatformAdminForm, attach_error, form_status
from .models import User
from .notifications.operations_jobs import job_overview
from .permissions import require_platform_admin

bp = Blueprint("platform_admin", __name__, url_prefix="/platform")


@bp.before_request
@login_required
def platform_admins_only():
    require_platform_admin(current_user)


def _home(form: PlatformAdminForm):
    counts, _failed = job_overview(current_user, limit=0)
    return render_template("platform/home.html", communes=platform.communes_overview(current_user),
                           admins=platform.platform_admins(current_user), form=form, counts=counts), \
        form_status(form)


@bp.get("/")
def home():
    return _home(PlatformAdminForm(formdata=None))


@bp.post("/admins")
def grant():
    form = PlatformAdminForm()
    if not form.validate():
        return _home(form)
    user = find_by_email(form.email.data)
    if user is None:
        form.email.errors = [_("No account uses this address: ask the person to sign up first.")]
        return _home(form)
    if not confirmed():
        return ask_confirmation(
            _("Make %(name)s a platform administrator?", name=user.nickname),
            details=_("Platform administrators create communes, manage every commune and all platform "
                      "administrators, and see the background jobs."),
            confirm_label=_("Make them a platform administrator"), cancel_url=url_for("platform_admin.home"),
            danger=False)
    try:
        platform.grant_platform_admin(current_user, user)
    except Conflict as exc:
        attach_error(form, exc)
        return _home(form)
    flash(_("%(name)s is now a platform administrator.", name=user.nickname), "success")
    return redirect(url_for("platform_admin.home"))


@bp.route("/admins/<int:user_id>/revoke", methods=["GET", "POST"])
def revoke(user_id: int):
    user = db.session.get(User, user_id)
    if user is None or not user.is_platform_admin:
        raise NotFound(_("This person is not a platform administrator."))
    if not confirmed():
        question = _("Stop being a platform administrator?") if user.id == current_user.id else \
            _("Remove %(name)s from the platform administrators?", name=user.nickname)
        return ask_confirmation(question, details=_("Their account and their roles in communes stay."),
                                confirm_label=_("Remove"), cancel_url=url_for("platform_admin.home"))
    try:
        platform.revoke_platform_admin(current_user, user)
    except Conflict as exc:
        flash(str(exc.message), "error")
        return redirect(url_for("platform_admin.home"))
    flash(_("%(name)s is no longer a platform administrator.", name=user.nickname), "success")
    if user.id == current_user.id:
        return redirect(url_for("platform.home"))
    return redirect(url_for("platform_admin.home"))


@bp.get("/audit")
def audit():
    return render_audit(None)
