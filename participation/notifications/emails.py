"""The e-mails of notifications: one per notification, or a daily digest; text + HTML in the reader's
language, with a signed one-click unsubscribe link (RFC 8058 headers)."""
from __future__ import annotations

from email.message import Message
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale, ngettext

from .. import mail
from ..models import User
from ..urls import external_url
from .models import Notification
from .operations import absolute_url, message_for, unsubscribe_token


def locale_of(user: User) -> str:
    return user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]


def _domain() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname or "participation"


def _common(user: User) -> tuple[dict, dict[str, str]]:
    # From BASE_URL, never from a request: jobs run inline in one without Redis.
    unsubscribe = external_url("notifications.unsubscribe", token=unsubscribe_token(user))
    context = {"user": user, "unsubscribe_url": unsubscribe,
               "preferences_url": external_url("accounts.account"),
               "notifications_url": external_url("notifications.index")}
    headers = {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
               "Auto-Submitted": "auto-generated"}
    return context, headers


def notification_email(user: User, notification: Notification) -> Message:
    with force_locale(locale_of(user)):
        context, headers = _common(user)
        message = message_for(notification)
        context.update(message=message, link=absolute_url(notification.url))
        text = render_template("notifications/email.txt", **context)
        html = render_template("notifications/email.html", **context)
        subject = message if len(message) <= 150 else message[:149] + "\u2026"
        return mail.build_message(user.email, subject, text, html, headers=headers,
                                  message_id=f"<notification-{notification.id}@{_domain()}>")


def digest_email(user: User, notifications: list[Notification], day, total: int | None = None) -> Message:
    with force_locale(locale_of(user)):
        context, headers = _common(user)
        items = [(message_for(n), absolute_url(n.url), n.created_at) for n in notifications]
        context.update(items=items, day=day, more=max(0, (total or len(items)) - len(items)))
        text = render_template("notifications/digest.txt", **context)
        html = render_template("notifications/digest.html", **context)
        subject = ngettext("Your daily summary: %(num)d new notification",
                           "Your daily summary: %(num)d new notifications", total or len(items))
        return mail.build_message(user.email, subject, text, html, headers=headers,
                                  message_id=f"<digest-{user.id}-{day.isoformat()}@{_domain()}>")
