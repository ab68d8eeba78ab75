"""Reports, hiding after N reports, the moderators' queue, blocks, audit log."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from participation import blocks
from participation.errors import Conflict, DomainError, PermissionDenied
from participation.extensions import db
from participation.models import AuditEntry, Role
from proposals import operations as ops
from proposals import operations_engagement as engagement
from proposals import operations_moderation as mod
from proposals.models import Comment, Proposal, Report, ReportReason, ReportTarget

from ..factories import login
from ..html_checks import visible_text
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
    assert "montres" not in page and "hidden after several reports, until a moderator reviews it" in page
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
    assert "hidden by the moderators" in detail
    client.post(f"/{commune.slug}/admin/proposals/moderation/proposal/{proposal.id}/unhide",
                data={"reason": "Erreur"})
    entries = db.session.execute(select(AuditEntry.action, AuditEntry.actor_id, AuditEntry.reason)
                                 .order_by(AuditEntry.id)).all()
    assert [e for e in entries if e.action.startswith("moderation.")] == [
        ("moderation.hide", moderator.id, "Publicité"), ("moderation.unhide", moderator.id, "Erreur")]
    admin = staff(commune, Role.administrator)
    login(client, admin)
    audit_page = visible_text(client.get(f"/{commune.slug}/admin/audit").get_data(as_text=True))
    assert "hid the proposal \u201cAnnonce douteuse\u201d" in audit_page and "Publicité" in audit_page


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
    client.post(f"/{commune.slug}/admin/proposals/moderation/block",
                data={"user_id": troll.id, "reason": "Insultes", "duration": "indefinite"})
    assert [b.user_id for b in blocks.blocks(moderator, commune)] == [troll.id]
    for attempt in (lambda: make_proposal(commune, process, troll),
                    lambda: engagement.add_comment(troll, commune, proposal, "<p>x</p>"),
                    lambda: mod.report(troll, commune, ReportTarget.proposal, proposal.id, reason="spam")):
        with pytest.raises(PermissionDenied):
            attempt()
    with pytest.raises(Conflict):
        blocks.block_user(moderator, commune, staff(commune, Role.moderator), "x")
    blocks.unblock_user(moderator, commune, troll.id, "Excuses reçues")
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


def test_handled_reports_leave_the_queue_and_the_handled_tab_keeps_them(client):
    commune, process = setup_commune()
    spam = make_proposal(commune, process, title="Montres pas chères")
    fine = make_proposal(commune, process, title="Un banc public")
    comment = engagement.add_comment(resident(commune), commune, fine, "<p>Bof</p>")
    for target_type, ident in ((ReportTarget.proposal, spam.id), (ReportTarget.proposal, fine.id),
                               (ReportTarget.comment, comment.id)):
        mod.report(resident(commune), commune, target_type, ident, reason=ReportReason.spam, text="à voir")
    moderator = staff(commune, Role.moderator)
    login(client, moderator)
    base = f"/{commune.slug}/admin/proposals/moderation"
    assert len(mod.queue(moderator, commune)) == 3
    client.post(f"{base}/proposal/{spam.id}/hide", data={"reason": "Publicité"})
    client.post(f"{base}/proposal/{fine.id}/dismiss", data={"reason": "Rien à redire"})
    assert [(i.target_type, i.target.id) for i in mod.queue(moderator, commune)] == [(ReportTarget.comment, comment.id)]
    queue_page = visible_text(client.get(base).get_data(as_text=True))
    assert "Montres pas chères" not in queue_page and "Un banc public" in queue_page  # the comment's proposal
    assert "1 item to review" in queue_page
    handled = client.get(f"{base}/handled")
    text = visible_text(handled.get_data(as_text=True))
    assert handled.status_code == 200
    assert "Montres pas chères" in text and "Hidden by" in text and "Publicité" in text
    assert "Reports dismissed by" in text and "Rien à redire" in text
    # A hidden item can be restored from the handled tab.
    assert f'action="{base}/proposal/{spam.id}/unhide"' in handled.get_data(as_text=True)
    response = client.post(f"{base}/proposal/{spam.id}/unhide", data={"reason": "Erreur", "tab": "handled"})
    assert response.status_code == 302 and response.location.endswith("/moderation/handled")
    assert not db.session.get(Proposal, spam.id).hidden
    assert client.get(f"{base}/handled?page=2").status_code == 200
    assert client.get(f"{base}/handled?page=abc").status_code == 200


def test_dismissing_the_reports_of_automatically_hidden_content_restores_it(client):
    commune, process = setup_commune()
    ops.save_settings(staff(commune, Role.administrator), commune, process, report_threshold=1)
    proposal = make_proposal(commune, process, title="Jardin partagé")
    mod.report(resident(commune), commune, ReportTarget.proposal, proposal.id, reason=ReportReason.offensive)
    assert db.session.get(Proposal, proposal.id).hidden
    before = visible_text(client.get(url(process, str(proposal.id))).get_data(as_text=True))
    assert "until a moderator reviews it" in before
    moderator = staff(commune, Role.moderator)
    mod.dismiss_reports(moderator, commune, ReportTarget.proposal, proposal.id, "Signalement abusif")
    db.session.expire_all()
    assert not db.session.get(Proposal, proposal.id).hidden
    after = visible_text(client.get(url(process, str(proposal.id))).get_data(as_text=True))
    assert "Jardin partagé" in after and "until a moderator reviews it" not in after and "Hidden" not in after
    # Content a moderator hid stays hidden when later reports are dismissed, and says who decided.
    other = make_proposal(commune, process, title="Propos injurieux")
    mod.set_hidden(moderator, commune, ReportTarget.proposal, other.id, True, "Injures")
    with pytest.raises(Conflict, match="already hidden"):
        mod.report(resident(commune), commune, ReportTarget.proposal, other.id, reason=ReportReason.spam)
    mod.dismiss_reports(moderator, commune, ReportTarget.proposal, other.id, "rien")
    page = visible_text(client.get(url(process, str(other.id))).get_data(as_text=True))
    assert db.session.get(Proposal, other.id).hidden and "hidden by the moderators" in page
    assert "until a moderator reviews it" not in page


def test_report_form_preselects_nothing_and_knows_an_earlier_report(client):
    commune, process = setup_commune()
    proposal = make_proposal(commune, process)
    comment = engagement.add_comment(resident(commune), commune, proposal, "<p>Bof</p>")
    reporter = resident(commune)
    login(client, reporter)
    form_url = url(process, f"{proposal.id}/comments/{comment.id}/report")
    html = client.get(form_url).get_data(as_text=True)
    assert 'type="radio"' in html and "checked" not in html and "<select" not in html
    missing = client.post(form_url, data={"text": "?"})
    assert missing.status_code == 400 and "Choose what the problem is" in missing.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Report.id))) == 0
    assert client.post(form_url, data={"reason": "offensive"}).status_code == 302
    again = client.get(form_url)
    assert again.status_code == 200
    text = visible_text(again.get_data(as_text=True))
    assert "You reported this on" in text and 'type="radio"' not in again.get_data(as_text=True)
    detail = client.get(url(process, str(proposal.id))).get_data(as_text=True)
    assert "You reported this comment." in detail
    assert f"/comments/{comment.id}/report" not in detail
    assert f"{proposal.id}/report" in detail  # the proposal itself can still be reported


def test_queue_and_handled_tab_run_a_bounded_number_of_queries(client, app):
    from sqlalchemy import event
    commune, process = setup_commune()
    moderator = staff(commune, Role.moderator)
    login(client, moderator)

    def count_queries(path):
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(path).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    def add_reported(n):
        for i in range(n):
            p = make_proposal(commune, process, title=f"P{i}")
            c = engagement.add_comment(resident(commune), commune, p, "<p>c</p>")
            mod.report(resident(commune), commune, ReportTarget.proposal, p.id, reason=ReportReason.spam)
            mod.report(resident(commune), commune, ReportTarget.comment, c.id, reason=ReportReason.spam)
    base = f"/{commune.slug}/admin/proposals/moderation"
    add_reported(2)
    few = count_queries(base)
    add_reported(6)
    assert count_queries(base) == few
    for item in mod.queue(moderator, commune):
        mod.set_hidden(moderator, commune, item.target_type, item.target.id, True, "x")
    handled_many = count_queries(f"{base}/handled")
    assert handled_many <= few + 3, (handled_many, few)
