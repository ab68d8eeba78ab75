from datetime import datetime, timedelta

import pytest

from participation.errors import Conflict, DomainError
from participation.extensions import db
from participation.models import Action, Phase, PhaseKind, Process, Role, utcnow
from participation.permissions import require_phase

from ..factories import grant, login, make_commune, make_process, make_user
from ..html_checks import visible_text


def test_admin_creates_process_with_sanitised_description_and_phases(admin_client):
    client, commune = admin_client
    r = client.post("/ville/admin/processes/new", data={
        "slug": "bp-2027", "title_fr": "Budget participatif 2027", "title_en": "Participatory budget 2027",
        "description_fr": '<p onclick="evil()">Bonjour <script>alert(1)</script><a href="javascript:x">lien</a></p>',
        "published": "y"})
    assert r.status_code == 302, r.get_data(as_text=True)
    process = db.session.scalar(db.select(Process).where(Process.slug == "bp-2027"))
    desc = process.description["fr"]
    assert "<script" not in desc and "onclick" not in desc and "javascript:" not in desc and "Bonjour" in desc
    for kind, start, end in [("proposals", "2030-01-01T09:00", "2030-02-01T18:00"),
                             ("vote", "2030-03-01T09:00", "2030-03-20T18:00")]:
        r = client.post("/ville/admin/processes/bp-2027/phases",
                        data={"kind": kind, "starts_at": start, "ends_at": end, "name_fr": ""})
        assert r.status_code == 302
    db.session.expire_all()
    process = db.session.get(Process, process.id)
    assert [p.kind for p in process.phases] == [PhaseKind.proposals, PhaseKind.vote]
    # Local Paris time is stored as UTC (CET is UTC+1 in January).
    assert process.phases[0].starts_at == datetime(2030, 1, 1, 8, 0)
    page = client.get("/ville/processes/bp-2027/").get_data(as_text=True)
    assert "Participatory budget 2027" in page and "Voting" in page and "Proposals" in page


@pytest.mark.parametrize("data, message", [
    ({"kind": "vote", "starts_at": "2030-03-20T09:00", "ends_at": "2030-03-01T09:00"}, "end after"),
    ({"kind": "vote", "starts_at": "2030-03-01T09:00", "ends_at": "2030-03-01T09:00"}, "end after"),
    ({"kind": "vote", "starts_at": "2030-01-15T09:00", "ends_at": "2030-03-01T09:00"}, "overlap"),
    ({"kind": "nonsense", "starts_at": "2030-05-01T09:00", "ends_at": "2030-06-01T09:00"}, "choice"),
    ({"kind": "vote", "starts_at": "not a date", "ends_at": "2030-06-01T09:00"}, "date"),
    ({"kind": "vote", "starts_at": "2030-05-01T09:00", "ends_at": "2030-06-01T09:00", "name_fr": "x" * 121}, "120"),
])
def test_bad_phase_input_gets_a_form_error_and_saves_nothing(admin_client, data, message):
    client, commune = admin_client
    process = make_process(commune, slug="p1", active=None)
    # Keep one known phase in January 2030 to overlap with.
    for phase in list(process.phases):
        process.phases.remove(phase)
    process.phases.append(Phase(kind=PhaseKind.proposals, position=0, starts_at=datetime(2030, 1, 1),
                                ends_at=datetime(2030, 2, 1)))
    db.session.commit()
    r = client.post("/ville/admin/processes/p1/phases", data=data)
    assert r.status_code == 400
    body = r.get_data(as_text=True).lower()
    assert message.lower() in body or "invalid" in body or "not a valid" in body, body[:3000]
    assert db.session.scalar(db.select(db.func.count(Phase.id)).where(Phase.process_id == process.id)) == 1


def test_bad_process_input(admin_client):
    client, commune = admin_client
    make_process(commune, slug="taken")
    for data in [{"slug": "Bad Slug!", "title_fr": "x"}, {"slug": "ok", "title_fr": ""},
                 {"slug": "ok", "title_fr": "x" * 201}, {"slug": "taken", "title_fr": "Doublon"}]:
        assert client.post("/ville/admin/processes/new", data=data).status_code == 400, data
    assert db.session.scalar(db.select(db.func.count(Process.id))) == 1


def test_active_phase_follows_dates_and_override(admin_client):
    client, commune = admin_client
    process = make_process(commune, slug="p", active=PhaseKind.proposals)
    assert process.active_phase().kind == PhaseKind.proposals
    assert process.allows(Action.propose) and not process.allows(Action.vote)
    with pytest.raises(Conflict):
        require_phase(process, Action.vote)
    vote = process.phase_of_kind(PhaseKind.vote)
    assert client.post("/ville/admin/processes/p/override", data={"phase_id": str(vote.id)}).status_code == 302
    db.session.expire_all()
    process = db.session.get(Process, process.id)
    assert process.active_phase().kind == PhaseKind.vote and process.allows(Action.vote)
    client.post("/ville/admin/processes/p/override", data={"phase_id": ""})
    db.session.expire_all()
    assert db.session.get(Process, process.id).active_phase().kind == PhaseKind.proposals


