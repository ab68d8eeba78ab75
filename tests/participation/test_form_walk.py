"""Every form of the product, discovered by GETting the pages of the URL map as a commune administrator (who
is also a platform administrator), filled field by field and submitted with empty, over-long and duplicate
input: never a 5xx, and a refusal is shown on the form (in the person's language) with nothing saved.
SQLite is made to refuse what PostgreSQL refuses (tests/db_checks.py), so both databases find the same
faults."""
from __future__ import annotations

import io
import itertools
import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from participation.extensions import db

from ..db_checks import strict_columns
from ..factories import login
from ..proposals.factories import png_bytes
from ..world import build_world

SKIPPED_ACTIONS = re.compile(r"/account/logout$|/lang$")  # the header's forms: leave the session as it is
DESTRUCTIVE = re.compile(r"delete|withdraw|leave|revoke|unblock|/hide$|/moderation/block$")


@dataclass
class Field:
    name: str
    kind: str  # input type, "textarea" or "select"
    value: str = ""
    options: list[str] = field(default_factory=list)
    checked: bool = False
    multiple: bool = False
    accept: str = ""


@dataclass
class Form:
    page: str
    action: str
    multipart: bool
    fields: list[Field] = field(default_factory=list)

    def key(self) -> tuple:
        return self.action, tuple(sorted(f.name for f in self.fields))


class _Forms(HTMLParser):
    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page, self.forms, self.form, self.select, self.textarea = page, [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self.form = Form(self.page, a.get("action") or self.page, "multipart" in a.get("enctype", ""))
            self.forms.append(self.form)
        elif self.form is None or not a.get("name") and tag != "option":
            return
        elif tag == "input":
            self.form.fields.append(Field(a["name"], a.get("type", "text").lower(), a.get("value", ""),
                                          checked="checked" in a, accept=a.get("accept", "")))
        elif tag == "textarea":
            self.textarea = Field(a["name"], "textarea")
            self.form.fields.append(self.textarea)
        elif tag == "select":
            self.select = Field(a["name"], "select", multiple="multiple" in a)
            self.form.fields.append(self.select)
        elif tag == "option" and self.select is not None:
            self.select.options.append(a.get("value", ""))

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def discover(app, client, world) -> list[Form]:
    forms: dict[tuple, Form] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint.endswith("static"):
            continue
        url = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(world.value(rule.endpoint, m[1])), rule.rule)
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        parser = _Forms(url)
        parser.feed(response.get_data(as_text=True))
        for form in parser.forms:
            if not SKIPPED_ACTIONS.search(form.action):
                forms.setdefault(form.key(), form)
    return sorted(forms.values(), key=lambda f: (bool(DESTRUCTIVE.search(f.action)), f.action))


_fresh = itertools.count(1)
TEXT_KINDS = ("text", "textarea", "email", "search", "tel", "url", "password", "number")


def _value(f: Field, form: Form, world, *, duplicate: bool) -> str:
    """A value a person could type: with `duplicate`, one that collides with what exists (another
    process's or commune's address, an existing group name, the same line twice); otherwise the field's
    current value (edit forms show it) or a fresh one."""
    name, n = f.name, next(_fresh)
    if f.kind == "email" or "email" in name:
        return world.resident.email
    if f.kind in ("datetime-local", "date"):
        return "2031-02-01T10:00" if "end" in name else "2031-01-01T10:00"
    if "color" in name:
        return "#1d4f91"
    if f.kind == "number" or name in ("amount", "cost", "count", "estimated_cost", "year_of_birth") \
            or name.startswith(("min_", "max_", "total_", "petition_", "report_")):
        return "1980" if name == "year_of_birth" else "2"
    if name in ("latitude", "longitude"):
        return "47.75" if name == "latitude" else "7.33"
    if name in ("password", "confirm"):
        return "correct horse battery staple"
    if name == "currency":
        return "EUR"
    if not duplicate:
        if f.value.strip():
            return f.value
        return f"walk-{n}" if name == "slug" else f"Walker{n}" if name == "nickname" else f"Texte {n}"
    if name == "slug":  # another commune's address on commune forms, another process's elsewhere
        return "autre" if "/communes/" in form.action or form.action.endswith("/admin/commune") else "vote"
    if name == "nickname":
        return "Habitante"
    if name == "host":
        return "autre.example"
    if name == "name" or name.startswith("name_"):
        return "Association du Centre"  # an existing group's name
    if f.kind == "textarea":
        return "Centre\nCentre\ncentre"  # the same line twice (districts, images, ...)
    return "Doublon"


