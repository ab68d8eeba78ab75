from participation.models import PhaseKind, Role

from ..factories import grant, login, make_commune, make_process, make_user


def test_pages_render(client):
    commune = make_commune("mulhouse")
    make_process(commune, slug="bp-2026", active=PhaseKind.vote)
    admin = grant(make_user("Admin"), commune, Role.administrator)
    for url in ["/", "/mulhouse/", "/mulhouse/processes/", "/mulhouse/processes/bp-2026/", "/account/login",
                "/account/signup", "/account/reset", "/healthz", "/mulhouse/theme.css"]:
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code, r.get_data(as_text=True)[:2000])
    login(client, admin)
    for url in ["/mulhouse/admin/", "/mulhouse/admin/processes/new", "/mulhouse/admin/processes/bp-2026/phases",
                "/mulhouse/admin/roles", "/mulhouse/admin/commune", "/mulhouse/admin/audit", "/account/"]:
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code, r.get_data(as_text=True)[:2000])
