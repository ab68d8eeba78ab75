"""Open data: a process's proposals as CSV and JSON, public fields only, hidden content left out; rich
text (description, answer) as plain text."""
from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from participation.csv_writer import write_csv
from participation.extensions import db
from participation.html import html_to_text
from participation.models import Process

from .models import Proposal

FIELDS = ("id", "kind", "title", "body", "theme", "district", "address", "latitude", "longitude", "status",
          "supports", "comments", "estimated_cost", "answer", "authors", "group", "created_at", "url")


def rows(process: Process, locale: str | None, url_for_proposal) -> list[dict]:
    proposals = db.session.scalars(
        select(Proposal).where(Proposal.process_id == process.id, Proposal.hidden.is_(False))
        .options(selectinload(Proposal.theme), selectinload(Proposal.district), selectinload(Proposal.authors),
                 selectinload(Proposal.group)).order_by(Proposal.id))
    return [{
        "id": p.id, "kind": p.kind.value, "title": p.title, "body": html_to_text(p.body),
        "theme": p.theme.label(locale) if p.theme else "", "district": p.district.name if p.district else "",
        "address": p.address, "latitude": p.latitude, "longitude": p.longitude, "status": p.status.value,
        "supports": p.support_count, "comments": p.comment_count, "estimated_cost": p.estimated_cost,
        "answer": html_to_text(p.answer), "authors": [a.nickname for a in p.authors],
        "group": p.group.name if p.group else "",
        "created_at": p.created_at.isoformat() + "Z", "url": url_for_proposal(p),
    } for p in proposals]


def to_csv(data: list[dict]) -> str:
    return write_csv(FIELDS, ([row[f] for f in FIELDS] for row in data))


def to_json(process: Process, data: list[dict]) -> str:
    return json.dumps({"process": process.slug, "proposals": data}, ensure_ascii=False, indent=1)
