"""Notification pages (list, mark as read, unsubscribe), the failed-jobs page for platform
administrators, and the `participation tick` / `participation digest` commands for cron."""
from __future__ import annotations

import click
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required

from ..extensions import csrf
from ..hooks import admin_link
from ..input import arg_int, form_int
from . import operations, operations_jobs

bp = Blueprint("notifications", __name__, cli_group=None)  # CLI commands join the `participation` group


@bp.app_context_processor
def unread_counter():
    """The header shows the unread count; computed only when the template asks for it."""
    def notification_unread_count() -> int:
        if not current_user.is_authenticated:
            return 0
        return operations.unread_count(current_user)
    return {"notification_unread_count": notification_unread_count}


@bp.get("/notifications/")
@login_required
def index():
    page = arg_int("page", 1, minimum=1)
    items, more = operations.recent(current_user, page=page)
    return render_template("notifications/index.html", items=[(n, operations.message_for(n)) for n in items],
                           page=page, more=more, unread=operations.unread_count(current_user))


@bp.get("/notifications/<int:notification_id>")
@login_required
def follow(notification_id: int):
    """Following a notification marks it read, then leads to what it is about."""
    notification = operations.open_notification(current_user, notification_id)
    return redirect(notification.url or url_for("notifications.index"))


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read(notification_id: int):
    operations.mark_read(current_user, notification_id)
    return redirect(url_for("notifications.index", page=form_int("page", 1, minimum=1)))


@bp.post("/notifications/read")
@login_required
def read_all():
    count = operations.mark_read(current_user)
    flash(_("%(num)d notification(s) marked as read.", num=count), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the proof; RFC 8058 one-click POSTs come from mail clients
def unsubscribe(token: str):
    """Shown in the language of the person the e-mail was sent to (they may not be logged in)."""
    if request.method == "POST":
        user = operations.unsubscribe(token)
        template = "notifications/unsubscribed.html"
    else:
        user = operations.user_for_unsubscribe(token)
        template = "notifications/unsubscribe.html"
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        return render_template(template, user=user, token=token)


@bp.get("/platform/jobs/")
@login_required
def failed_jobs():
    counts, failed = operations_jobs.job_overview(current_user)
    return render_template("notifications/jobs.html", counts=counts, failed=failed)


@bp.post("/platform/jobs/<int:job_id>/retry")
@login_required
def retry_job(job_id: int):
    operations_jobs.retry_job(current_user, job_id)
    flash(_("Job %(id)d will run again.", id=job_id), "success")
    return redirect(url_for("notifications.failed_jobs"))


@admin_link
def _jobs_link(commune) -> list[tuple[str, str]]:
    if current_user.is_authenticated and current_user.is_platform_admin:
        return [(str(_l("Background jobs")), url_for("notifications.failed_jobs"))]
    return []


@bp.cli.command("tick")
def tick_command() -> None:
    """Announce phases opening or closing soon (idempotent; for cron, e.g. every minute)."""
    from .phases import tick

    click.echo(f"{len(tick())} phase event(s) due")


@bp.cli.command("digest")
def digest_command() -> None:
    """Queue today's daily digests (idempotent per person and day; for cron, e.g. daily at 18:00)."""
    from .tasks import schedule_digests

    click.echo(f"{schedule_digests()} digest job(s) queued")
