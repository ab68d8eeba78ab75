"""Submitting, editing and withdrawing proposals; images; authors; refusals outside phase or commune."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from participation.errors import Conflict, DomainError, PermissionDenied
from participation.extensions import db
from participation.models import Role
from participation import images
from proposals import operations as ops
from proposals import operations_engagement as engagement
from proposals import operations_groups as groups
from proposals.models import Proposal, ProposalStatus, Theme

from ..factories import login, make_process
from .factories import jpeg_with_gps, make_proposal, png_bytes, resident, setup_commune, staff, url


def test_default_themes_are_created_once():
    commune, _ = setup_commune()
    ops.ensure_default_themes(commune)
    keys = [t.key for t in ops.themes(commune)]
    assert keys == ["environment", "living-environment", "mobility", "social", "culture", "economy"]


def test_submit_with_image_and_place_over_http(client):
    commune, process = setup_commune()
    user = resident(commune)
    login(client, user)
    theme = ops.themes(commune)[2]
    response = client.post(url(process, "new"), data={
        "kind": "idea", "title": "Une piste cyclable", "body": "<p>Sûre</p><script>alert(1)</script>",
        "theme_id": str(theme.id), "district_id": str(commune.districts[0].id), "address": "Rue du Sauvage",
        "latitude": "47.7467", "longitude": "7.3389", "image_alt": "La rue aujourd'hui",
        "images": [(io.BytesIO(jpeg_with_gps()), "photo.jpg")], "group_id": "None",
    }, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    proposal = db.session.scalar(select(Proposal))
    assert response.headers["Location"].endswith(f"/proposals/{proposal.id}")
    assert proposal.body == "<p>Sûre</p>"  # the script goes with its content
    assert (proposal.latitude, proposal.longitude, proposal.address) == (47.7467, 7.3389, "Rue du Sauvage")
    assert [a.id for a in proposal.authors] == [user.id]
    [img] = proposal.images
    assert img.content_type == "image/jpeg" and img.alt == "La rue aujourd'hui"
    assert not img.filename.startswith("photo")
    page = client.get(url(process, str(proposal.id)))
    assert "Une piste cyclable" in page.get_data(as_text=True)
    served = client.get(url(process, f"images/{img.filename}"))
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    # Re-encoded: no EXIF at all, hence no GPS position and no camera model.
    stored = Image.open(io.BytesIO(served.data))
    assert not stored.getexif()
    assert b"SecretPhone" not in served.data
    assert b"SecretPhone" in jpeg_with_gps()  # the upload did carry them


@pytest.mark.parametrize("payload,name,message", [
    (b"%PDF-1.4 not an image", "doc.pdf", "not an image"),
    (b"GIF89a" + b"\x00" * 100, "anim.gif", "not an image"),
    (png_bytes() + b"\x00" * (5 * 1024 * 1024), "big.png", "5 MB"),
])
def test_bad_uploads_are_refused_with_a_message(client, payload, name, message):
    commune, process = setup_commune()
    login(client, resident(commune))
    before = set(images.upload_dir().iterdir())
    response = client.post(url(process, "new"), data={
        "kind": "idea", "title": "Titre", "body": "Texte", "theme_id": "None", "district_id": "None",
        "group_id": "None", "images": [(io.BytesIO(payload), name)]}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Proposal.id))) == 0
    assert set(images.upload_dir().iterdir()) == before  # nothing written


def test_a_failure_while_storing_images_leaves_no_file(monkeypatch):
    """The disk fills up on the second image: the first file, already written, goes with the rollback."""
    commune, process = setup_commune()
    before = set(images.upload_dir().iterdir())
    real_write, written = images.write, []

    def write_once(image, fmt):
        if written:
            raise OSError("No space left on device")
        saved = real_write(image, fmt)
        written.append(saved.filename)
        return saved

    monkeypatch.setattr(images, "write", write_once)
    with pytest.raises(OSError):
        make_proposal(commune, process, uploads=[png_bytes()] * 2)
    assert len(written) == 1
    assert set(images.upload_dir().iterdir()) == before
    assert db.session.scalar(select(func.count(Proposal.id))) == 0


def test_gif_with_valid_header_is_refused():
    out = io.BytesIO()
    Image.new("RGB", (5, 5)).save(out, "GIF")
    with pytest.raises(DomainError, match="JPEG, PNG and WebP"):
        images.read_image(out.getvalue())


def test_more_than_five_images_are_refused():
    commune, process = setup_commune()
    with pytest.raises(DomainError, match="At most 5"):
        make_proposal(commune, process, uploads=[png_bytes()] * 6)
    assert db.session.scalar(select(func.count(Proposal.id))) == 0
    proposal = make_proposal(commune, process, uploads=[png_bytes()] * 5)
    assert len(proposal.images) == 5 and all(images.path_of(i.filename) for i in proposal.images)


def test_webp_and_png_keep_their_format():
    commune, process = setup_commune()
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (1, 2, 3, 100)).save(out, "WEBP")
    proposal = make_proposal(commune, process, uploads=[out.getvalue(), png_bytes()])
    assert [i.content_type for i in proposal.images] == ["image/webp", "image/png"]


def test_coauthors_and_association():
    commune, process = setup_commune()
    alice, bob, carol = resident(commune, nickname="Alice"), resident(commune, nickname="Bob"), resident(commune)
    proposal = make_proposal(commune, process, alice, coauthors=["bob", " "])
    assert [a.nickname for a in proposal.authors] == ["Alice", "Bob"]
    assert ops.can_edit(bob, proposal) and not ops.can_edit(carol, proposal)
    with pytest.raises(DomainError, match="nickname"):
        make_proposal(commune, process, alice, coauthors=["nobody-here"])
    group = groups.create_group(alice, commune, "Les amis du parc")
    groups.add_member(alice, commune, group, "Bob")
    with pytest.raises(PermissionDenied):
        groups.add_member(carol, commune, group, carol.nickname)
    by_group = make_proposal(commune, process, bob, group_id=group.id)
    assert by_group.group.name == "Les amis du parc"
    with pytest.raises(DomainError, match="group you belong to"):
        make_proposal(commune, process, carol, group_id=group.id)


def test_edit_until_first_support_or_comment():
    commune, process = setup_commune()
    author, other = resident(commune), resident(commune)
    proposal = make_proposal(commune, process, author)
    ops.edit_proposal(author, commune, proposal, title="Nouveau titre", body="<p>Nouveau</p>")
    assert proposal.title == "Nouveau titre" and proposal.updated_at is not None
    with pytest.raises(PermissionDenied):
        ops.edit_proposal(other, commune, proposal, title="Pirate", body="x")
    engagement.support(other, commune, proposal)
    with pytest.raises(Conflict, match="supports or comments"):
        ops.edit_proposal(author, commune, proposal, title="Encore", body="<p>x</p>")
    db.session.refresh(proposal)
    assert proposal.title == "Nouveau titre"

    second = make_proposal(commune, process, author)
    engagement.add_comment(other, commune, second, "<p>Bien</p>")
    assert not ops.can_edit(author, second)


def test_moderators_cannot_edit_other_peoples_proposals(client):
    commune, process = setup_commune()
    proposal = make_proposal(commune, process)
    moderator = staff(commune, Role.moderator)
    with pytest.raises(PermissionDenied):
        ops.edit_proposal(moderator, commune, proposal, title="Censuré", body="x")
    login(client, moderator)
    response = client.post(url(process, f"{proposal.id}/edit"), data={"title": "Censuré", "body": "x"})
    assert response.status_code == 302
    db.session.refresh(proposal)
    assert proposal.title == "Un jardin partagé"


def test_remove_an_image_while_editing():
    commune, process = setup_commune()
    author = resident(commune)
    proposal = make_proposal(commune, process, author, uploads=[png_bytes(), png_bytes((8, 8))])
    first, second = proposal.images
    ops.edit_proposal(author, commune, proposal, title="T", body="<p>B</p>", remove_image_ids=[first.id])
    assert [i.id for i in proposal.images] == [second.id]
    assert images.path_of(first.filename) is None


def test_withdraw():
    commune, process = setup_commune()
    author, other = resident(commune), resident(commune)
    proposal = make_proposal(commune, process, author)
    with pytest.raises(PermissionDenied):
        ops.withdraw_proposal(other, commune, proposal)
    ops.withdraw_proposal(author, commune, proposal)
    assert proposal.status == ProposalStatus.withdrawn
    with pytest.raises(Conflict):
        engagement.support(other, commune, proposal)


def test_submission_outside_the_proposals_phase_is_refused(client):
    commune, _ = setup_commune()
    closed = make_process(commune, active="vote")
    user = resident(commune)
    with pytest.raises(Conflict):
        make_proposal(commune, closed, user)
    login(client, user)
    response = client.post(url(closed, "new"), data={"title": "T", "body": "B", "kind": "idea"})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(Proposal.id))) == 0


def test_other_commune_objects_are_refused(client):
    commune, process = setup_commune()
    other_commune, other_process = setup_commune()
    user = resident(commune)
    proposal = make_proposal(commune, process, user)
    foreign_theme = db.session.scalar(select(Theme).where(Theme.commune_id == other_commune.id))
    with pytest.raises(DomainError, match="themes of this commune"):
        make_proposal(commune, process, user, theme_id=foreign_theme.id)
    with pytest.raises(PermissionDenied):
        engagement.support(user, other_commune, proposal)
    with pytest.raises(PermissionDenied):
        ops.submit_proposal(user, other_commune, process, title="T", body="B")
    # The permalink only exists under the proposal's own commune and process.
    assert client.get(url(process, str(proposal.id))).status_code == 200
    assert client.get(url(other_process, str(proposal.id))).status_code == 404


def test_unconfirmed_accounts_cannot_propose():
    commune, process = setup_commune()
    user = resident(commune, confirmed=False)
    with pytest.raises(PermissionDenied):
        make_proposal(commune, process, user)


def test_form_page_renders_for_a_resident(client):
    commune, process = setup_commune()
    login(client, resident(commune))
    page = client.get(url(process, "new"))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and "Mobilit" in html
