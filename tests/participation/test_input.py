"""How requests are read (participation/input.py): numbers, ids, NUL bytes, whole-value patterns, and the
rule that every view and form goes through them."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from budgets.models import Budget
from participation.extensions import db
from participation.models import Commune, Process, User

from ..factories import login, make_commune, make_process, make_user

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("raw, expected", [
    ("0", 0), ("42", 42), ("2147483647", 2**31 - 1), ("2147483648", None), ("9" * 30, None),
    ("\u00b9", None), ("\u0663", None), ("1_000", None), (" 7", None), ("7\n", None), ("-1", None), ("", None),
    ("1e3", None), ("0x10", None), (None, None), (7, None), ("\x00", None),
])
def test_parse_int_takes_ascii_digits_within_the_database_range(raw, expected):
    from participation.input import parse_int
    assert parse_int(raw) == expected


def test_parse_int_bounds():
    from participation.input import parse_int
    assert parse_int("-5", minimum=-10) == -5 and parse_int("11", maximum=10) is None


@pytest.mark.parametrize("raw", ["2147483648", "99999999999999999999", "\u0663", "\u00b9"])
def test_ids_beyond_the_database_or_not_ascii_are_404(admin_client, raw):
    """`<int:...>` accepted any Unicode digit and any size: the query then failed (a 500)."""
    client, commune = admin_client
    make_process(commune, slug="p")
    for url in [f"/ville/processes/p/proposals/{raw}", f"/ville/admin/processes/p/phases/{raw}",
                f"/ville/processes/p/budgets/{raw}/", f"/notifications/{raw}"]:
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("query", ["page=\u00b9", "page=99999999999999999999", "theme=\u00b9&district=\u0663",
                                   "district=99999999999999999999"])
def test_numeric_query_values_that_are_not_ascii_numbers_are_ignored(admin_client, query):
    client, commune = admin_client
    make_process(commune, slug="p")
    assert client.get(f"/ville/processes/p/proposals/?{query}").status_code == 200
    assert client.get(f"/notifications/?{query}").status_code == 200


@pytest.mark.parametrize("url", ["/ville%00/", "/ville/processes/p%00/", "/ville/processes/?q=a%00b",
                                 "/account/login?next=%00", "/ville/processes/p/proposals/?q=%00"])
def test_nul_bytes_in_the_address_are_refused_at_the_edge(client, url):
    make_process(make_commune("ville"), slug="p")
    response = client.get(url)
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)


@pytest.mark.parametrize("target", ["/\r\nX-Injected: 1", "/ville/\n", "/\t"])
def test_control_characters_in_a_next_address_are_ignored(client, target):
    """A newline in ?next= or the language form's `next` reached the Location header: a 500."""
    user = make_user()
    response = client.post("/lang", data={"lang": "en", "next": target})
    assert response.status_code == 302 and response.location == "/"
    response = client.post("/account/login?" + __import__("urllib.parse").parse.urlencode({"next": target}),
                           data={"email": user.email, "password": "correct horse battery"})
    assert response.status_code == 302 and response.location == "/"


