"""A moderator or administrator of commune A can neither read private data nor act in commune B."""
import pytest

from participation import operations
from participation.audit import audit_page
from participation.errors import PermissionDenied
from participation.extensions import db
from participation.models import AuditEntry, Membership, Phase, PhaseKind, Process, Role

from ..factories import grant, login, make_commune, make_process, make_user


@pytest.fixture
def two_communes():
    a, b = make_commune("alpha"), make_commune("beta")
    admin_a = grant(make_user("AdminA"), a, Role.administrator)
    mod_a = grant(make_user("ModA"), a, Role.moderator)
    draft_b = make_process(b, slug="secret-draft", published=False)
    public_b = make_process(b, slug="public-b")
    return a, b, admin_a, mod_a, draft_b, public_b


@pytest.mark.parametrize("who", ["admin", "moderator"])
def test_staff_of_a_cannot_reach_b_admin_pages(client, two_communes, who):
    a, b, admin_a, mod_a, draft_b, public_b = two_communes
    login(client, admin_a if who == "admin" else mod_a)
    assert client.get("/alpha/admin/").status_code == 200
    for url in ["/beta/admin/", "/beta/admin/roles", "/beta/admin/audit", "/beta/admin/commune",
                "/beta/admin/processes/public-b/phases", "/beta/admin/processes/secret-draft/edit"]:
        assert client.get(url).status_code == 403, url


def test_unpublished_process_of_b_is_invisible_to_a_admin(client, two_communes):
    a, b, admin_a, *_ = two_communes
    login(client, admin_a)
    assert client.get("/beta/processes/secret-draft/").status_code == 404
    assert "secret-draft" not in client.get("/beta/processes/").get_data(as_text=True)


def test_admin_of_a_cannot_act_in_b(client, two_communes):
    a, b, admin_a, mod_a, draft_b, public_b = two_communes
    login(client, admin_a)
    phase_id = public_b.phases[0].id
    before = db.session.scalar(db.select(db.func.count(Phase.id)))
    posts = [
        ("/beta/admin/processes/new", {"slug": "hijack", "title_fr": "x"}),
        ("/beta/admin/processes/public-b/phases", {"kind": "vote", "starts_at": "2030-01-01T10:00",
                                                   "ends_at": "2030-02-01T10:00"}),
        (f"/beta/admin/processes/public-b/phases/{phase_id}/delete", {}),
        ("/beta/admin/processes/public-b/override", {"phase_id": str(phase_id)}),
        ("/beta/admin/roles", {"email": admin_a.email, "role": "administrator"}),
    ]
    for url, data in posts:
        assert client.post(url, data=data).status_code == 403, url
    # Phases of B reached through A's URL are not found either.
    assert client.post(f"/alpha/admin/processes/public-b/phases/{phase_id}/delete").status_code == 404
    assert db.session.scalar(db.select(db.func.count(Phase.id))) == before
    assert db.session.scalar(db.select(db.func.count(Process.id)).where(Process.slug == "hijack")) == 0
    assert db.session.scalar(db.select(db.func.count(Membership.id)).where(Membership.commune_id == b.id)) == 0
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id)).where(AuditEntry.commune_id == b.id)) == 0


def test_operations_refuse_cross_commune_objects_directly(two_communes):
    a, b, admin_a, mod_a, draft_b, public_b = two_communes
    with pytest.raises(PermissionDenied):
        operations.save_phase(admin_a, b, public_b, kind=PhaseKind.vote, name={}, starts_at=public_b.phases[-1].ends_at,
                              ends_at=public_b.phases[-1].ends_at.replace(year=2100))
    # The commune passed is A (where the actor is admin), but the process belongs to B.
    with pytest.raises(PermissionDenied):
        operations.delete_phase(admin_a, a, public_b, public_b.phases[0])
    with pytest.raises(PermissionDenied):
        audit_page(mod_a, b)  # a moderator of A reads A's moderation log, nothing of B's
    assert audit_page(mod_a, a).lines == [] and audit_page(admin_a, a).lines == []


def test_roles_are_per_commune(two_communes):
    a, b, admin_a, *_ = two_communes
    assert admin_a.has_role(a, Role.moderator)
    assert not admin_a.has_role(b, Role.resident)


def test_unknown_commune_is_404(client):
    assert client.get("/nowhere/").status_code == 404


def test_commune_on_its_own_host_lands_on_its_pages(client):
    commune = make_commune("gamma")
    commune.host = "participez.gamma.example"
    db.session.commit()
    r = client.get("/", headers={"Host": "participez.gamma.example"})
    assert r.status_code == 302 and r.location.endswith("/gamma/")
    assert client.get("/").status_code == 200


def test_platform_admin_creates_a_commune_and_others_cannot(client):
    from participation.models import Commune
    resident = make_user("Resident")
    login(client, resident)
    data = {"slug": "delta", "name_fr": "Delta", "primary_color": "#1d4f91", "accent_color": "#a3195b",
            "languages": ["fr", "de"], "default_language": "fr", "districts": "Centre\nGare"}
    assert client.post("/communes/new", data=data).status_code == 403
    client.post("/account/logout")
    login(client, make_user("Root", platform_admin=True))
    assert client.post("/communes/new", data={**data, "slug": "account"}).status_code == 400  # reserved
    r = client.post("/communes/new", data=data)
    assert r.status_code == 302 and r.location.endswith("/delta/")
    commune = db.session.scalar(db.select(Commune).where(Commune.slug == "delta"))
    assert commune.languages == ["fr", "de"] and len(commune.districts) == 2
    assert client.get("/delta/").status_code == 200


def test_staff_pages_send_anonymous_visitors_to_login(client):
    make_commune("ville")
    for url in ["/ville/admin/", "/ville/admin/budgets/", "/ville/admin/vote/", "/ville/admin/results/",
                "/ville/admin/proposals/moderation", "/ville/admin/proposals/instruction"]:
        r = client.get(url)
        assert r.status_code == 302 and "/account/login" in r.location, url
