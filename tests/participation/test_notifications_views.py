"""Notification pages: header count, list, mark as read, unsubscribe, and the failed-jobs page."""
from __future__ import annotations

import re

import pytest
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from participation.extensions import db
from participation.jobs import enqueue, task
from participation.models import AuditEntry, EmailPreference, OutboxJob, OutboxStatus, User
from participation.notifications.models import Notification
from participation.notifications.operations import notify, register_kind, unsubscribe_token

from ..factories import login, make_user
from .test_jobs_helpers import private_queue  # noqa: F401 - fixture

register_kind("test.view", _l("Your idea %(what)s was answered"))
ATTEMPTS = {"fail": True}


@task
def sometimes_fails() -> None:
    if ATTEMPTS["fail"]:
        raise RuntimeError("SMTP server on fire")


@pytest.fixture(autouse=True)
def _queue(private_queue):  # noqa: F811
    yield


def _notify(user_id: int, n: int = 1) -> None:
    for i in range(n):
        notify([user_id], kind="test.view", dedupe_key=f"view:{i}", url="/elsewhere/", params={"what": f"#{i}"})


def _links(html: str) -> int:
    return len(re.findall(r'href="/notifications/\d+">Your idea #', html))


def _page(client, url: str = "/notifications/") -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_unread_count_in_the_header_list_follow_and_mark_read(client):
    user = make_user(locale="en")
    user_id = user.id
    login(client, user)
    assert 'class="badge"' not in _page(client, "/")
    _notify(user_id, 3)
    html = _page(client, "/")
    assert re.search(r'href="/notifications/">Notifications <span class="badge" aria-hidden="true">3</span>'
                     r'<span class="visually-hidden">\(3 unread\)</span>', html)
    html = _page(client)
    assert _links(html) == 3 and "3 unread notifications." in html
    first = db.session.scalars(select(Notification.id).where(Notification.user_id == user_id)
                               .order_by(Notification.id)).first()

    response = client.get(f"/notifications/{first}")  # following it marks it read
    assert response.status_code == 302 and response.headers["Location"] == "/elsewhere/"
    assert "2 unread notifications." in _page(client)

    second = first + 1
    response = client.post(f"/notifications/{second}/read", data={"page": "1"})
    assert response.status_code == 302
    assert "1 unread notification." in _page(client)

    response = client.post("/notifications/read", follow_redirects=True)
    assert "0 unread notifications." in response.get_data(as_text=True)
    assert 'class="badge"' not in _page(client, "/")


def test_other_peoples_notifications_stay_theirs(client):
    owner = make_user().id
    _notify(owner)
    theirs = db.session.scalar(select(Notification.id))
    intruder = make_user()
    login(client, intruder)
    assert client.get(f"/notifications/{theirs}").status_code == 404
    client.post(f"/notifications/{theirs}/read")
    client.post("/notifications/read")
    db.session.expire_all()
    assert db.session.get(Notification, theirs).read_at is None


def test_marking_read_needs_a_csrf_token(app, client, monkeypatch):
    user = make_user()
    user_id = user.id
    login(client, user)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    _notify(user_id)
    assert client.post("/notifications/read").status_code == 400
    html = _page(client)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert client.post("/notifications/read", data={"csrf_token": token}).status_code == 302


def test_the_list_is_paginated(client):
    user = make_user()
    user_id = user.id
    login(client, user)
    _notify(user_id, 31)
    html = _page(client)
    assert _links(html) == 30 and "?page=2" in html
    html = _page(client, "/notifications/?page=2")
    assert _links(html) == 1 and "?page=1" in html


def test_unsubscribe_page_confirms_then_stops_emails(app, client):
    user = make_user(locale="en")
    user_id = user.id
    with app.test_request_context():
        token = unsubscribe_token(user)
    html = _page(client, f"/notifications/unsubscribe/{token}")
    assert "Unsubscribe</button>" in html
    db.session.expire_all()
    assert db.session.get(User, user_id).email_preference == EmailPreference.immediately  # GET changes nothing
    response = client.post(f"/notifications/unsubscribe/{token}")
    assert response.status_code == 200 and "no longer receive" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user_id).email_preference == EmailPreference.never
    assert client.get(f"/notifications/unsubscribe/{token}x").status_code == 400
    assert client.post("/notifications/unsubscribe/forged.token").status_code == 400


def test_platform_admins_see_failed_jobs_and_retry_them(app, client, run_jobs, monkeypatch):
    monkeypatch.setitem(app.config, "JOB_MAX_ATTEMPTS", 1)
    ATTEMPTS["fail"] = True
    job_id = enqueue(sometimes_fails).id
    db.session.commit()
    run_jobs()
    resident = make_user()
    login(client, resident)
    assert client.get("/platform/jobs/").status_code == 403
    assert client.post(f"/platform/jobs/{job_id}/retry").status_code == 403
    client.post("/account/logout")

    admin = make_user(platform_admin=True, locale="en")
    admin_id = admin.id
    login(client, admin)
    html = _page(client, "/platform/jobs/")
    assert f"#{job_id}" in html and "SMTP server on fire" in html and "sometimes_fails" in html
    ATTEMPTS["fail"] = False
    response = client.post(f"/platform/jobs/{job_id}/retry")
    assert response.status_code == 302
    run_jobs()
    db.session.expire_all()
    assert db.session.get(OutboxJob, job_id).status == OutboxStatus.done
    assert "No failed job." in _page(client, "/platform/jobs/")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "job.retry"))
    assert (entry.actor_id, entry.target_id) == (admin_id, job_id)
    assert client.post(f"/platform/jobs/{job_id}/retry").status_code == 409
