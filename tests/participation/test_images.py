"""Process images and commune logos are uploads through the shared image pipeline (participation/images.py):
validated, re-encoded without EXIF, served from our own origin; a URL typed there is no longer possible."""
from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from participation import images
from participation.extensions import db
from participation.models import Commune, Process, UploadedImage

from ..factories import login, make_commune, make_user
from ..proposals.factories import jpeg_with_gps, png_bytes

TEN_MB = png_bytes() + b"\x00" * (10 * 1024 * 1024)


def _process_form(**extra):
    data = {"slug": "bp", "title_fr": "Budget participatif", "published": "y"}
    data.update(extra)
    return data


def _files(kind: str) -> set:
    return set(images.upload_dir(kind).iterdir())


def test_process_image_is_uploaded_reencoded_and_served_from_our_origin(admin_client):
    client, commune = admin_client
    r = client.post("/ville/admin/processes/new", data=_process_form(image=(io.BytesIO(jpeg_with_gps((3000, 1500))),
                                                                             "photo.jpg")),
                    content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    process = db.session.scalar(db.select(Process).where(Process.slug == "bp"))
    image = process.image
    assert image.kind == "processes" and image.content_type == "image/jpeg"
    assert (image.width, image.height) == (1600, 800)  # scaled down to the longest side kept
    page = client.get("/ville/processes/bp/").get_data(as_text=True)
    src = f"/ville/images/{image.filename}"
    assert f'<img class="hero" src="{src}" alt="" width="1600" height="800">' in page
    served = client.get(src)
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert not Image.open(io.BytesIO(served.data)).getexif() and b"SecretPhone" not in served.data


@pytest.mark.parametrize("payload,name,message", [
    (TEN_MB, "huge.png", "at most 5 MB"),
    (b"GIF89a" + b"\x00" * 100, "fake.gif", "not an image we can read"),
    (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "logo.svg", "not an image we can read"),
    (b"", "empty.png", "The file is empty."),
    (b"", "", None),  # what browsers send when no file is chosen: nothing changes
])
def test_bad_process_images_get_a_form_error_and_nothing_is_stored(admin_client, payload, name, message):
    client, commune = admin_client
    before = _files("processes")
    r = client.post("/ville/admin/processes/new", data=_process_form(image=(io.BytesIO(payload), name)),
                    content_type="multipart/form-data")
    if message is None:
        assert r.status_code == 302
        assert db.session.scalar(db.select(Process.image_id)) is None
        return
    assert r.status_code == 400
    assert message in r.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Process.id))) == 0
    assert db.session.scalar(db.select(db.func.count(UploadedImage.id))) == 0
    assert _files("processes") == before


def test_a_typed_address_is_no_image(admin_client):
    """The old "image address" field accepted javascript: and external URLs (blocked by the CSP)."""
    client, commune = admin_client
    for typed in ("javascript:alert(1)", "https://example.org/photo.jpg"):
        r = client.post("/ville/admin/processes/new", data=_process_form(slug="p-" + str(len(typed)), image=typed))
        assert r.status_code == 302
    assert db.session.scalar(db.select(db.func.count(Process.image_id))) == 0
    for slug in ("p-19", "p-30"):
        page = client.get(f"/ville/processes/{slug}/").get_data(as_text=True)
        assert "javascript:" not in page and "example.org" not in page