def test_phase_rename_and_delete_after_confirmation(admin_client):
    client, commune = admin_client
    process = make_process(commune, slug="p", active=PhaseKind.information)
    first = process.phases[0]
    r = client.post(f"/ville/admin/processes/p/phases/{first.id}", data={
        "kind": "information", "name_fr": "Lancement", "name_de": "Start",
        "starts_at": "2020-01-01T00:00", "ends_at": "2020-01-02T00:00"})
    assert r.status_code == 302
    last = process.phases[-1]
    # Deleting asks first (a page that works without JavaScript), and deletes nothing until confirmed.
    for ask in (client.get(f"/ville/admin/processes/p/phases/{last.id}/delete"),
                client.post(f"/ville/admin/processes/p/phases/{last.id}/delete")):
        assert ask.status_code == 200
        text = visible_text(ask.get_data(as_text=True))
        assert "Delete the phase \u201cDelivery of the projects\u201d" in text and 'name="confirmed"' in \
            ask.get_data(as_text=True)
    db.session.expire_all()
    assert len(db.session.get(Process, process.id).phases) == 6
    r = client.post(f"/ville/admin/processes/p/phases/{last.id}/delete", data={"confirmed": "yes"})
    assert r.status_code == 302
    db.session.expire_all()
    assert len(db.session.get(Process, process.id).phases) == 5
    assert client.post("/lang", data={"lang": "de", "next": "/ville/processes/p/"}).location == "/ville/processes/p/"
    page = client.get("/ville/processes/p/").get_data(as_text=True)
    assert "Start" in page and '<html lang="de"' in page


def test_phases_are_ordered_by_their_dates_and_reordering_is_done_by_dates(admin_client):
    client, commune = admin_client
    process = make_process(commune, slug="p", active=None)
    proposals, vote = process.phase_of_kind(PhaseKind.proposals), process.phase_of_kind(PhaseKind.vote)
    # No button swaps kinds and names while the dates stay (that could put the vote first unseen).
    page = client.get("/ville/admin/processes/p/phases").get_data(as_text=True)
    assert "/move" not in page and "in the order of their dates" in page
    assert client.post(f"/ville/admin/processes/p/phases/{vote.id}/move", data={"direction": "up"}).status_code \
        in (404, 405)
    # Moving the vote before the proposals means giving it earlier dates: the list follows, and says so.
    start = proposals.starts_at - timedelta(days=30)
    r = client.post(f"/ville/admin/processes/p/phases/{vote.id}", data={
        "kind": "vote", "starts_at": to_local(start).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": to_local(start + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")})
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    db.session.expire_all()
    process = db.session.get(Process, process.id)
    assert process.phases[0].kind == PhaseKind.vote
    assert [p.position for p in process.phases] == list(range(6))
    assert all(a.starts_at < b.starts_at for a, b in zip(process.phases, process.phases[1:]))
    text = visible_text(client.get("/ville/admin/processes/p/phases").get_data(as_text=True))
    assert "Check the dates: \u201cVoting\u201d comes before \u201cInformation\u201d" in text


def to_local(utc):
    from zoneinfo import ZoneInfo
    from datetime import timezone
    return utc.replace(tzinfo=timezone.utc).astimezone(ZoneInfo("Europe/Paris")).replace(tzinfo=None)


def test_resident_cannot_administer(client):
    commune = make_commune("ville")
    make_process(commune, slug="p")
    login(client, grant(make_user(), commune, Role.resident))
    assert client.get("/ville/admin/").status_code == 403
    assert client.post("/ville/admin/processes/new", data={"slug": "x", "title_fr": "x"}).status_code == 403


def test_check_constraint_rejects_inverted_phase_in_database(app):
    commune = make_commune()
    process = make_process(commune)
    now = utcnow()
    db.session.add(Phase(process_id=process.id, kind=PhaseKind.delivery, position=9, starts_at=now,
                         ends_at=now - timedelta(days=1)))
    with pytest.raises(Exception):
        db.session.commit()
    db.session.rollback()


def test_commune_settings_validate_colours_and_languages(admin_client):
    client, commune = admin_client
    base = {"slug": "ville", "name_fr": "Ville", "primary_color": "#1d4f91", "accent_color": "#a3195b",
            "languages": ["fr", "de"], "default_language": "fr", "districts": "Centre\nNord\nSud"}
    for bad in [{"primary_color": "#ffff00"}, {"primary_color": "blue"}, {"default_language": "en"},
                {"languages": ["xx"]}, {"slug": "Ville Centre"}]:
        assert client.post("/ville/admin/commune", data={**base, **bad}).status_code == 400, bad
    assert client.post("/ville/admin/commune", data=base).status_code == 302
    db.session.expire_all()
    from participation.models import Commune
    c = db.session.get(Commune, commune.id)
    assert c.languages == ["fr", "de"] and sorted(d.name for d in c.districts) == ["Centre", "Nord", "Sud"]
    assert "--primary:#1d4f91" in client.get("/ville/theme.css").get_data(as_text=True)


def test_save_process_requires_unique_slug_per_commune_only():
    a, b = make_commune("a1"), make_commune("b1")
    make_process(a, slug="same")
    make_process(b, slug="same")  # another commune may reuse it
    admin = grant(make_user(), a, Role.administrator)
    from participation import operations
    with pytest.raises(DomainError):
        operations.save_process(admin, a, slug="same", title={"fr": "x"}, description={})