def test_nul_bytes_in_a_form_are_a_form_error_and_the_text_is_kept(admin_client):
    client, commune = admin_client
    response = client.post("/ville/admin/processes/new", data={
        "slug": "jardins", "title_fr": "Jardins\x00partag\u00e9s", "description_fr": "<p>Texte long</p>"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "NUL" in page and "Texte long" in page
    assert db.session.scalar(db.select(db.func.count(Process.id))) == 0


@pytest.mark.parametrize("field, value", [("primary_color", "#1d4f91\n"), ("accent_color", "#a3195b\n"),
                                          ("slug", "ville\n")])
def test_patterns_match_the_whole_value(admin_client, field, value):
    """WTForms' Regexp uses re.match: `$` let a trailing newline through, and the colour overflowed its
    column (String(7): a 500 on PostgreSQL; SQLite stored it)."""
    client, commune = admin_client
    data = {"slug": "ville", "name_fr": "Ville", "primary_color": "#1d4f91", "accent_color": "#a3195b",
            "languages": ["fr"], "default_language": "fr", "districts": "Centre"}
    response = client.post("/ville/admin/commune", data={**data, field: value})
    assert response.status_code == 400
    db.session.expire_all()
    commune = db.session.get(Commune, commune.id)
    assert (commune.slug, commune.primary_color, commune.accent_color) == ("ville", "#1d4f91", "#a3195b")


def test_a_nickname_with_a_trailing_newline_is_refused(client):
    user = make_user("Alice")
    login(client, user)
    response = client.post("/account/", data={"nickname": "Alice\n", "locale": "fr", "email_preference": "never"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, user.id).nickname == "Alice"


@pytest.mark.parametrize("field, value, message", [
    ("amount", "\u0663\u0660\u0660", None), ("amount", "1_000", None), ("amount", " 1000 ", "saved"),
    ("max_projects", "99999999999999", "Enter at most"), ("max_projects", "2\u00b9", "digits only"),
])
def test_integer_fields_take_what_a_person_types(admin_client, field, value, message):
    """WTForms read "٣٠٠" as 300 and "1_000" as 1000 with int(), and let numbers beyond the database's
    integer reach it."""
    client, commune = admin_client
    make_process(commune, slug="p")
    data = {"name_fr": "Ville", "amount": "1000", "currency": "EUR", "rule": "approval", "district": "0"}
    response = client.post("/ville/admin/budgets/p/new", data={**data, field: value})
    if message == "saved":
        assert response.status_code == 302 and db.session.scalar(db.select(Budget.amount)) == 1000
        return
    assert response.status_code in (200, 400) and db.session.scalar(db.select(db.func.count(Budget.id))) == 0
    if message:
        assert message in response.get_data(as_text=True)


def test_select_fields_take_ascii_ids_only(admin_client):
    """SelectField(coerce=int) read "١" as district 1."""
    client, commune = admin_client
    make_process(commune, slug="p")
    district = commune.districts[0]
    data = {"name_fr": "Quartier", "amount": "1000", "currency": "EUR", "rule": "approval"}
    arabic = "".join(chr(0x0660 + int(d)) for d in str(district.id))
    response = client.post("/ville/admin/budgets/p/new", data={**data, "district": arabic})
    assert response.status_code in (200, 400) and db.session.scalar(db.select(db.func.count(Budget.id))) == 0
    assert client.post("/ville/admin/budgets/p/new", data={**data, "district": str(district.id)}).status_code == 302
    assert db.session.scalar(db.select(Budget.district_id)) == district.id


@pytest.mark.parametrize("latitude, stored", [("47,75", 47.75), ("-47.5", -47.5), ("sNaN", None), ("NaN", None),
                                              ("\u0663", None), ("1_0", None), ("1e1", None)])
def test_decimal_fields_take_what_a_person_types(admin_client, latitude, stored):
    """A comma is a French decimal point; "sNaN" made WTForms' NumberRange raise (a 500)."""
    from budgets.models import Project

    from ..budgets.factories import make_budget

    client, commune = admin_client
    budget = make_budget(make_process(commune, slug="p"), costs=())
    response = client.post(f"/ville/admin/budgets/p/{budget.id}/projects/new", data={
        "title": "Square", "cost": "1000", "district": "0", "theme": "0", "latitude": latitude, "longitude": "7,3"})
    project = db.session.scalar(db.select(Project))
    if stored is None:
        assert response.status_code in (200, 400) and project is None
    else:
        assert response.status_code == 302 and (project.latitude, project.longitude) == (stored, 7.3)


def _python_files():
    for package in ("participation", "proposals", "budgets", "votes"):
        yield from (ROOT / package).rglob("*.py")


def test_every_form_and_view_reads_input_through_the_shared_rules():
    """New code keeps to the rules: forms derive from participation.input.FlaskForm (NUL bytes refused)
    and use its IntegerField and Pattern; views parse numbers with parse_int/arg_int/form_int, never
    with isdigit() or int() on request data."""
    problems = []
    for path in _python_files():
        if path == ROOT / "participation" / "input.py":
            continue
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and node.module in ("flask_wtf", "wtforms", "wtforms.validators"):
                banned = {"FlaskForm", "Form", "IntegerField", "DecimalField", "FloatField", "Regexp"} & {alias.name for alias in node.names}
                if banned:
                    problems.append(f"{path.relative_to(ROOT)}: imports {sorted(banned)} from {node.module}")
        if path.name.startswith("views") or path.name == "forms.py":
            for marker in (".isdigit()", "type=int", "int(request.", "coerce=int"):
                if marker in source:
                    problems.append(f"{path.relative_to(ROOT)}: {marker}")
    assert not problems, problems
