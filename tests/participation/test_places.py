"""The places component: geometry, the model mixin's queries, the geocoder client and our endpoint."""
from __future__ import annotations

import math

import pytest

from participation.extensions import db
from participation.places import BoundingBox, distance_m, geocoder as geo_client
from proposals.models import Proposal

from ..proposals.factories import make_proposal, setup_commune

TOWN_HALL = (47.745565, 7.338539)
STATION = (47.741840, 7.342960)


def test_distance_and_bounding_box():
    d = distance_m(*TOWN_HALL, *STATION)
    assert 500 < d < 560  # about 525 m on a map of Mulhouse
    assert distance_m(*TOWN_HALL, *TOWN_HALL) == 0
    box = BoundingBox.around(*TOWN_HALL, 50)
    assert box.contains(*TOWN_HALL) and not box.contains(*STATION)
    # every point 50 m away in any direction is inside the box
    for bearing in range(0, 360, 15):
        lat = TOWN_HALL[0] + 49.9 / 111_195 * math.cos(math.radians(bearing))
        lon = TOWN_HALL[1] + 49.9 / (111_195 * math.cos(math.radians(TOWN_HALL[0]))) * math.sin(math.radians(bearing))
        assert box.contains(lat, lon), bearing
    assert BoundingBox.around(89.9999, 0, 1000).west == -180  # near the pole every longitude is in reach
    with pytest.raises(ValueError):
        BoundingBox(47.8, 7.3, 47.7, 7.4)  # south above north
    with pytest.raises(ValueError):
        BoundingBox.parse("47.7,7.3,nan,7.4")
    assert BoundingBox.parse("47.7, 7.3, 47.8, 7.4").centre == pytest.approx((47.75, 7.35))


def test_rows_near_a_point_nearest_first():
    commune, process = setup_commune()
    near = make_proposal(commune, process, title="Banc", latitude=47.74570, longitude=7.33870)  # ~19 m
    nearer = make_proposal(commune, process, title="Fontaine", latitude=47.74558, longitude=7.33856)
    make_proposal(commune, process, title="Gare", latitude=STATION[0], longitude=STATION[1])
    make_proposal(commune, process, title="Nulle part")
    found = Proposal.near(db.session, *TOWN_HALL, 50, where=Proposal.process_id == process.id)
    assert [p.title for p, _ in found] == [nearer.title, near.title]
    assert found[1][1] == pytest.approx(distance_m(*TOWN_HALL, 47.74570, 7.33870))
    in_box = db.session.scalars(db.select(Proposal).where(Proposal.in_box(BoundingBox.around(*STATION, 10)))).all()
    assert [p.title for p in in_box] == ["Gare"]


def test_geocoder_client_over_http(app, geocoder):
    found = geo_client.search("rue du sauvage", near=TOWN_HALL)
    assert {c.label for c in found} == {"12 Rue du Sauvage 68100 Mulhouse", "Rue du Sauvage 68200 Mulhouse"}
    first = next(c for c in found if c.label.startswith("12 "))
    assert (first.latitude, first.longitude, first.postcode, first.city) == (47.74719, 7.33732, "68100", "Mulhouse")
    assert "lat=47.745565" in geocoder.requests[-1] and "lon=7.338539" in geocoder.requests[-1]
    assert geo_client.search("ab") == []  # too short for the BAN: not even asked
    assert geo_client.reverse(47.74720, 7.33730).label == "12 Rue du Sauvage 68100 Mulhouse"
    assert geo_client.reverse(0.0, 0.0) is None


@pytest.mark.parametrize("mode", ["down", "garbage", "slow"])
def test_geocoder_failures_are_one_clear_error(app, geocoder, mode):
    geocoder.mode, geocoder.delay = mode, 1.0
    app.config["GEOCODER_TIMEOUT"] = 0.3
    try:
        with pytest.raises(geo_client.GeocoderUnavailable):
            geo_client.search("rue du sauvage")
    finally:
        app.config["GEOCODER_TIMEOUT"] = 3.0


