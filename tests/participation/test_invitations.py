"""Roles are offered by invitation: the roles page answers the same whether an address has an account, and
nobody gets a role without accepting it from their own account."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import AuditEntry, Membership, Role, User

from ..factories import grant, login, make_commune, make_user


@pytest.fixture
def commune_admin(client):
    commune = make_commune("ville")
    admin = grant(make_user("Adèle"), commune, Role.administrator)
    login(client, admin)
    return commune, admin


def _members(role: Role | None = None) -> int:
    query = select(func.count(Membership.id))
    if role is not None:
        query = query.where(Membership.role == role)
    return db.session.scalar(query)


def _flash(client, response) -> str:
    page = client.get(response.location).get_data(as_text=True)
    return re.findall(r'<p class="flash success">(.*?)</p>', page, re.S)[-1]


def _user(email: str) -> User:
    """A fresh copy (running jobs ends the test's database session)."""
    return db.session.scalar(select(User).where(User.email == email))


def _invite(client, run_jobs, smtp, email: str, role: str) -> str:
    """The administrator invites `email`; the path of the link it receives."""
    assert client.post("/ville/admin/roles", data={"email": email, "role": role}).status_code == 302
    run_jobs()
    return _link(smtp, email)


def _link(smtp, to: str) -> str:
    [msg] = [m for m in smtp.messages if m["To"] == to]
    link = re.search(r"https?://\S+/account/invitations/\S+", smtp.text_of(msg)).group(0)
    return link.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_the_roles_page_answers_the_same_whether_the_address_has_an_account(client, commune_admin, smtp, run_jobs):
    make_user("Bob", email="bob@example.org")
    known = client.post("/ville/admin/roles", data={"email": "bob@example.org", "role": "moderator"})
    known_message = _flash(client, known)
    unknown = client.post("/ville/admin/roles", data={"email": "nobody@example.org", "role": "moderator"})
    assert known.status_code == unknown.status_code == 302 and known.location == unknown.location
    assert known_message.replace("bob@example.org", "X") == _flash(client, unknown).replace("nobody@example.org", "X")
    assert _members(Role.moderator) == 0  # nobody was made a moderator without asking them
    page = client.get("/ville/admin/roles").get_data(as_text=True)
    assert "bob@example.org" in page and "nobody@example.org" in page  # both waiting for an answer
    run_jobs()
    assert sorted(m["To"] for m in smtp.wait_for(2)) == ["bob@example.org", "nobody@example.org"]


def test_the_addressee_accepts_from_their_account(app, client, commune_admin, smtp, run_jobs):
    commune_id = commune_admin[0].id
    make_user("Bob", email="bob@example.org", locale="de")
    client.post("/ville/admin/roles", data={"email": "Bob@Example.org", "role": "moderator"})
    run_jobs()
    [msg] = smtp.wait_for(1)
    assert "Adèle" in smtp.text_of(msg) and msg["Subject"]
    text = smtp.text_of(msg)
    link = re.search(r"https?://\S+/account/invitations/\S+", text).group(0)
    assert link.startswith(app.config["BASE_URL"])
    path = link[len(app.config["BASE_URL"]):]

    visitor = app.test_client()
    page = visitor.get(path)
    assert page.status_code == 200 and "/account/login?next=" in page.get_data(as_text=True)
    assert visitor.post(path, data={"answer": "accept"}).status_code == 302  # to the login page
    assert _members(Role.moderator) == 0

    login(visitor, _user("bob@example.org"))
    page = visitor.get(path).get_data(as_text=True)
    assert 'value="accept"' in page and 'value="decline"' in page
    response = visitor.post(path, data={"answer": "accept"})
    assert response.status_code == 302 and response.location.endswith("/ville/")
    assert db.session.scalar(select(Membership.role).where(Membership.user_id == _user("bob@example.org").id)) == Role.moderator
    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.commune_id == commune_id)))
    assert {"role.invite", "role.accept"} <= actions
    again = visitor.post(path, data={"answer": "accept"})
    assert again.status_code == 409 and _members(Role.moderator) == 1


def test_a_new_address_signs_up_then_accepts(app, client, commune_admin, smtp, run_jobs):
    path = _invite(client, run_jobs, smtp, "new@example.org", "reviewer")
    newcomer = app.test_client()
    assert newcomer.post("/account/signup", data={
        "email": "new@example.org", "nickname": "Newcomer", "password": "a long password", "confirm": "a long password",
        "locale": "en", "accept": "y"}).status_code == 302
    run_jobs()
    [confirm] = [found.group(0) for m in smtp.messages if m["To"] == "new@example.org"
                 for found in [re.search(r"/account/confirm/\S+", smtp.text_of(m))] if found]
    assert newcomer.get(confirm).status_code == 302
    assert newcomer.post("/account/login", data={"email": "new@example.org", "password": "a long password"}
                         ).status_code == 302
    assert newcomer.post(path, data={"answer": "accept"}).status_code == 302
    assert _members(Role.reviewer) == 1


