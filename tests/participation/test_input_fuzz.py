"""Malformed input sent to every route of the URL map (generated from the app's rules, GET and POST,
anonymous and signed in as a commune administrator): never a 5xx. Values per parameter are few and
chosen for what broke before: ids beyond PostgreSQL's integer, digits `int()` or `isdigit()` read
differently ("¹", "٣"), NUL bytes, over-long text, a trailing newline, deep or mistyped JSON."""
from __future__ import annotations

import re
import time
from urllib.parse import quote, urlencode

import pytest

from participation.extensions import db

from ..db_checks import strict_columns
from ..factories import login
from ..world import build_world

INT_VALUES = ["2147483648", "99999999999999999999", "\u0663", "\u00b9"]
TEXT_VALUES = ["a\x00b", "x" * 300]
FIELD_VALUES = ["\x00", "\u00b9", "99999999999999999999", "x" * 3000, "#1d4f91\n", "/\r\nX-Injected: 1", "sNaN"]
# Every form route also reads a JSON body (Flask-WTF); the ballot API reads only JSON.
JSON_BODIES = ["[" * 5000 + "]" * 5000, "[1, 2]", "null", '{"body": ["a", {"b": 1}], "project": true}']
API_BODIES = ['{"projects": [true]}', '{"projects": [1e400]}', '{"points": {"\u00b9": 1}}',
              '{"points": {"99999999999999999999": 1}}', '{"projects": "12"}']
# Names read from forms and query strings outside WTForms forms (and common ones), sent to every route.
FIELD_NAMES = ["page", "theme", "district", "status", "kind", "q", "sort", "process", "next", "age", "lang",
               "direction", "phase_id", "user_id", "reason", "proposal_id", "parent_id", "body", "undo",
               "result_id", "project", "add", "remove", "action", "text", "name", "email", "code"]
DESTRUCTIVE = re.compile(r"delete|withdraw|leave|revoke|unblock|logout")
PARAM = re.compile(r"<(?:([^:<>()]+)(?:\([^<>]*\))?:)?([^<>]+)>")


def _path(rule, values: dict) -> str:
    return PARAM.sub(lambda m: quote(str(values[m[2]]), safe=""), rule.rule)


def _is_int(rule, name: str) -> bool:
    return type(rule._converters[name]).__name__ in ("IdConverter", "IntegerConverter")


def _requests(app, world, fields_on_page):
    """(method, url, keyword arguments of the test client) for every route, destructive ones last. Forms
    get the names of the fields their page shows (`fields_on_page(url)`) besides the common ones."""
    rules = [r for r in app.url_map.iter_rules() if not r.endpoint.endswith("static")]
    rules.sort(key=lambda r: (r.endpoint == "accounts.logout", bool(DESTRUCTIVE.search(r.endpoint)), r.rule))
    communes_fuzzed = set()
    for rule in rules:
        valid = {name: world.value(rule.endpoint, name) for name in rule.arguments}
        names = FIELD_NAMES + [f"points-{world.values['project_id']}"]
        for method in ("GET", "POST"):
            if method not in rule.methods:
                continue
            for name in rule.arguments:
                if name == "commune":  # the same loader for every route of a blueprint
                    if (rule.endpoint.split(".")[0], method) in communes_fuzzed:
                        continue
                    communes_fuzzed.add((rule.endpoint.split(".")[0], method))
                for bad in INT_VALUES if _is_int(rule, name) else TEXT_VALUES:
                    yield method, _path(rule, {**valid, name: bad}), {}
            url = _path(rule, valid)
            if method == "POST" and "GET" in rule.methods:
                names = names + sorted(set(fields_on_page(url)) - set(names))
            for bad in FIELD_VALUES:
                if method == "GET":
                    yield method, url + "?" + urlencode({n: bad for n in names}), {}
                else:
                    yield method, url, {"data": {n: bad for n in names}}
            if method == "POST":
                for body in JSON_BODIES + (API_BODIES if rule.rule.endswith("/api") else []):
                    yield method, url, {"data": body, "content_type": "application/json"}


def _fuzz(app, client, world) -> list[str]:
    def fields_on_page(url: str) -> list[str]:
        return re.findall(r'name="([^"]+)"', client.get(url).get_data(as_text=True))

    failures = []
    count, started = 0, time.perf_counter()
    for method, url, kwargs in _requests(app, world, fields_on_page):
        count += 1
        try:
            response = client.open(url, method=method, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the test reports every failing request, not the first
            failures.append(f"{method} {url[:120]!r} {kwargs.get('data', '')!r:.80}: {type(exc).__name__}: {exc}"[:400])
            db.session.rollback()
            continue
        if response.status_code >= 500:
            failures.append(f"{method} {url[:120]!r} {kwargs.get('data', '')!r:.80}: {response.status_code}")
    print(f"{count} requests in {time.perf_counter() - started:.1f} s")
    return failures


@pytest.mark.slow
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "commune-administrator"])
def test_no_route_answers_malformed_input_with_a_5xx(app, client, signed_in):
    world = build_world()
    if signed_in:
        login(client, world.admin)
    with strict_columns():
        failures = _fuzz(app, client, world)
    assert not failures, f"{len(failures)} requests failed:\n" + "\n".join(failures[:60])
