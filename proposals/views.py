"""Proposal pages: list, map, submission, permalink, editing, supports, follows, exports and images."""
from __future__ import annotations

import secrets

from flask import (
    Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from participation import images, places
from participation.blocks import active_block
from participation.confirm import ask_confirmation, confirmed
from participation.errors import DomainError
from participation.extensions import db, limiter
from participation.forms import attach_error, form_status
from participation.hooks import admin_link, process_section
from participation.input import arg_int, body_limit
from participation.models import Action, Role, utcnow
from participation.places import mapview
from participation.places.forms import encode as encode_place, settle as settle_place
from participation.tenancy import process_blueprint
from participation.urls import external_url

from . import demo, models  # noqa: F401 - models registers the tables, demo its seeder
from . import operations as ops
from . import operations_engagement as engagement
from . import operations_export as export
from . import operations_moderation as moderation
from .forms import CommentForm, EditProposalForm, ProposalForm
from .models import ProposalImage, ProposalKind, ProposalStatus
from .operations_instruction import petition_state

bp = process_blueprint("proposals", __name__, url_prefix="/proposals", template_folder="templates")
static_bp = Blueprint("proposals_static", __name__, static_folder="static", static_url_path="/static/proposals")



def _user():
    return current_user if current_user.is_authenticated else None


def blocked_page(back: str):
    """What a blocked person sees instead of a form they may not use (None when not blocked)."""
    block = active_block(_user(), g.commune)
    if block is None:
        return None
    return render_template("proposals/blocked.html", block=block, back=back), 403


def _locale() -> str:
    from flask_babel import get_locale
    return str(get_locale() or "fr")


def _per_user() -> str:
    return f"user:{current_user.id}" if current_user.is_authenticated else (request.remote_addr or "")


def _action_limit() -> str:
    return current_app.config.get("PROPOSALS_ACTION_RATE_LIMIT", "30 per minute;300 per hour")


def _seed() -> str:
    """A per-visitor seed for the random order: stable while browsing, different between visitors."""
    if "proposal_seed" not in session:
        session["proposal_seed"] = secrets.token_hex(8)
    return session["proposal_seed"]


def _filters() -> ops.Filters:
    args = request.args
    sort = args.get("sort", "newest")
    return ops.Filters(theme_id=arg_int("theme"), district_id=arg_int("district"), status=args.get("status") or None,
                       kind=args.get("kind") or None, q=args.get("q", "")[:200],
                       sort=sort if sort in ops.SORTS else "newest")


@bp.get("/")
def index():
    filters = _filters()
    themes, districts = ops.themes(g.commune), g.commune.districts
    page = ops.list_proposals(g.process, filters, page=arg_int("page", 1, minimum=1),
                              seed=_seed() if filters.sort == "random" else "", viewer=_user(),
                              themes=themes, districts=districts)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("proposals/list.html", page=page, filters=filters, args=args,
                           themes=themes, districts=districts, block=active_block(_user(), g.commune),
                           statuses=list(ProposalStatus), can_propose=g.process.allows(Action.propose))


@bp.get("/map")
def map_view():
    proposals = ops.places(g.process)
    return render_template("proposals/map.html", proposals=proposals, layout=mapview.layout(proposals))


def _form(cls, **kwargs):
    form = cls(**kwargs)
    form.setup(ops.themes(g.commune), g.commune.districts, ops.groups_of(_user(), g.commune), _locale(),
               petitions=ops.settings_for(g.process).petitions_enabled)
    return form


def _uploads(form) -> list[bytes]:
    files = [f for f in (form.images.data or []) if getattr(f, "filename", "")]
    if len(files) > images.MAX_IMAGES:
        raise DomainError(_("At most %(n)s images per proposal.", n=images.MAX_IMAGES), field="images")
    return [images.read_upload(f) for f in files]


def _place(form) -> dict:
    return {"theme_id": form.theme_id.data, "district_id": form.district_id.data, **form.place()}


def _submitted(form) -> bool:
    """A complete submission: the place is settled (an address typed without a point is looked up and
    offered as a list first) and every field is valid."""
    return request.method == "POST" and settle_place(form, places.commune_centre(g.commune)) \
        and form.validate_on_submit()


# Five images of the largest size and the text: bigger requests get the 413 page, which gives this limit.
UPLOAD_LIMIT = images.MAX_IMAGES * images.MAX_BYTES + 1024 * 1024


@bp.route("/new", methods=["GET", "POST"])
@login_required
@body_limit(UPLOAD_LIMIT)
def new():
    ops.ensure_default_themes(g.commune)
    db.session.commit()
    form = _form(ProposalForm)
    if not g.process.allows(Action.propose):
        flash(_("The current phase of this process does not allow new proposals."), "error")
        return redirect(url_for("proposals.index"))
    blocked = blocked_page(url_for("proposals.index"))
    if blocked:
        return blocked
    if _submitted(form):
        try:
            proposal = ops.submit_proposal(
                current_user, g.commune, g.process, title=form.title.data, body=form.body.data,
                coauthors=(form.coauthors.data or "").split(","), group_id=form.group_id.data,
                kind=ProposalKind(form.kind.data), uploads=_uploads(form), image_alt=form.image_alt.data or "",
                **_place(form))
        except DomainError as exc:
            attach_error(form, exc)
        else:
            flash(_("Your proposal is published."), "success")
            return redirect(url_for("proposals.detail", proposal_id=proposal.id))
    return render_template("proposals/form.html", form=form, proposal=None), \
        form_status(form)


@bp.get("/<int:proposal_id>")
def detail(proposal_id: int):
    proposal = ops.get_proposal(g.commune, g.process, proposal_id)
    user = _user()
    staff = ops.is_staff(user, g.commune)
    return render_template(
        "proposals/detail.html", proposal=proposal, staff=staff, thread=engagement.thread(proposal),
        block=active_block(user, g.commune), reported=moderation.reported_by(user, proposal),
        supported=engagement.has_supported(user, proposal), following=engagement.is_following(user, proposal),
        can_edit=ops.can_edit(user, proposal), is_author=proposal.is_author(user),
        can_support=g.process.allows(Action.sign if proposal.is_petition else Action.support),
        can_comment=g.process.allows(Action.comment), comment_form=CommentForm(formdata=None),
        reviewer=ops.is_staff(user, g.commune, Role.reviewer),
        petition=petition_state(proposal) if proposal.is_petition else None, now=utcnow())


@bp.route("/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
@body_limit(UPLOAD_LIMIT)
def edit(proposal_id: int):
    proposal = ops.get_proposal(g.commune, g.process, proposal_id)
    if not ops.can_edit(current_user, proposal):
        flash(_("This proposal can no longer be edited by you."), "error")
        return redirect(url_for("proposals.detail", proposal_id=proposal.id))
    blocked = blocked_page(url_for("proposals.detail", proposal_id=proposal.id))
    if blocked:
        return blocked
    data = None
    if request.method == "GET":
        data = {"title": proposal.title, "body": proposal.body, "theme_id": proposal.theme_id,
                "district_id": proposal.district_id, "address": proposal.address, "latitude": proposal.latitude,
                "longitude": proposal.longitude, "kind": proposal.kind.value, "group_id": proposal.group_id,
                "located": encode_place(proposal.latitude, proposal.longitude, proposal.address)
                if proposal.has_place else ""}
    form = _form(EditProposalForm, data=data)
    form.remove_images.choices = [(img.id, _("Image %(n)s", n=i)) for i, img in enumerate(proposal.images, 1)]
    if _submitted(form):
        try:
            ops.edit_proposal(current_user, g.commune, proposal, title=form.title.data, body=form.body.data,
                              uploads=_uploads(form), image_alt=form.image_alt.data or "",
                              remove_image_ids=form.remove_images.data or [], **_place(form))
        except DomainError as exc:
            attach_error(form, exc)
        else:
            flash(_("Your proposal is updated."), "success")
            return redirect(url_for("proposals.detail", proposal_id=proposal.id))
    return render_template("proposals/form.html", form=form, proposal=proposal), \
        form_status(form)


@bp.route("/<int:proposal_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(proposal_id: int):
    proposal = ops.get_proposal(g.commune, g.process, proposal_id)
    if not confirmed():
        return ask_confirmation(_("Withdraw the proposal \u201c%(title)s\u201d?", title=proposal.title),
                                details=_("A withdrawn proposal cannot be published again."),
                                confirm_label=_("Withdraw the proposal"),
                                cancel_url=url_for("proposals.detail", proposal_id=proposal.id))
    ops.withdraw_proposal(current_user, g.commune, proposal)
    flash(_("Your proposal is withdrawn."), "success")
    return redirect(url_for("proposals.detail", proposal_id=proposal.id))


@bp.post("/<int:proposal_id>/support")
@login_required
@limiter.limit(_action_limit, key_func=_per_user)
def support(proposal_id: int):
    proposal = ops.get_proposal(g.commune, g.process, proposal_id)
    if request.form.get("undo"):
        engagement.unsupport(current_user, g.commune, proposal)
        flash(_("Your support is removed."), "success")
    else:
        engagement.support(current_user, g.commune, proposal)
        flash(_("Thank you for your signature.") if proposal.is_petition else _("Thank you for your support."),
              "success")
    return redirect(url_for("proposals.detail", proposal_id=proposal.id) + "#support")


@bp.post("/<int:proposal_id>/follow")
@login_required
def follow(proposal_id: int):
    proposal = ops.get_proposal(g.commune, g.process, proposal_id)
    if request.form.get("undo"):
        engagement.unfollow(current_user, g.commune, proposal)
        flash(_("You no longer follow this proposal."), "success")
    else:
        engagement.follow(current_user, g.commune, proposal)
        flash(_("You follow this proposal: you will be notified of its news."), "success")
    return redirect(url_for("proposals.detail", proposal_id=proposal.id))


def _export_response(body: str, mimetype: str, ext: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="proposals-{g.process.slug}.{ext}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _export_rows():
    return export.rows(g.process, _locale(), lambda p: external_url("proposals.detail", proposal_id=p.id))


@bp.get("/export.csv")
def export_csv():
    return _export_response(export.to_csv(_export_rows()), "text/csv", "csv")


@bp.get("/export.json")
def export_json():
    return _export_response(export.to_json(g.process, _export_rows()), "application/json", "json")


@bp.get("/images/<filename>")
def image(filename: str):
    if not images.is_stored_name(filename):
        abort(404)
    row = db.session.scalar(select(ProposalImage).where(ProposalImage.filename == filename))
    if row is None or row.proposal.process_id != g.process.id:
        abort(404)
    if row.proposal.hidden and not ops.is_staff(_user(), g.commune, Role.moderator):
        abort(404)
    path = images.path_of(filename)
    if path is None:
        abort(404)
    return images.serve(path, row.content_type)


@process_section
def proposals_section(process) -> str:
    total = ops.list_proposals(process, ops.Filters(), per_page=3)
    return render_template("proposals/_section.html", process=process, latest=total,
                           can_propose=process.allows(Action.propose), block=active_block(_user(), process.commune))


@admin_link
def moderation_links(commune) -> list[tuple[str, str]]:
    if not current_user.is_authenticated:
        return []
    links = []
    if current_user.has_role(commune, Role.moderator):
        links.append((_("Moderation"), url_for("proposals_admin.moderation", commune=commune.slug)))
    if current_user.has_role(commune, Role.reviewer):
        links.append((_("Instruction of proposals"), url_for("proposals_admin.instruction", commune=commune.slug)))
    if current_user.has_role(commune, Role.administrator):
        links.append((_("Proposal settings"), url_for("proposals_admin.settings", commune=commune.slug)))
    return links


from . import views_admin, views_discussion  # noqa: E402 - they add routes to bp and define more blueprints

blueprints = [bp, static_bp, views_admin.admin_bp, views_admin.groups_bp]
