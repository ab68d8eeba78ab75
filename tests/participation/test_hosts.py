"""Links in e-mails and exports come from configuration (BASE_URL, or a commune's own host), never from the
request's Host header; requests for a host the platform does not serve are refused before any view runs."""
from __future__ import annotations

import csv
import io
import re

from sqlalchemy import func, select

from participation.extensions import db
from participation.models import OutboxJob
from participation.notifications.emails import notification_email
from participation.notifications.models import Notification
from participation.urls import external_url

from ..factories import make_commune, make_user


def _jobs() -> int:
    return db.session.scalar(select(func.count(OutboxJob.id)))


def test_a_reset_request_for_another_host_is_refused_and_sends_nothing(app, client, smtp, run_jobs):
    make_user("Dan", email="dan@example.org")
    for method, path, data in [("post", "/account/reset", {"email": "dan@example.org"}),
                               ("post", "/account/signup", {"email": "dan@example.org"}),
                               ("get", "/", None), ("get", "/account/login", None), ("get", "/nowhere", None)]:
        response = getattr(client, method)(path, data=data, headers={"Host": "evil.example"})
        assert response.status_code == 400, path
        assert "not served at this address" in response.get_data(as_text=True)
    run_jobs()
    assert smtp.messages == [] and _jobs() == 0


def test_the_refusal_comes_before_the_csrf_check(app, client, csrf):
    response = client.post("/account/reset", data={"email": "x@example.org"}, headers={"Host": "evil.example"})
    assert response.status_code == 400 and "not served at this address" in response.get_data(as_text=True)


def test_links_in_account_emails_come_from_base_url_not_the_request(app, client, smtp, run_jobs):
    """localhost is trusted in development, like a second name of the same server: the link must still be
    BASE_URL's."""
    make_user("Dan", email="dan@example.org")
    assert not app.config["BASE_URL"].startswith("http://localhost")
    response = client.post("/account/reset", data={"email": "dan@example.org"}, base_url="http://localhost:8080")
    assert response.status_code == 302
    run_jobs()
    [msg] = smtp.wait_for(1)
    link = re.search(r"https?://\S+/account/reset/\S+", smtp.text_of(msg)).group(0)
    assert link.startswith(app.config["BASE_URL"] + "/account/reset/"), link


def test_notification_emails_built_during_a_request_link_to_base_url(app):
    """Without Redis, jobs run inline inside the request that caused them."""
    user = make_user()
    notification = Notification(user_id=user.id, kind="unknown.kind", url="/somewhere/", dedupe_key="k")
    db.session.add(notification)
    db.session.commit()
    with app.test_request_context("/", base_url="http://localhost:8080"):
        msg = notification_email(user, notification)
    unsubscribe = msg["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith(app.config["BASE_URL"] + "/notifications/unsubscribe/"), unsubscribe
    body = msg.get_payload(0).get_payload(decode=True).decode()
    assert "localhost:8080" not in body and app.config["BASE_URL"] + "/account/" in body


def test_exports_link_to_base_url(app, client):
    from ..proposals.factories import make_proposal, setup_commune

    commune, process = setup_commune()
    proposal = make_proposal(commune, process)
    response = client.get(f"/{commune.slug}/processes/{process.slug}/proposals/export.csv",
                          base_url="http://localhost:8080")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "localhost:8080" not in text
    assert f"{app.config['BASE_URL']}/{commune.slug}/processes/{process.slug}/proposals/{proposal.id}" in text
    assert list(csv.reader(io.StringIO(text)))  # still a CSV file


def test_a_commune_with_its_own_host_gets_links_on_that_host(app):
    commune = make_commune("gamma")
    commune.host = "participez.gamma.example"
    db.session.commit()
    scheme = app.config["BASE_URL"].split("://")[0]
    with app.test_request_context("/", base_url="http://localhost"):
        assert external_url("communes.home", commune="gamma") == f"{scheme}://participez.gamma.example/gamma/"
        assert external_url("accounts.login").startswith(app.config["BASE_URL"])


def test_communes_hosts_are_served_as_soon_as_they_are_saved(app, client):
    commune = make_commune("gamma")
    assert client.get("/", headers={"Host": "participez.gamma.example"}).status_code == 400
    commune.host = "participez.gamma.example"
    db.session.commit()
    response = client.get("/", headers={"Host": "participez.gamma.example"})
    assert response.status_code == 302 and response.location.endswith("/gamma/")
    commune.host = None
    db.session.commit()
    assert client.get("/", headers={"Host": "participez.gamma.example"}).status_code == 400


def test_production_settings_trust_only_configured_hosts():
    from participation.config import parse_trusted_hosts

    assert parse_trusted_hosts(None, base_url_from_environment=True) == []
    assert parse_trusted_hosts("www.ville.example, .metropole.example", True) == [
        "www.ville.example", ".metropole.example"]
    assert "localhost" in parse_trusted_hosts(None, base_url_from_environment=False)  # development
    assert parse_trusted_hosts("*", True) is None  # explicitly off


def test_with_production_settings_localhost_is_refused(app, client):
    from participation.config import parse_trusted_hosts
    from participation.hosts import TrustedHosts

    original = app.config["TRUSTED_HOSTS"]
    app.config["TRUSTED_HOSTS"] = TrustedHosts(app, parse_trusted_hosts("www.ville.example", True))
    try:
        assert client.get("/", base_url="http://localhost").status_code == 400
        assert client.get("/", base_url="http://www.ville.example").status_code == 200
        base = app.config["BASE_URL"].split("://")[1]
        assert client.get("/", headers={"Host": base}).status_code == 200
    finally:
        app.config["TRUSTED_HOSTS"] = original