def test_search_endpoint(client, geocoder):
    response = client.get("/places/search?q=place+de+la+reunion&lat=47.7&lon=7.3")
    assert response.status_code == 200
    body = response.get_json()
    assert body["results"][0]["label"] == "Place de la Réunion 68100 Mulhouse"
    assert body["results"][0]["latitude"] == 47.74648 and body["message"] == "1 address found."
    assert "lat=47.700000" in geocoder.requests[-1]
    # bad input: a reason, never a 5xx; the geocoder is not asked
    asked = len(geocoder.requests)
    assert client.get("/places/search?q=%00%00%00").status_code == 400  # NUL bytes: refused at the edge
    for bad in ("q=ab", "q=" + "x" * 201, ""):
        answer = client.get("/places/search?" + bad)
        assert answer.status_code == 400 and "characters" in answer.get_json()["error"], bad
    assert client.get("/places/search?q=rue+du+sauvage&lat=nan&lon=inf").status_code == 200
    assert len(geocoder.requests) == asked + 1


def test_search_endpoint_when_the_geocoder_is_down(client, app, geocoder):
    geocoder.mode = "down"
    response = client.get("/places/search?q=rue+du+sauvage")
    assert response.status_code == 503
    assert "not available right now" in response.get_json()["error"]
    app.config["GEOCODER_URL"] = None  # not configured at all: not an outage, the search is not offered
    response = client.get("/places/search?q=rue+du+sauvage")
    assert response.status_code == 404 and "not offered" in response.get_json()["error"]


def test_reverse_endpoint(client, geocoder):
    body = client.get("/places/reverse?lat=47.74648&lon=7.33914").get_json()
    assert [r["label"] for r in body["results"]] == ["Place de la Réunion 68100 Mulhouse"]
    assert client.get("/places/reverse?lat=0&lon=0").get_json()["results"] == []
    for bad in ("lat=91&lon=0", "lat=nan&lon=1", "lat=x&lon=1", "lat=1"):
        assert client.get("/places/reverse?" + bad).status_code == 400, bad


def test_search_endpoint_is_rate_limited(client, app, geocoder, rate_limits):
    app.config["GEOCODER_RATE_LIMIT"] = "3 per minute"
    try:
        codes = [client.get("/places/search?q=rue+du+sauvage", headers={"Accept": "application/json"}).status_code
                 for _ in range(4)]
    finally:
        app.config["GEOCODER_RATE_LIMIT"] = "30 per minute;300 per hour"
    assert codes == [200, 200, 200, 429]
    assert len(geocoder.requests) == 3


def test_commune_map_centre_is_set_in_the_commune_settings(client):
    from participation.models import Commune, Role

    from ..factories import grant, login, make_commune, make_user

    commune = make_commune("ville")
    login(client, grant(make_user("Admin"), commune, Role.administrator))
    base = {"slug": "ville", "name_fr": "Ville", "primary_color": "#1d4f91", "accent_color": "#a3195b",
            "languages": ["fr", "en"], "default_language": "fr", "districts": ""}
    for bad in ({"map_latitude": "47.7456"}, {"map_latitude": "95", "map_longitude": "7.3"},
                {"map_latitude": "nan", "map_longitude": "7.3"}):
        response = client.post("/ville/admin/commune", data={**base, **bad})
        assert response.status_code == 400, bad
    assert client.post("/ville/admin/commune", data={**base, "map_latitude": "47.7456",
                                                     "map_longitude": "7.3385"}).status_code == 302
    db.session.expire_all()
    saved = db.session.get(Commune, commune.id)
    assert (saved.map_latitude, saved.map_longitude) == (47.7456, 7.3385)
    page = client.get("/ville/admin/commune").get_data(as_text=True)
    assert 'value="47.7456"' in page and 'value="7.3385"' in page
