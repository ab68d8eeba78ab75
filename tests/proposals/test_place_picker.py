"""The place of a proposal without JavaScript: the server geocodes the typed address and lists the
candidates as radio buttons; the chosen one is stored; a geocoder outage never blocks the form."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from participation.extensions import db
from participation.models import Commune
from proposals.models import Proposal

from ..factories import login
from .factories import make_proposal, resident, setup_commune, url

SAUVAGE = "47.747190,7.337320,12 Rue du Sauvage 68100 Mulhouse"


def _form(**extra):
    data = {"kind": "idea", "title": "Des bancs", "body": "<p>Pour s'asseoir</p>", "theme_id": "None",
            "district_id": "None", "group_id": "None"}
    data.update(extra)
    return data


def _count() -> int:
    return db.session.scalar(select(func.count(Proposal.id)))


def _radios(html: str) -> list[str]:
    return re.findall(r'<input[^>]*name="place_choice"[^>]*value="([^"]*)"', html)


def test_a_typed_address_is_looked_up_and_offered_as_a_list(client, geocoder):
    commune, process = setup_commune()
    login(client, resident(commune))
    response = client.post(url(process, "new"), data=_form(address="rue du sauvage"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and _count() == 0
    assert "Choose the matching address below" in html
    assert set(_radios(html)) == {SAUVAGE, "47.747600,7.336900,Rue du Sauvage 68200 Mulhouse", "typed"}
    assert '<legend>Addresses found</legend>' in html and "2 addresses found." in html
    # the person picks one: address and point come from it
    response = client.post(url(process, "new"), data=_form(address="rue du sauvage", place_choice=SAUVAGE))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    proposal = db.session.scalar(select(Proposal))
    assert (proposal.address, proposal.latitude, proposal.longitude) == (
        "12 Rue du Sauvage 68100 Mulhouse", 47.74719, 7.33732)


def test_search_button_lists_addresses_without_complaining_about_other_fields(client, geocoder):
    commune, process = setup_commune()
    commune.map_latitude, commune.map_longitude = 47.7456, 7.3385
    db.session.commit()
    login(client, resident(commune))
    response = client.post(url(process, "new"), data={"address": "place de la réunion",
                                                      "place_search": "Search this address"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and _count() == 0
    assert _radios(html) == ["47.746480,7.339140,Place de la Réunion 68100 Mulhouse", "typed"]
    assert "This field is required" not in html
    assert "lat=47.745600" in geocoder.requests[-1]  # the commune's centre biases the search
    empty = client.post(url(process, "new"), data={"address": "", "place_search": "Search this address"})
    assert "Type an address to search for." in empty.get_data(as_text=True)


def test_keep_the_address_as_typed(client, geocoder):
    commune, process = setup_commune()
    login(client, resident(commune))
    response = client.post(url(process, "new"), data=_form(address="Devant la fontaine", place_choice="typed"))
    assert response.status_code == 302
    proposal = db.session.scalar(select(Proposal))
    assert (proposal.address, proposal.latitude, proposal.longitude) == ("Devant la fontaine", None, None)


def test_a_geocoder_outage_does_not_block_the_form(client, geocoder):
    commune, process = setup_commune()
    login(client, resident(commune))
    geocoder.mode = "down"
    response = client.post(url(process, "new"), data=_form(address="rue du sauvage"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and _count() == 0
    assert "The address search is not available right now" in html and _radios(html) == ["typed"]
    response = client.post(url(process, "new"), data=_form(address="rue du sauvage", place_choice="typed"))
    assert response.status_code == 302 and _count() == 1


def test_a_point_given_with_the_address_is_kept_as_is(client, geocoder):
    """What the map picker sends: the address and the point; the geocoder is not asked."""
    commune, process = setup_commune()
    login(client, resident(commune))
    response = client.post(url(process, "new"), data=_form(address="Près du kiosque", latitude="47.7461",
                                                           longitude="7.3391"))
    assert response.status_code == 302 and geocoder.requests == []
    proposal = db.session.scalar(select(Proposal))
    assert (proposal.address, proposal.latitude, proposal.longitude) == ("Près du kiosque", 47.7461, 7.3391)


def test_without_a_geocoder_a_typed_address_is_stored_as_text(client):
    commune, process = setup_commune()
    login(client, resident(commune))
    response = client.post(url(process, "new"), data=_form(address="Rue du Sauvage"))
    assert response.status_code == 302
    assert db.session.scalar(select(Proposal.address)) == "Rue du Sauvage"


def test_forged_choices_are_refused(client, geocoder):
    commune, process = setup_commune()
    login(client, resident(commune))
    for forged in ("91,7,Nowhere", "nan,nan,x", "47.7", "<script>", "1e309,1,x", "47.7,7.3,Rue\x00"):
        response = client.post(url(process, "new"), data=_form(address="x", place_choice=forged))
        assert response.status_code == 400, forged
        assert "Choose one of the addresses found." in response.get_data(as_text=True)
    assert _count() == 0


def test_editing_only_the_address_looks_it_up_again(client, geocoder):
    """Without JavaScript the old point stays in the form; if only the address text changed, the old
    point no longer describes it."""
    commune, process = setup_commune()
    author = resident(commune)
    proposal = make_proposal(commune, process, author, address="Place de la Réunion 68100 Mulhouse",
                             latitude=47.74648, longitude=7.33914)
    login(client, author)
    page = client.get(url(process, f"{proposal.id}/edit")).get_data(as_text=True)
    located = re.search(r'name="located" type="hidden" value="([^"]*)"', page).group(1)
    assert located == "47.746480,7.339140,Place de la Réunion 68100 Mulhouse"
    data = _form(title=proposal.title, address="rue du sauvage", latitude="47.74648", longitude="7.33914",
                 located=located)
    response = client.post(url(process, f"{proposal.id}/edit"), data=data)
    assert response.status_code == 400 and SAUVAGE in _radios(response.get_data(as_text=True))
    # the same with a new point (placed on the map): kept
    data.update(latitude="47.7470", longitude="7.3370")
    assert client.post(url(process, f"{proposal.id}/edit"), data=data).status_code == 302
    db.session.refresh(proposal)
    assert (proposal.address, proposal.latitude) == ("rue du sauvage", 47.747)


def test_pages_with_the_picker_and_the_map_send_no_inline_script_or_style(client, geocoder, tiles):
    commune, process = setup_commune()
    user = resident(commune)
    make_proposal(commune, process, user, title="Banc", address="Place de la Réunion", latitude=47.7465,
                  longitude=7.3391)
    login(client, user)
    for page in (url(process, "new"), url(process, "map")):
        response = client.get(page)
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), page  # every script is a file
        assert "<style" not in html and not re.search(r"\sstyle=", html), page
        assert "/places/static/leaflet/leaflet.js" in html and "/places/static/leaflet/leaflet.css" in html
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self';" in csp and "style-src 'self';" in csp and tiles.url in csp
    form = client.get(url(process, "new")).get_data(as_text=True)
    assert f'data-tiles="{tiles.url}/{{z}}/{{x}}/{{y}}.png"' in form and 'data-search-url="/places/search"' in form
    mapped = client.get(url(process, "map")).get_data(as_text=True)
    assert 'data-lat="47.7465" data-lon="7.3391" data-title="Banc"' in mapped and "places/static/map.js" in mapped
    for static in ("leaflet/leaflet.js", "leaflet/leaflet.css", "picker.js", "map.js", "places.css",
                   "leaflet/images/marker-icon.png", "leaflet/LICENSE"):
        assert client.get("/places/static/" + static).status_code == 200, static
