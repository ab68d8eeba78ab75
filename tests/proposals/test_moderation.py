"""Reports, hiding after N reports, the moderators' queue, blocks, audit log."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from participation.errors import Conflict, DomainError, PermissionDenied
from participation.extensions import db
from participation.models import AuditEntry, Role
from proposals import operations as ops
from proposals import operations_engagement as engagement
from proposals import operations_moderation as mod
from proposals.models import Comment, Proposal, Report, ReportReason, ReportTarget

from ..factories import login
from .factories import make_proposal, resident, setup_commune, staff, url


def test_n_reports_hide_the_content_pending_review(client):
    commune, process = setup_commune()
    ops.save_settings(staff(commune, Role.administrator), commune, process, report_threshold=2)
    proposal = make_proposal(commune, process)
    comment = engagement.add_comment(resident(commune), commune, proposal, "<p>Achetez mes montres</p>")
    first = resident(commune)
    mod.report(first, commune, ReportTarget.comment, comment.id, reason=ReportReason.spam)
    with pytest.raises(Conflict, match="already"):
        mod.report(first, commune, ReportTarget.comment, comment.id, reason=ReportReason.spam)
    assert not db.session.get(Comment, comment.id).hidden
    mod.report(resident(commune), commune, ReportTarget.comment, comment.id, reason=ReportReason.offensive)
    assert db.session.get(Comment, comment.id).hidden
    page = client.get(url(process, str(proposal.id))).get_data(as_text=True)
    assert "montres" not in page and "hidden by moderation" in page
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.target_type == "comment")) == \
        "moderation.auto_hide"


def test_other_reason_needs_a_text():
    commune, process = setup_commune()
    proposal = make_proposal(commune, process)
    with pytest.raises(DomainError, match="what the problem"):
        mod.report(resident(commune), commune, ReportTarget.proposal, proposal.id, reason=ReportReason.other)


def test_queue_hide_unhide_and_audit(client):
    commune, process = setup_commune()
    proposal = make_proposal(commune, process, title="Annonce douteuse")
    mod.report(resident(commune), commune, ReportTarget.proposal, proposal.id, reason=ReportReason.spam,
               text="publicité")
    moderator = staff(commune, Role.moderator)
    [item] = mod.queue(moderator, commune)
    assert item.target.id == proposal.id and item.reports[0].text == "publicité"
    login(client, moderator)
    page = client.get(f"/{commune.slug}/admin/proposals/moderation")
    assert page.status_code == 200 and "Annonce douteuse" in page.get_data(as_text=True)
    # A reason is required.
    client.post(f"/{commune.slug}/admin/proposals/moderation/proposal/{proposal.id}/hide", data={"reason": ""})
    assert not db.session.get(Proposal, proposal.id).hidden
    client.post(f"/{commune.slug}/admin/proposals/moderation/proposal/{proposal.id}/hide",
                data={"reason": "Publicité"})
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).hidden
    assert db.session.scalar(select(Report.resolved_at)) is not None
    public = client.get(url(process, "")).get_data(as_text=True)
    assert "Annonce douteuse" not in public
    detail = client.get(url(process, str(proposal.id))).get_data(as_text=True)
    assert "hidden by moderation" in detail
    client.post(f"/{commune.slug}/admin/proposals/moderation/proposal/{proposal.id}/unhide",
                data={"reason": "Erreur"})
    entries = db.session.execute(select(AuditEntry.action, AuditEntry.actor_id, AuditEntry.reason)
                                 .order_by(AuditEntry.id)).all()
    assert [e for e in entries if e.action.startswith("moderation.")] == [
        ("moderation.hide", moderator.id, "Publicité"), ("moderation.unhide", moderator.id, "Erreur")]
    admin = staff(commune, Role.administrator)
    login(client, admin)
    audit_page = client.get(f"/{commune.slug}/admin/audit").get_data(as_text=True)
    assert "moderation.hide" in audit_page and "Publicité" in audit_page


def test_residents_and_other_communes_moderators_cannot_moderate(client):
    commune, process = setup_commune()
    other_commune, _ = setup_commune()
    proposal = make_proposal(commune, process)
    with pytest.raises(PermissionDenied):
        mod.set_hidden(resident(commune), commune, ReportTarget.proposal, proposal.id, True, "x")
    foreign = staff(other_commune, Role.moderator)
    with pytest.raises(PermissionDenied):
        mod.set_hidden(foreign, other_commune, ReportTarget.proposal, proposal.id, True, "x")
    login(client, foreign)
    response = client.post(f"/{commune.slug}/admin/proposals/moderation/proposal/{proposal.id}/hide",
                           data={"reason": "x"})
    assert response.status_code == 403
    assert not db.session.get(Proposal, proposal.id).hidden


def test_block_a_user_in_the_commune(client):
    commune, process = setup_commune()
    troll, moderator = resident(commune), staff(commune, Role.moderator)
    proposal = make_proposal(commune, process, troll)
    login(client, moderator)
    client.post(f"/{commune.slug}/admin/proposals/moderation/block", data={"user_id": troll.id, "reason": "Insultes"})
    assert [b.user_id for b in mod.blocks(moderator, commune)] == [troll.id]
    for attempt in (lambda: make_proposal(commune, process, troll),
                    lambda: engagement.add_comment(troll, commune, proposal, "<p>x</p>"),
                    lambda: mod.report(troll, commune, ReportTarget.proposal, proposal.id, reason="spam")):
        with pytest.raises(PermissionDenied):
            attempt()
    with pytest.raises(Conflict):
        mod.block_user(moderator, commune, staff(commune, Role.moderator), "x")
    mod.unblock_user(moderator, commune, troll.id, "Excuses reçues")
    engagement.add_comment(troll, commune, proposal, "<p>Pardon</p>")
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert "moderation.block" in actions and "moderation.unblock" in actions


def test_report_form_over_http(client):
    commune, process = setup_commune()
    proposal = make_proposal(commune, process)
    comment = engagement.add_comment(resident(commune), commune, proposal, "<p>Bof</p>")
    login(client, resident(commune))
    assert client.get(url(process, f"{proposal.id}/comments/{comment.id}/report")).status_code == 200
    response = client.post(url(process, f"{proposal.id}/comments/{comment.id}/report"),
                           data={"reason": "off_topic", "text": "hors sujet"})
    assert response.status_code == 302
    assert db.session.scalar(select(Report.target_type)) == ReportTarget.comment
    again = client.post(url(process, f"{proposal.id}/comments/{comment.id}/report"), data={"reason": "spam"})
    assert again.status_code == 409 and "already reported" in again.get_data(as_text=True)


def test_dismissing_reports_resets_the_counter():
    commune, process = setup_commune()
    proposal = make_proposal(commune, process)
    mod.report(resident(commune), commune, ReportTarget.proposal, proposal.id, reason=ReportReason.spam)
    moderator = staff(commune, Role.moderator)
    mod.dismiss_reports(moderator, commune, ReportTarget.proposal, proposal.id, "Rien à redire")
    assert db.session.get(Proposal, proposal.id).report_count == 0
    assert mod.queue(moderator, commune) == []