def test_another_account_cannot_answer_it(app, client, commune_admin, smtp, run_jobs):
    make_user("Bob", email="bob@example.org")
    path = _invite(client, run_jobs, smtp, "bob@example.org", "administrator")
    mallory = app.test_client()
    login(mallory, make_user("Mallory"))
    assert "another e-mail address" in mallory.get(path).get_data(as_text=True)
    assert mallory.post(path, data={"answer": "accept"}).status_code == 403
    assert mallory.post(path, data={"answer": "decline"}).status_code == 403
    assert _members(Role.administrator) == 1  # Adèle only


def test_declining_and_withdrawing(app, client, commune_admin, smtp, run_jobs):
    commune_id = commune_admin[0].id
    make_user("Bob", email="bob@example.org")
    make_user("Cleo", email="cleo@example.org")
    client.post("/ville/admin/roles", data={"email": "bob@example.org", "role": "moderator"})
    client.post("/ville/admin/roles", data={"email": "cleo@example.org", "role": "moderator"})
    run_jobs()
    bob_path, cleo_path = _link(smtp, "bob@example.org"), _link(smtp, "cleo@example.org")

    browser = app.test_client()
    login(browser, _user("bob@example.org"))
    assert browser.post(bob_path, data={"answer": "decline"}).status_code == 302
    assert _members(Role.moderator) == 0 and browser.get(bob_path).status_code == 409

    client.get("/ville/admin/")  # the flashes of the invitations
    page = client.get("/ville/admin/roles").get_data(as_text=True)
    assert "bob@example.org" not in page
    [withdraw] = re.findall(r'action="(/ville/admin/roles/invitations/\d+/withdraw)"', page)
    assert client.post(withdraw).status_code == 302
    assert "cleo@example.org" not in client.get("/ville/admin/roles").get_data(as_text=True)
    other = app.test_client()
    login(other, _user("cleo@example.org"))
    refused = other.post(cleo_path, data={"answer": "accept"})
    assert refused.status_code == 409 and "withdrawn" in refused.get_data(as_text=True)
    assert _members(Role.moderator) == 0
    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.commune_id == commune_id)))
    assert {"role.invite", "role.decline", "role.invitation_withdraw"} <= actions


def test_expired_or_forged_links_and_revoked_inviters(app, client, commune_admin, smtp, run_jobs):
    admin_email = commune_admin[1].email
    make_user("Bob", email="bob@example.org")
    path = _invite(client, run_jobs, smtp, "bob@example.org", "moderator")
    browser = app.test_client()
    login(browser, _user("bob@example.org"))
    assert browser.get(path + "x").status_code == 400
    assert browser.get("/account/invitations/not-a-token").status_code == 400
    old = app.config["INVITATION_MAX_AGE"]
    app.config["INVITATION_MAX_AGE"] = -1
    try:
        assert "expired" in browser.get(path).get_data(as_text=True)
    finally:
        app.config["INVITATION_MAX_AGE"] = old
    # The administrator who invited loses the role: their invitation can no longer give it.
    db.session.execute(db.delete(Membership).where(Membership.user_id == _user(admin_email).id))
    db.session.commit()
    assert browser.post(path, data={"answer": "accept"}).status_code == 409
    assert _members(Role.moderator) == 0


def test_invitations_stay_within_their_commune(app, client, commune_admin, smtp, run_jobs):
    other = make_commune("autre")
    other_admin = grant(make_user("Otto"), other, Role.administrator)
    client.post("/ville/admin/roles", data={"email": "bob@example.org", "role": "moderator"})
    browser = app.test_client()
    login(browser, other_admin)
    page = client.get("/ville/admin/roles").get_data(as_text=True)
    [withdraw] = re.findall(r'action="/ville/admin/roles/invitations/(\d+)/withdraw"', page)
    assert browser.post(f"/autre/admin/roles/invitations/{withdraw}/withdraw").status_code == 404
    assert browser.post(f"/ville/admin/roles/invitations/{withdraw}/withdraw").status_code == 403
    assert "bob@example.org" not in browser.get("/autre/admin/roles").get_data(as_text=True)
    moderator = app.test_client()
    login(moderator, grant(make_user("Mo"), commune_admin[0], Role.moderator))
    assert moderator.post("/ville/admin/roles", data={"email": "x@example.org", "role": "administrator"}
                          ).status_code == 403
    assert db.session.scalar(select(func.count(User.id)).where(User.email == "bob@example.org")) == 0  # no account made
