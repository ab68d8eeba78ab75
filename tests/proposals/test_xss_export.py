"""Every text field filled with hostile payloads comes out inert on every page and in the exports."""
from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from participation.extensions import db
from participation.models import Role
from proposals import operations as ops
from proposals import operations_engagement as engagement
from proposals import operations_groups as groups
from proposals import operations_moderation as mod
from proposals.models import Proposal, ReportReason, ReportTarget
from proposals.operations_instruction import instruct

from ..factories import login
from .factories import make_proposal, png_bytes, quick_user, setup_commune, staff, url
from .xss_corpus import PAYLOADS

# Tags our own templates use; anything else on a page came from user input.
OUR_TAGS = {"html", "head", "meta", "title", "link", "body", "a", "header", "div", "nav", "ul", "li", "form", "input",
            "button", "span", "main", "p", "h1", "h2", "h3", "section", "select", "option", "label", "img", "footer",
            "strong", "em", "b", "i", "u", "ol", "br", "blockquote", "code", "pre", "h4", "article", "time",
            "details", "summary", "textarea", "table", "thead", "tbody", "tr", "th", "td", "caption", "progress",
            "fieldset", "legend", "svg", "rect", "g", "circle", "text", "script"}


class InertChecker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in OUR_TAGS:
            self.problems.append(f"unexpected <{tag}>")
        for name, value in attrs:
            value = (value or "").strip().lower().replace("\t", "").replace("\n", "")
            if name.startswith("on") or name in {"style", "srcdoc", "formaction", "autofocus"}:
                self.problems.append(f"<{tag} {name}=...>")
            if name in {"href", "src", "action", "data"} and value.startswith(("javascript:", "data:", "vbscript:")):
                self.problems.append(f"<{tag} {name}={value[:30]}>")
        if tag == "script" and not dict(attrs).get("src", "").startswith("/static/"):
            self.problems.append("inline or foreign <script>")
        if tag in {"meta"} and any(n == "http-equiv" for n, _ in attrs):
            self.problems.append("<meta http-equiv>")


def inert(html: str) -> list[str]:
    checker = InertChecker()
    checker.feed(html)
    return checker.problems


@pytest.fixture
def hostile_world(app):
    commune, process = setup_commune()
    ops.save_settings(staff(commune, Role.administrator), commune, process, report_threshold=1000)
    reviewer, moderator = staff(commune, Role.reviewer), staff(commune, Role.moderator)
    replier, reporter = quick_user("replier"), quick_user("reporter")
    for i, payload in enumerate(PAYLOADS):  # text first: an unclosed <style> or <script> drops all that follows
        author = quick_user(f"{payload[:30]}{i}")
        group = groups.create_group(author, commune, f"{payload[:100]} {i}")
        proposal = make_proposal(commune, process, author, title=payload[:200], body="idée " + payload,
                                 address=payload[:255], image_alt=payload[:200], group_id=group.id,
                                 latitude=47.7 + i / 1000, longitude=7.3 + i / 1000,
                                 uploads=[png_bytes((4, 4))] if i % 10 == 0 else None)
        comment = engagement.add_comment(author, commune, proposal, "avis " + payload)
        engagement.add_comment(replier, commune, proposal, "réponse " + payload, parent=comment)
        mod.report(reporter, commune, ReportTarget.comment, comment.id, reason=ReportReason.other,
                   text=payload)
        instruct(reviewer, commune, proposal, status="evaluating", answer=payload, feasibility=payload,
                 estimated_cost=i)
        if i % 7 == 0:
            mod.set_hidden(moderator, commune, ReportTarget.comment, comment.id, True, payload)
    return commune, process, reviewer, moderator


def test_corpus_is_large_enough():
    assert len(PAYLOADS) >= 50 and len(set(PAYLOADS)) == len(PAYLOADS)


def test_every_page_and_export_stays_inert(client, hostile_world):
    """One world for both checks: building it is the slow part."""
    check_pages(client, *hostile_world)
    check_exports(client, *hostile_world)


def check_pages(client, commune, process, reviewer, moderator):
    ids = db.session.scalars(select(Proposal.id)).all()
    pages = [url(process, ""), url(process, "?page=2"), url(process, "?page=3"), url(process, "map"),
             f"/{commune.slug}/processes/{process.slug}/"] + [url(process, str(i)) for i in ids]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert inert(response.get_data(as_text=True)) == [], path
    for who, paths in ((moderator, [f"/{commune.slug}/admin/proposals/moderation"]),
                       (reviewer, [f"/{commune.slug}/admin/proposals/instruction",
                                   f"/{commune.slug}/admin/proposals/instruction/{ids[3]}",
                                   url(process, str(ids[5]))])):
        login(client, who)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            assert inert(response.get_data(as_text=True)) == [], path
    admin = staff(commune, Role.administrator)  # sees the moderation queue and the audit log
    login(client, admin)
    for path in (f"/{commune.slug}/admin/proposals/moderation", f"/{commune.slug}/admin/audit",
                 f"/{commune.slug}/groups/"):
        response = client.get(path)
        assert response.status_code == 200 and inert(response.get_data(as_text=True)) == [], path


def check_exports(client, commune, process, reviewer, moderator):
    """Exports are data files (attachment, exact type, nosniff) with public fields only and no formulas."""
    hidden = db.session.scalars(select(Proposal).order_by(Proposal.id)).first()
    mod.set_hidden(moderator, commune, ReportTarget.proposal, hidden.id, True, "test")
    csv_response = client.get(url(process, "export.csv"))
    json_response = client.get(url(process, "export.json"))
    for response, mimetype in ((csv_response, "text/csv"), (json_response, "application/json")):
        assert response.status_code == 200
        assert response.mimetype == mimetype
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Disposition"].startswith("attachment;")
    data = json.loads(json_response.data)["proposals"]
    rows = list(csv.DictReader(io.StringIO(csv_response.get_data(as_text=True))))
    assert len(data) == len(rows) == len(PAYLOADS) - 1
    assert hidden.id not in {d["id"] for d in data}
    assert set(data[0]) == {"id", "kind", "title", "body", "theme", "district", "address", "latitude", "longitude",
                            "status", "supports", "comments", "estimated_cost", "answer", "authors", "group",
                            "created_at", "url"}  # no e-mail, no reports, no feasibility drafts, no hidden flag
    for d in data:
        assert inert(d["body"]) == [] and inert(d["answer"]) == [], d["id"]
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), value  # no spreadsheet formulas
    assert any(row["title"].startswith("'=HYPERLINK") for row in rows)
    by_id = {d["id"]: d for d in data}
    assert any(d["title"] == PAYLOADS[2] for d in by_id.values())  # data kept as text, unchanged
