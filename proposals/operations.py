"""Proposals: shared checks, themes, settings, submission, editing and withdrawal."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select

from participation.blocks import require_not_blocked
from participation.errors import Conflict, DomainError, NotFound, PermissionDenied
from participation.events import publish
from participation.extensions import db
from participation.html import clean_html
from participation.jobs import commit
from participation.models import Action, Commune, District, Process, Role, User, utcnow
from participation.operations import audit
from participation.places import valid_point
from participation.permissions import (get_belonging, require_confirmed, require_phase, require_role,
                                       require_same_commune)

from participation import images
from .operations_list import SORTS, Filters, Page, list_proposals, list_query, places  # noqa: F401 - public API
from .models import (
    DEFAULT_THEMES, Comment, Proposal, ProposalAuthor, ProposalImage, ProposalKind, ProposalSettings,
    ProposalStatus, Support, Theme, UserGroup, UserGroupMember,
)

MAX_COAUTHORS = 10


# ---------------------------------------------------------------- shared checks

def require_participant(user: User | None, commune: Commune) -> None:
    """Anyone with a confirmed account may take part in a commune unless moderators blocked them
    (what a block refuses, action by action: participation/blocks.py)."""
    require_confirmed(user)
    require_not_blocked(user, commune)


def require_in_process(proposal: Proposal, commune: Commune, process: Process | None = None) -> None:
    require_same_commune(proposal.commune_id, commune)
    if process is not None and proposal.process_id != process.id:
        raise NotFound(_l("No such proposal."))


def is_staff(user: User | None, commune: Commune, *roles: Role) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False)
                and user.has_role(commune, *(roles or (Role.moderator, Role.reviewer))))


# ---------------------------------------------------------------- themes and settings

def themes(commune: Commune) -> list[Theme]:
    return list(db.session.scalars(select(Theme).where(Theme.commune_id == commune.id)
                                   .order_by(Theme.position, Theme.id)))


def ensure_default_themes(commune: Commune) -> list[Theme]:
    """A commune without themes gets the standard list (idempotent)."""
    existing = themes(commune)
    if not existing:
        for position, (key, name) in enumerate(DEFAULT_THEMES.items()):
            db.session.add(Theme(commune_id=commune.id, key=key, name=dict(name), position=position))
        db.session.flush()
        existing = themes(commune)
    return existing


def save_theme(actor: User, commune: Commune, *, key: str, name: dict, theme: Theme | None = None) -> Theme:
    require_role(actor, commune, Role.administrator)
    if theme is None:
        theme = Theme(commune_id=commune.id, key=key, position=len(themes(commune)))
        db.session.add(theme)
    else:
        require_same_commune(theme.commune_id, commune)
    theme.name = {k: v.strip() for k, v in name.items() if v and v.strip()}
    db.session.flush()
    audit(commune, actor, "theme.save", "theme", theme.id)
    commit()
    return theme


def settings_for(process: Process) -> ProposalSettings:
    found = db.session.scalar(select(ProposalSettings).where(ProposalSettings.process_id == process.id))
    if found is not None:
        return found
    # Defaults without writing: reading a page must not create rows.
    return ProposalSettings(process_id=process.id, petitions_enabled=True, petition_threshold=100,
                            petition_days=90, petition_answer_days=60, report_threshold=3)


def save_settings(actor: User, commune: Commune, process: Process, **values) -> ProposalSettings:
    require_role(actor, commune, Role.administrator)
    require_same_commune(process.commune_id, commune)
    row = db.session.scalar(select(ProposalSettings).where(ProposalSettings.process_id == process.id))
    if row is None:
        row = settings_for(process)
        db.session.add(row)
    for name in ("petitions_enabled", "petition_threshold", "petition_days", "petition_answer_days",
                 "report_threshold"):
        if name in values:
            setattr(row, name, values[name])
    if row.petition_threshold < 1 or row.report_threshold < 1:
        raise DomainError(_l("Thresholds must be at least 1."))
    db.session.flush()
    audit(commune, actor, "proposal_settings.save", "process", process.id)
    commit()
    return row


# ---------------------------------------------------------------- reading

def get_proposal(commune: Commune, process: Process, proposal_id: int) -> Proposal:
    return get_belonging(Proposal, proposal_id, lambda p: p.commune_id == commune.id and p.process_id == process.id,
                         _l("No such proposal."))


def has_engagement(proposal: Proposal) -> bool:
    """Once someone supported or commented, the text they reacted to must not change."""
    return bool(db.session.scalar(select(
        exists().where(Support.proposal_id == proposal.id) | exists().where(Comment.proposal_id == proposal.id))))


def can_edit(user: User | None, proposal: Proposal) -> bool:
    return (proposal.is_author(user) and proposal.status == ProposalStatus.published and not proposal.hidden
            and not has_engagement(proposal))


def groups_of(user: User | None, commune: Commune) -> list[UserGroup]:
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return list(db.session.scalars(
        select(UserGroup).join(UserGroupMember, UserGroupMember.group_id == UserGroup.id)
        .where(UserGroup.commune_id == commune.id, UserGroupMember.user_id == user.id).order_by(UserGroup.name)))


# ---------------------------------------------------------------- writing

def _resolve_coauthors(actor: User, nicknames: list[str]) -> list[User]:
    names = [n.strip() for n in nicknames if n and n.strip()]
    if len(names) > MAX_COAUTHORS:
        raise DomainError(_l("At most %(n)s co-authors.", n=MAX_COAUTHORS), field="coauthors")
    users = []
    for name in names:
        user = db.session.scalar(select(User).where(func.lower(User.nickname) == name.lower()))
        if user is None:
            raise DomainError(_l("No account has the nickname %(name)s.", name=name), field="coauthors")
        if user.id != actor.id and user not in users:
            users.append(user)
    return users


def _check_place(district_id, theme_id, latitude, longitude, commune: Commune) -> None:
    if theme_id is not None and not db.session.scalar(select(Theme.id).where(
            Theme.id == theme_id, Theme.commune_id == commune.id)):
        raise DomainError(_l("Choose one of the themes of this commune."), field="theme_id")
    if district_id is not None and not db.session.scalar(select(District.id).where(
            District.id == district_id, District.commune_id == commune.id)):
        raise DomainError(_l("Choose one of the districts of this commune."), field="district_id")
    if (latitude is None) != (longitude is None):
        raise DomainError(_l("Give both latitude and longitude, or neither."), field="latitude")
    if latitude is not None and not valid_point(latitude, longitude):
        raise DomainError(_l("These coordinates are not on Earth."), field="latitude")


@contextmanager
def _images_added(proposal: Proposal, uploads: list[bytes], alt: str):
    """Store the uploads on the proposal for the transaction run in the `with` block. If anything fails
    (a bad image, the flush, the commit), the session is rolled back and every file already written is
    removed, so no file outlives a transaction that did not commit."""
    with images.files_kept_on_commit() as written:
        if len(proposal.images) + len(uploads) > images.MAX_IMAGES:
            raise DomainError(_l("At most %(n)s images per proposal.", n=images.MAX_IMAGES), field="images")
        checked = [images.read_image(data) for data in uploads]  # refuse the whole batch before writing any file
        for image, fmt in checked:
            saved = images.write(image, fmt)
            written.append(("proposals", saved.filename))
            proposal.images.append(ProposalImage(
                filename=saved.filename, content_type=saved.content_type, width=saved.width, height=saved.height,
                alt=(alt or "").strip()[:200], position=len(proposal.images)))
        yield


def submit_proposal(actor: User, commune: Commune, process: Process, *, title: str, body: str,
                    theme_id: int | None = None, district_id: int | None = None, address: str = "",
                    latitude: float | None = None, longitude: float | None = None,
                    coauthors: list[str] | None = None, group_id: int | None = None,
                    kind: ProposalKind = ProposalKind.idea, uploads: list[bytes] | None = None,
                    image_alt: str = "") -> Proposal:
    require_participant(actor, commune)
    require_same_commune(process.commune_id, commune)
    require_phase(process, Action.propose)
    title = (title or "").strip()
    body = clean_html(body)
    if not title:
        raise DomainError(_l("A proposal needs a title."), field="title")
    if not body:
        raise DomainError(_l("Describe your proposal."), field="body")
    _check_place(district_id, theme_id, latitude, longitude, commune)
    group = None
    if group_id is not None:
        group = db.session.get(UserGroup, group_id)
        if group is None or group.commune_id != commune.id or actor not in group.members:
            raise DomainError(_l("You can only propose on behalf of a group you belong to."), field="group_id")
    settings = settings_for(process)
    proposal = Proposal(commune_id=commune.id, process_id=process.id, kind=kind, title=title, body=body,
                        theme_id=theme_id, district_id=district_id, address=(address or "").strip(),
                        latitude=latitude, longitude=longitude, group_id=group.id if group else None,
                        created_by_id=actor.id, status=ProposalStatus.published, support_count=0, comment_count=0)
    if kind == ProposalKind.petition:
        if not settings.petitions_enabled:
            raise DomainError(_l("Petitions are not open in this process."), field="kind")
        proposal.signature_threshold = settings.petition_threshold
        proposal.signature_deadline = utcnow() + timedelta(days=settings.petition_days)
    authors = [actor] + _resolve_coauthors(actor, coauthors or [])
    proposal.author_links = [ProposalAuthor(user_id=u.id, position=i) for i, u in enumerate(authors)]
    db.session.add(proposal)
    with _images_added(proposal, uploads or [], image_alt or title):
        db.session.flush()
        from .operations_engagement import _follow
        for user in authors:
            _follow(proposal, user)
        commit()
    return proposal


def edit_proposal(actor: User, commune: Commune, proposal: Proposal, *, title: str, body: str,
                  theme_id: int | None = None, district_id: int | None = None, address: str = "",
                  latitude: float | None = None, longitude: float | None = None,
                  uploads: list[bytes] | None = None, image_alt: str = "",
                  remove_image_ids: list[int] | None = None) -> Proposal:
    """Authors only (moderators never edit other people's words), and only before any reaction."""
    require_participant(actor, commune)
    require_same_commune(proposal.commune_id, commune)
    if not proposal.is_author(actor):
        raise PermissionDenied(_l("Only the authors of a proposal can edit it."))
    require_phase(db.session.get(Process, proposal.process_id), Action.propose)
    if proposal.status != ProposalStatus.published or proposal.hidden:
        raise Conflict(_l("This proposal can no longer be edited."))
    if has_engagement(proposal):
        raise Conflict(_l("This proposal has supports or comments: it can no longer be edited."))
    title, body = (title or "").strip(), clean_html(body)
    if not title:
        raise DomainError(_l("A proposal needs a title."), field="title")
    if not body:
        raise DomainError(_l("Describe your proposal."), field="body")
    _check_place(district_id, theme_id, latitude, longitude, commune)
    proposal.title, proposal.body = title, body
    proposal.theme_id, proposal.district_id = theme_id, district_id
    proposal.address, proposal.latitude, proposal.longitude = (address or "").strip(), latitude, longitude
    removed = [img for img in proposal.images if img.id in set(remove_image_ids or [])]
    for img in removed:
        proposal.images.remove(img)
    proposal.updated_at = utcnow()
    with _images_added(proposal, uploads or [], image_alt or title):
        for position, img in enumerate(proposal.images):
            img.position = position
        db.session.flush()
        publish("proposal.updated", dedupe_key=f"proposal.updated:{proposal.id}:{proposal.updated_at.isoformat()}",
                proposal_id=proposal.id, actor_id=actor.id)
        commit()
    for img in removed:
        images.remove(img.filename)
    return proposal


def withdraw_proposal(actor: User, commune: Commune, proposal: Proposal) -> Proposal:
    require_confirmed(actor)
    require_same_commune(proposal.commune_id, commune)
    if not proposal.is_author(actor):
        raise PermissionDenied(_l("Only the authors of a proposal can withdraw it."))
    if proposal.status in (ProposalStatus.accepted, ProposalStatus.withdrawn):
        raise Conflict(_l("This proposal can no longer be withdrawn."))
    proposal.status = ProposalStatus.withdrawn
    proposal.updated_at = utcnow()
    publish("proposal.status_changed", dedupe_key=f"proposal.status:{proposal.id}:withdrawn",
            proposal_id=proposal.id, status=ProposalStatus.withdrawn.value, actor_id=actor.id)
    commit()
    return proposal