def test_replace_and_remove_a_process_image(admin_client):
    client, commune = admin_client
    client.post("/ville/admin/processes/new", data=_process_form(image=(io.BytesIO(png_bytes()), "a.png")),
                content_type="multipart/form-data")
    first = db.session.scalar(db.select(Process)).image.filename
    edit = client.get("/ville/admin/processes/bp/edit").get_data(as_text=True)
    assert f"/ville/images/{first}" in edit and 'name="remove_image"' in edit and 'enctype="multipart/form-data"' in edit
    r = client.post("/ville/admin/processes/bp/edit", data=_process_form(image=(io.BytesIO(png_bytes((20, 20))), "b.png")),
                    content_type="multipart/form-data")
    assert r.status_code == 302
    db.session.expire_all()
    second = db.session.scalar(db.select(Process)).image.filename
    assert second != first and images.path_of(first, "processes") is None
    assert client.get(f"/ville/images/{first}").status_code == 404
    # a bad replacement keeps the current image
    r = client.post("/ville/admin/processes/bp/edit", data=_process_form(image=(io.BytesIO(b"nope"), "c.png")),
                    content_type="multipart/form-data")
    assert r.status_code == 400
    db.session.expire_all()
    assert db.session.scalar(db.select(Process)).image.filename == second
    client.post("/ville/admin/processes/bp/edit", data=_process_form(remove_image="y"))
    db.session.expire_all()
    assert db.session.scalar(db.select(Process)).image is None
    assert images.path_of(second, "processes") is None
    assert db.session.scalar(db.select(db.func.count(UploadedImage.id))) == 0


def test_images_of_unpublished_processes_and_other_communes_are_not_served(admin_client, app):
    client, commune = admin_client
    client.post("/ville/admin/processes/new", data=_process_form(published="", image=(io.BytesIO(png_bytes()), "a.png")),
                content_type="multipart/form-data")
    name = db.session.scalar(db.select(Process)).image.filename
    assert client.get(f"/ville/images/{name}").status_code == 200  # its administrator prepares it
    make_commune("autre")
    assert client.get(f"/autre/images/{name}").status_code == 404
    anonymous = app.test_client()
    assert anonymous.get(f"/ville/images/{name}").status_code == 404
    for bad in ("..%2Fsecret_key", "nothing.png"):
        assert anonymous.get(f"/ville/images/{bad}").status_code == 404
    assert anonymous.get("/ville/images/%00.png").status_code == 400  # NUL bytes are refused at the edge


def _commune_form(**extra):
    data = {"slug": "ville", "name_fr": "Ville", "primary_color": "#1d4f91", "accent_color": "#a3195b",
            "languages": ["fr", "en"], "default_language": "fr", "districts": "Centre"}
    data.update(extra)
    return data


def test_commune_logo_is_an_upload_shown_in_the_header(admin_client):
    client, commune = admin_client
    r = client.post("/ville/admin/commune", data=_commune_form(logo=(io.BytesIO(png_bytes((1024, 512))), "logo.png")),
                    content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    db.session.expire_all()
    logo = db.session.get(Commune, commune.id).logo
    assert (logo.kind, logo.width, logo.height) == ("logos", 512, 256)
    home = client.get("/ville/").get_data(as_text=True)
    assert f'<img src="/ville/images/{logo.filename}" alt="" width="64" height="32">' in home
    assert client.get(f"/ville/images/{logo.filename}").status_code == 200
    for payload, message in ((TEN_MB, "at most 5 MB"), (b"%PDF-1.4", "not an image we can read")):
        r = client.post("/ville/admin/commune", data=_commune_form(logo=(io.BytesIO(payload), "x.png")),
                        content_type="multipart/form-data")
        assert r.status_code == 400 and message in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Commune, commune.id).logo.filename == logo.filename
    assert len(_files("logos") & {images.upload_dir("logos") / logo.filename}) == 1
    client.post("/ville/admin/commune", data=_commune_form(remove_logo="y"))
    db.session.expire_all()
    assert db.session.get(Commune, commune.id).logo is None
    assert images.path_of(logo.filename, "logos") is None


def test_a_new_commune_with_a_logo(client):
    admin = make_user("Root", platform_admin=True)
    login(client, admin)
    r = client.post("/communes/new", data=_commune_form(slug="neuve", name_fr="Neuve",
                                                        logo=(io.BytesIO(png_bytes((64, 64))), "l.png")),
                    content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    commune = db.session.scalar(db.select(Commune).where(Commune.slug == "neuve"))
    assert commune.logo.commune_id == commune.id
    page = client.get("/communes/new").get_data(as_text=True)
    assert 'type="file"' in page and 'name="logo"' in page and 'name="remove_logo"' not in page
    assert not re.search(r'name="logo"[^>]*type="text"', page)
