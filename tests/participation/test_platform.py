"""The platform administration: a menu entry, a home with the communes, the platform administrators
(granted and removed after confirmation, never the last one) and the background jobs."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from participation import operations_platform as platform
from participation.errors import Conflict, PermissionDenied
from participation.extensions import db
from participation.models import AuditEntry, OutboxJob, OutboxStatus, Role, User

from ..conftest import needs_postgres
from ..factories import grant, login, make_commune, make_process, make_user
from ..html_checks import visible_text


@pytest.fixture
def root(client):
    admin = make_user("Racine", platform_admin=True)
    login(client, admin)
    return admin


def test_the_header_leads_platform_administrators_to_their_home(client, root):
    commune = make_commune("mulhouse")
    make_process(commune)
    home = client.get("/")
    assert 'href="/platform/"' in home.get_data(as_text=True)
    page = client.get("/platform/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    text = visible_text(html)
    assert "Mulhouse" in text and "/mulhouse/" in text
    for link in ("/mulhouse/admin/", "/mulhouse/admin/roles", "/mulhouse/admin/commune", "/communes/new",
                 "/platform/jobs/", "/platform/audit"):
        assert f'href="{link}"' in html, link
    jobs = client.get("/platform/jobs/").get_data(as_text=True)
    assert 'href="/platform/"' in jobs  # the jobs page is linked, and links back
    # Nobody else sees the entry or the pages.
    client.post("/account/logout")
    login(client, grant(make_user(), commune, Role.administrator))
    assert 'href="/platform/"' not in client.get("/mulhouse/").get_data(as_text=True)
    assert client.get("/platform/").status_code == 403
    assert client.get("/platform/audit").status_code == 403


def test_grant_and_revoke_after_confirmation_never_the_last(client, root):
    nina = make_user("Nina", email="nina@example.org")
    ask = client.post("/platform/admins", data={"email": "NINA@example.org"})
    assert ask.status_code == 200 and 'name="confirmed"' in ask.get_data(as_text=True)
    assert not db.session.get(User, nina.id).is_platform_admin
    done = client.post("/platform/admins", data={"email": "nina@example.org", "confirmed": "yes"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, nina.id).is_platform_admin
    assert client.post("/platform/admins", data={"email": "nobody@example.org"}).status_code == 400
    assert client.post("/platform/admins", data={"email": "not an address"}).status_code == 400
    ask = client.post(f"/platform/admins/{nina.id}/revoke")
    assert ask.status_code == 200 and db.session.get(User, nina.id).is_platform_admin
    client.post(f"/platform/admins/{nina.id}/revoke", data={"confirmed": "yes"})
    db.session.expire_all()
    assert not db.session.get(User, nina.id).is_platform_admin
    # The last one stays, with a message.
    response = client.post(f"/platform/admins/{root.id}/revoke", data={"confirmed": "yes"}, follow_redirects=True)
    assert "last platform administrator" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, root.id).is_platform_admin
    with pytest.raises(Conflict, match="last"):
        platform.revoke_platform_admin(root, root)
    with pytest.raises(PermissionDenied):
        platform.grant_platform_admin(nina, nina)
    text = visible_text(client.get("/platform/audit").get_data(as_text=True))
    assert "Racine (platform administrator) made Nina a platform administrator" in text
    assert "Racine (platform administrator) removed Nina from the platform administrators" in text
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.commune_id.is_(None))) == 2


def test_jobs_summary_on_the_home(client, root):
    db.session.add(OutboxJob(task="participation.tasks.send_email", args={}, status=OutboxStatus.failed, attempts=5))
    db.session.commit()
    text = visible_text(client.get("/platform/").get_data(as_text=True))
    assert "1 failed job." in text


@needs_postgres
def test_two_administrators_removing_each_other_at_once_leave_one(app):
    """Real concurrency on PostgreSQL: each removes the other in its own transaction at the same moment."""
    first, second = make_user("Un", platform_admin=True), make_user("Deux", platform_admin=True)
    ids = (first.id, second.id)
    db.session.remove()
    barrier, outcomes = threading.Barrier(2), []

    def remove(actor_id, target_id):
        with app.app_context():
            actor, target = db.session.get(User, actor_id), db.session.get(User, target_id)
            barrier.wait()
            try:
                platform.revoke_platform_admin(actor, target)
                outcomes.append("removed")
            except Conflict:
                outcomes.append("refused")
            finally:
                db.session.remove()
    threads = [threading.Thread(target=remove, args=pair) for pair in (ids, ids[::-1])]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["refused", "removed"]
    assert db.session.scalar(select(func.count(User.id)).where(User.is_platform_admin.is_(True))) == 1
