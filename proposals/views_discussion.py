"""Comments and reports on a proposal's page."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from participation.confirm import ask_confirmation, confirmed
from participation.errors import DomainError
from participation.extensions import limiter
from participation.forms import attach_error, form_status
from participation.input import form_int

from . import operations as ops
from . import operations_engagement as engagement
from . import operations_moderation as moderation
from .forms import CommentForm, ReportForm
from .models import ReportReason, ReportTarget
from .views import _action_limit, _per_user, blocked_page, bp


def _back(proposal_id: int, anchor: str = "") -> str:
    return url_for("proposals.detail", proposal_id=proposal_id) + anchor


@bp.post("/<int:proposal_id>/comments")
@login_required
@limiter.limit(_action_limit, key_func=_per_user)
def comment(proposal_id: int):
    proposal = ops.get_proposal(g.commune, g.process, proposal_id)
    form = CommentForm()
    if form.validate():
        try:
            parent_id = form_int("parent_id")
            parent = engagement.get_comment(proposal, parent_id) if parent_id is not None else None
            created = engagement.add_comment(current_user, g.commune, proposal, form.body.data, parent=parent)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            flash(_("Your comment is published."), "success")
            return redirect(_back(proposal.id, f"#comment-{created.id}"))
    # Refused (empty, too long, blocked, phase closed...): the reason, and the text kept to send again or copy.
    return render_template("proposals/comment_form.html", form=form, proposal=proposal, comment=None), \
        form_status(form)


@bp.route("/<int:proposal_id>/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit_comment(proposal_id: int, comment_id: int):
    proposal = ops.get_proposal(g.commune, g.process, proposal_id)
    item = engagement.get_comment(proposal, comment_id)
    blocked = blocked_page(_back(proposal.id, f"#comment-{item.id}"))
    if blocked:
        return blocked
    form = CommentForm(data={"body": item.body} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            engagement.edit_comment(current_user, g.commune, item, form.body.data)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            flash(_("Your comment is updated."), "success")
            return redirect(_back(proposal.id, f"#comment-{item.id}"))
    elif request.method == "GET" and item.author_id != current_user.id:
        flash(_("Only its author can change a comment."), "error")
        return redirect(_back(proposal.id, f"#comment-{item.id}"))
    return render_template("proposals/comment_form.html", form=form, proposal=proposal, comment=item), \
        form_status(form)


@bp.route("/<int:proposal_id>/comments/<int:comment_id>/delete", methods=["GET", "POST"])
@login_required
def delete_comment(proposal_id: int, comment_id: int):
    proposal = ops.get_proposal(g.commune, g.process, proposal_id)
    item = engagement.get_comment(proposal, comment_id)
    if not confirmed():
        return ask_confirmation(_("Delete your comment?"), details=_("Its words go; replies keep their place."),
                                confirm_label=_("Delete the comment"),
                                cancel_url=_back(proposal.id, f"#comment-{item.id}"))
    engagement.delete_comment(current_user, g.commune, item)
    flash(_("Your comment is deleted."), "success")
    return redirect(_back(proposal.id, f"#comment-{item.id}"))


@bp.route("/<int:proposal_id>/report", methods=["GET", "POST"])
@bp.route("/<int:proposal_id>/comments/<int:comment_id>/report", methods=["GET", "POST"])
@login_required
@limiter.limit(_action_limit, key_func=_per_user, methods=["POST"])
def report(proposal_id: int, comment_id: int | None = None):
    proposal = ops.get_proposal(g.commune, g.process, proposal_id)
    item = engagement.get_comment(proposal, comment_id) if comment_id else None
    back = _back(proposal.id, f"#comment-{item.id}" if item else "")
    blocked = blocked_page(back)
    if blocked:
        return blocked
    earlier = moderation.my_report(current_user, ReportTarget.comment if item else ReportTarget.proposal,
                                   item.id if item else proposal.id)
    if earlier is not None and request.method == "GET":
        return render_template("proposals/report.html", form=None, earlier=earlier, proposal=proposal, comment=item,
                               back=back)
    form = ReportForm()
    if form.validate_on_submit():
        try:
            moderation.report(current_user, g.commune,
                              ReportTarget.comment if item else ReportTarget.proposal,
                              item.id if item else proposal.id, reason=ReportReason(form.reason.data),
                              text=form.text.data or "")
        except DomainError as exc:
            attach_error(form, exc)
        else:
            flash(_("Thank you: moderators will review your report."), "success")
            return redirect(back)
    return render_template("proposals/report.html", form=form, earlier=None, proposal=proposal, comment=item,
                           back=back), form_status(form)
