"""The audit log: who reads which part, entries in words in the reader's language with links to the objects,
filters by action, person and date, pages, and a bounded number of queries per page."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from participation import blocks, operations
from participation.accounts import invitations
from participation.audit import audit_page
from participation.errors import PermissionDenied
from participation.extensions import db
from participation.models import AuditEntry, Role, utcnow
from proposals import operations_engagement as engagement
from proposals import operations_moderation as mod
from proposals.models import ProposalStatus, ReportTarget
from proposals.operations_instruction import instruct

from ..factories import grant, login, make_user
from ..html_checks import visible_text
from ..proposals.factories import make_proposal, resident, setup_commune


@pytest.fixture
def world():
    commune, process = setup_commune()
    marie = grant(make_user("Marie"), commune, Role.moderator)
    paul = grant(make_user("Paul"), commune, Role.resident)
    admin = grant(make_user("Adèle"), commune, Role.administrator)
    reviewer = grant(make_user("Rémi"), commune, Role.reviewer)
    return commune, process, marie, paul, admin, reviewer


def give_role(admin, commune, user, role):
    """Roles are given by invitation: the administrator invites, the person accepts."""
    invitation = invitations.invite(admin, commune, user.email, role)
    invitations.accept(user, invitations.invitation_token(invitation))


def test_moderators_read_the_moderation_part_in_words(client, world):
    commune, process, marie, paul, admin, reviewer = world
    blocks.block_user(marie, commune, paul, "spam", days=7)
    proposal = make_proposal(commune, process, title="Un banc au parc")
    mod.set_hidden(marie, commune, ReportTarget.proposal, proposal.id, True, "Publicité")
    instruct(reviewer, commune, proposal, status=ProposalStatus.evaluating)
    give_role(admin, commune, make_user("Nina"), Role.moderator)
    login(client, marie)
    response = client.get(f"/{commune.slug}/admin/audit")
    assert response.status_code == 200  # was 403 for moderators
    text = visible_text(response.get_data(as_text=True))
    assert re.search(r"Marie \(moderator\) blocked Paul until .+ spam", text), text
    assert "Marie (moderator) hid the proposal \u201cUn banc au parc\u201d" in text and "Publicité" in text
    # Neither the instruction nor the administration part, nor raw codes.
    assert "Rémi" not in text and "Nina" not in text
    assert "moderation.block" not in text and "user #" not in text
    html = response.get_data(as_text=True)
    assert f'href="/{commune.slug}/processes/{process.slug}/proposals/{proposal.id}"' in html


def test_administrators_read_everything_and_reviewers_the_instruction(client, world):
    commune, process, marie, paul, admin, reviewer = world
    proposal = make_proposal(commune, process, title="Des toilettes publiques")
    blocks.block_user(marie, commune, paul, "insultes")
    instruct(reviewer, commune, proposal, status=ProposalStatus.accepted, answer="<p>Oui</p>")
    give_role(admin, commune, make_user("Nina"), Role.moderator)
    login(client, admin)
    text = visible_text(client.get(f"/{commune.slug}/admin/audit").get_data(as_text=True))
    assert "Marie (moderator) blocked Paul" in text
    assert "Rémi (reviewer) set the status of the proposal \u201cDes toilettes publiques\u201d to \u201caccepted\u201d " \
           "and answered it" in text
    assert "Adèle (administrator) invited a person to take the role of moderator" in text
    assert "accepted the role of moderator, offered by Adèle" in text
    login(client, reviewer)
    text = visible_text(client.get(f"/{commune.slug}/admin/audit").get_data(as_text=True))
    assert "Rémi (reviewer) set the status" in text and "blocked" not in text and "Nina" not in text
    login(client, paul)
    assert client.get(f"/{commune.slug}/admin/audit").status_code == 403
    with pytest.raises(PermissionDenied):
        audit_page(paul, commune)


def test_entries_read_in_the_readers_language(client, world):
    commune, process, marie, paul, admin, reviewer = world
    blocks.block_user(marie, commune, paul, "spam")
    login(client, admin)
    client.post("/lang", data={"lang": "fr", "next": "/"})
    text = visible_text(client.get(f"/{commune.slug}/admin/audit").get_data(as_text=True))
    assert "Marie (modérateur) a bloqué Paul" in text, text
    client.post("/lang", data={"lang": "de", "next": "/"})
    text = visible_text(client.get(f"/{commune.slug}/admin/audit").get_data(as_text=True))
    assert "Marie (Moderator) hat Paul gesperrt" in text, text


def test_filters_by_action_person_and_date(client, world):
    commune, process, marie, paul, admin, reviewer = world
    other = grant(make_user("Zoé"), commune, Role.resident)
    blocks.block_user(marie, commune, paul, "spam")
    blocks.unblock_user(marie, commune, paul.id, "excuses")
    blocks.block_user(marie, commune, other, "flood")
    old = AuditEntry(commune_id=commune.id, actor_id=marie.id, actor_role="moderator", action="moderation.unblock",
                     target_type="user", target_id=other.id, reason="ancien", params={},
                     created_at=utcnow() - timedelta(days=40))
    db.session.add(old)
    db.session.commit()
    login(client, marie)
    base = f"/{commune.slug}/admin/audit"
    text = visible_text(client.get(base, query_string={"action": "moderation.unblock"}).get_data(as_text=True))
    assert "unblocked Paul" in text and "unblocked Zoé" in text and "flood" not in text
    text = visible_text(client.get(base, query_string={"person": "zoé"}).get_data(as_text=True))
    assert "Zoé" in text and "Paul" not in text
    since = (utcnow() - timedelta(days=2)).date().isoformat()
    text = visible_text(client.get(base, query_string={"since": since}).get_data(as_text=True))
    assert "excuses" in text and "ancien" not in text
    until = (utcnow() - timedelta(days=30)).date().isoformat()
    text = visible_text(client.get(base, query_string={"until": until}).get_data(as_text=True))
    assert "ancien" in text and "excuses" not in text
    # Bad input: a message, no 500, nothing filtered wrongly.
    for bad in ({"since": "31/02/2026"}, {"action": "moderation.nonsense"}, {"since": "2026-05-02", "until": "2026-05-01"}):
        response = client.get(base, query_string=bad)
        assert response.status_code == 400, bad
    response = client.get(base, query_string={"person": "nobody-here"})
    assert response.status_code == 200 and "No account has this nickname" in response.get_data(as_text=True)
    # A moderator cannot filter on an administration action to see it.
    give_role(admin, commune, make_user("Nina"), Role.moderator)
    assert client.get(base, query_string={"action": "role.invite"}).status_code == 400


def test_pages_and_a_bounded_number_of_queries(client, world, app):
    commune, process, marie, paul, admin, reviewer = world
    proposals = [make_proposal(commune, process, title=f"Idée {i}") for i in range(4)]
    comment = engagement.add_comment(resident(commune), commune, proposals[0], "<p>Achetez</p>")
    entries = []
    for i in range(130):
        kind = i % 4
        if kind == 0:
            entries.append(AuditEntry(commune_id=commune.id, actor_id=marie.id, actor_role="moderator",
                                      action="moderation.hide", target_type="proposal",
                                      target_id=proposals[i % 4].id, reason=f"raison {i}", params={}))
        elif kind == 1:
            entries.append(AuditEntry(commune_id=commune.id, actor_id=marie.id, actor_role="moderator",
                                      action="moderation.hide", target_type="comment", target_id=comment.id,
                                      reason=f"raison {i}", params={}))
        elif kind == 2:
            entries.append(AuditEntry(commune_id=commune.id, actor_id=marie.id, actor_role="moderator",
                                      action="moderation.block", target_type="user", target_id=paul.id,
                                      reason=f"raison {i}", params={"until": None}))
        else:
            entries.append(AuditEntry(commune_id=commune.id, actor_id=admin.id, actor_role="administrator",
                                      action="phase.save", target_type="phase", target_id=process.phases[i % 6].id,
                                      reason="", params={}))
    for i, entry in enumerate(entries):
        entry.created_at = utcnow() - timedelta(minutes=200 - i)
    db.session.add_all(entries)
    db.session.commit()
    login(client, admin)
    statements = []

    def count(*args):
        statements.append(args[2])
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        first = client.get(f"/{commune.slug}/admin/audit")
        first_count = len(statements)
        statements.clear()
        third = client.get(f"/{commune.slug}/admin/audit?page=3")
        third_count = len(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    html = first.get_data(as_text=True)
    assert first.status_code == 200 and html.count("<tr>") == 51  # header + 50 entries
    assert "raison 129" in html and "raison 79" not in html and 'rel="next"' in html
    assert third.status_code == 200 and "raison 29" in third.get_data(as_text=True)
    assert 'rel="next"' not in third.get_data(as_text=True)
    # Session, user, commune, entries + actors, and one query per kind of object shown: not one per entry.
    assert first_count <= 14, first_count
    assert third_count <= 14, third_count
    assert client.get(f"/{commune.slug}/admin/audit?page=99999999999999999999").status_code == 200