def fill(form: Form, world, *, empty: bool = False, duplicate: bool = False,
         overrides: dict[str, str] | None = None, file_name: str = "") -> dict:
    data: dict[str, object] = {}
    for f in form.fields:
        if f.kind in ("submit", "button", "reset", "image"):
            continue
        if f.kind == "hidden":
            data[f.name] = f.value
        elif f.kind == "checkbox":
            if not empty:
                data.setdefault(f.name, []).append(f.value or "y")
        elif f.kind == "radio":
            if not empty:
                data.setdefault(f.name, f.value)
        elif f.kind == "select":
            options = [o for o in f.options if o not in ("", "None")] or f.options or [""]
            data[f.name] = options[:1] if f.multiple else options[0]
        elif f.kind == "file":
            if empty or not form.multipart:
                continue
            if "image" in f.accept or "image" in f.name:
                data[f.name] = (io.BytesIO(png_bytes()), file_name + "photo.png")
            else:
                data[f.name] = (io.BytesIO(b"Anne Martin,1980,1 rue Haute\nAnne Martin,1980,1 rue Haute\n"),
                                file_name + "liste.csv")
        else:
            data[f.name] = "" if empty else _value(f, form, world, duplicate=duplicate)
    data.update(overrides or {})
    return data


def variants(form: Form, world):
    """(label, data): everything empty; everything beyond every Length validator; each text field in turn
    over-long (beyond the database's columns where no validator says so) or colliding with what exists,
    the others valid; then every field colliding at once, twice."""
    text_fields = [f for f in form.fields if f.kind in TEXT_KINDS]
    yield "empty", fill(form, world, empty=True)
    yield "too long", fill(form, world, overrides={f.name: "z" * 60_000 for f in text_fields})
    for f in text_fields:
        long = "y" * 300 if f.kind != "textarea" else ("y" * 300 + "\n") * 3
        yield f"{f.name} long", fill(form, world, overrides={f.name: long})
        yield f"{f.name} duplicate", fill(form, world, overrides={f.name: _value(f, form, world, duplicate=True)})
    yield "duplicate", fill(form, world, duplicate=True)
    yield "duplicate again", fill(form, world, duplicate=True)
    if form.multipart:
        yield "file names", fill(form, world, file_name="\x00" + "n" * 300)


ERROR_ON_THE_FORM = re.compile(r'class="error|class="error-summary|class="flash error')


@pytest.mark.slow
def test_every_form_survives_empty_over_long_and_duplicate_input(app, client):
    world = build_world()
    login(client, world.admin)
    forms = discover(app, client, world)
    assert len(forms) >= 30, [f.action for f in forms]
    failures = []

    def submit(form: Form, variant: str, data: dict):
        kwargs = {"data": data}
        if form.multipart:
            kwargs["content_type"] = "multipart/form-data"
        try:
            response = client.post(form.action, **kwargs)
        except Exception as exc:  # noqa: BLE001 - report every failing form, not the first
            db.session.rollback()
            failures.append(f"{form.action} [{variant}]: {type(exc).__name__}: {str(exc)[:300]}")
            return None
        page = response.get_data(as_text=True)
        if response.status_code >= 500:
            failures.append(f"{form.action} [{variant}]: {response.status_code}")
        elif response.status_code == 400 and response.mimetype == "text/html" and not (
                "<form" in page and ERROR_ON_THE_FORM.search(page)):
            failures.append(f"{form.action} [{variant}]: 400 without the form and its error")
        return response

    started, count = time.perf_counter(), 0
    with strict_columns():
        for form in forms:
            for variant, data in variants(form, world):
                submit(form, variant, data)
                count += 1
    print(f"{len(forms)} forms, {count} submissions in {time.perf_counter() - started:.1f} s")
    assert not failures, f"{len(failures)} of {len(forms)} forms failed:\n" + "\n".join(failures)
