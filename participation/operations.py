"""State changes for communes, processes and phases: permission checks, one transaction each."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .errors import DomainError, NotFound
from .extensions import db
from .html import clean_html
from .jobs import commit
from .models import AuditEntry, Commune, District, Membership, Phase, PhaseKind, Process, Role, User
from .permissions import require_platform_admin, require_role, require_same_commune


# First URL segments used by platform pages: a commune cannot take them.
RESERVED_SLUGS = frozenset({"account", "static", "healthz", "lang", "communes", "notifications", "admin", "api"})


def audit(commune: Commune | None, actor: User | None, action: str, target_type: str,
          target_id: int | None, reason: str = "", params: dict | None = None) -> AuditEntry:
    """Record an action. `reason` is the person's own words; `params` the codes and values the entry's
    sentence needs (participation/audit.py shows it in words in each reader's language)."""
    from .audit import role_code
    entry = AuditEntry(commune_id=commune.id if commune else None, actor_id=actor.id if actor else None,
                       actor_role=role_code(actor, commune), action=action, target_type=target_type,
                       target_id=target_id, reason=reason, params=params or {})
    db.session.add(entry)
    return entry


MAX_REASON = 2000


def require_reason(reason: str) -> str:
    """Moderation and other judgement calls say why: the audit log keeps the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Say why: the audit log keeps the reason."), field="reason")
    return reason[:MAX_REASON]


def get_process(commune: Commune, slug: str, *, include_unpublished: bool = False) -> Process:
    process = db.session.scalar(
        select(Process).where(Process.commune_id == commune.id, Process.slug == slug))
    if process is None or (not process.published and not include_unpublished):
        raise NotFound(_l("No such process."))
    return process


def list_processes(commune: Commune, *, include_unpublished: bool = False) -> list[Process]:
    query = select(Process).where(Process.commune_id == commune.id).order_by(Process.created_at.desc())
    if not include_unpublished:
        query = query.where(Process.published.is_(True))
    return list(db.session.scalars(query))


def save_process(actor: User, commune: Commune, *, slug: str, title: dict, description: dict,
                 image: str | None = None, published: bool = True, process: Process | None = None) -> Process:
    require_role(actor, commune, Role.administrator)
    clash = db.session.scalar(select(Process.id).where(
        Process.commune_id == commune.id, Process.slug == slug))
    if clash and (process is None or clash != process.id):
        raise DomainError(_l("Another process of this commune already uses this address."), field="slug")
    if process is None:
        process = Process(commune_id=commune.id)
        db.session.add(process)
    else:
        require_same_commune(process.commune_id, commune)
    process.slug = slug
    process.title = {k: v.strip() for k, v in title.items() if v and v.strip()}
    process.description = {k: clean_html(v) for k, v in description.items() if v and v.strip()}
    process.image = image or None
    process.published = published
    db.session.flush()
    audit(commune, actor, "process.save", "process", process.id)
    commit()
    return process


def _check_phase_dates(process: Process, starts_at: datetime, ends_at: datetime, ignore: Phase | None) -> None:
    if ends_at <= starts_at:
        raise DomainError(_l("A phase must end after it starts."), field="ends_at")
    for other in process.phases:
        if other is ignore:
            continue
        if starts_at < other.ends_at and other.starts_at < ends_at:
            raise DomainError(_l("This phase overlaps another phase of the process."), field="starts_at")


def save_phase(actor: User, commune: Commune, process: Process, *, kind: PhaseKind, name: dict,
               starts_at: datetime, ends_at: datetime, phase: Phase | None = None) -> Phase:
    require_role(actor, commune, Role.administrator)
    require_same_commune(process.commune_id, commune)
    if phase is not None and phase.process_id != process.id:
        raise NotFound(_l("No such phase."))
    _check_phase_dates(process, starts_at, ends_at, ignore=phase)
    if phase is None:
        phase = Phase(process=process, position=len(process.phases))
        db.session.add(phase)
    phase.kind = kind
    phase.name = {k: v.strip() for k, v in name.items() if v and v.strip()}
    phase.starts_at, phase.ends_at = starts_at, ends_at
    _renumber(process)
    db.session.flush()
    audit(commune, actor, "phase.save", "phase", phase.id)
    commit()
    return phase


def _renumber(process: Process) -> None:
    """`position` mirrors the date order (SQL that orders phases reads it)."""
    for position, phase in enumerate(sorted(process.phases, key=lambda p: (p.starts_at, p.id or 0))):
        phase.position = position


def phases_out_of_order(process: Process) -> list[tuple[Phase, Phase]]:
    """Neighbours whose kinds come in an unusual order by date (e.g. the vote before the proposals), so
    the phases page can point them out: the order of the phases is their dates."""
    order = list(PhaseKind)
    phases = sorted(process.phases, key=lambda p: (p.starts_at, p.id or 0))
    return [(a, b) for a, b in zip(phases, phases[1:]) if order.index(a.kind) > order.index(b.kind)]


def delete_phase(actor: User, commune: Commune, process: Process, phase: Phase) -> None:
    require_role(actor, commune, Role.administrator)
    require_same_commune(process.commune_id, commune)
    if phase.process_id != process.id:
        raise NotFound(_l("No such phase."))
    if process.active_phase_override_id == phase.id:
        process.active_phase_override_id = None
    audit(commune, actor, "phase.delete", "process", process.id, params={"phase": phase.name or phase.kind.value})
    process.phases.remove(phase)
    _renumber(process)
    commit()


def override_phase(actor: User, commune: Commune, process: Process, phase: Phase | None) -> None:
    require_role(actor, commune, Role.administrator)
    require_same_commune(process.commune_id, commune)
    if phase is not None and phase.process_id != process.id:
        raise NotFound(_l("No such phase."))
    process.active_phase_override_id = phase.id if phase else None
    audit(commune, actor, "phase.override", "process", process.id,
          params={"phase": (phase.name or phase.kind.value) if phase else None})
    commit()


def grant_role(actor: User, commune: Commune, user: User, role: Role) -> Membership:
    require_role(actor, commune, Role.administrator)
    existing = db.session.scalar(select(Membership).where(
        Membership.user_id == user.id, Membership.commune_id == commune.id, Membership.role == role))
    if existing:
        return existing
    membership = Membership(user=user, commune_id=commune.id, role=role)
    db.session.add(membership)
    db.session.flush()
    audit(commune, actor, "role.grant", "user", user.id, params={"role": role.value})
    commit()
    return membership


def revoke_role(actor: User, commune: Commune, membership: Membership) -> None:
    require_role(actor, commune, Role.administrator)
    require_same_commune(membership.commune_id, commune)
    audit(commune, actor, "role.revoke", "user", membership.user_id, params={"role": membership.role.value})
    db.session.delete(membership)
    commit()


def members(actor: User, commune: Commune) -> list[Membership]:
    require_role(actor, commune, Role.administrator)
    return list(db.session.scalars(
        select(Membership).where(Membership.commune_id == commune.id).order_by(Membership.role, Membership.id)))


def save_commune(actor: User, *, slug: str, name: dict, description: dict, primary_color: str,
                 accent_color: str, default_language: str, languages: list[str], host: str | None = None,
                 logo: str | None = None, districts: list[str] | None = None,
                 commune: Commune | None = None) -> Commune:
    if commune is None:
        require_platform_admin(actor)
    else:
        require_role(actor, commune, Role.administrator)
    if slug in RESERVED_SLUGS:
        raise DomainError(_l("This address is reserved by the platform."), field="slug")
    clash = db.session.scalar(select(Commune.id).where(Commune.slug == slug))
    if clash and (commune is None or clash != commune.id):
        raise DomainError(_l("Another commune already uses this address."), field="slug")
    if default_language not in languages:
        raise DomainError(_l("The default language must be one of the available languages."),
                          field="default_language")
    if commune is None:
        commune = Commune()
        db.session.add(commune)
    commune.slug, commune.host, commune.logo = slug, (host or None), (logo or None)
    commune.name = {k: v.strip() for k, v in name.items() if v and v.strip()}
    commune.description = {k: clean_html(v) for k, v in description.items() if v and v.strip()}
    commune.primary_color, commune.accent_color = primary_color, accent_color
    commune.default_language, commune.languages = default_language, languages
    if districts is not None:
        wanted = [d.strip() for d in districts if d.strip()]
        for district in list(commune.districts):
            if district.name not in wanted:
                commune.districts.remove(district)
        have = {d.name for d in commune.districts}
        commune.districts.extend(District(name=n) for n in wanted if n not in have)
    db.session.flush()
    audit(commune, actor, "commune.save", "commune", commune.id)
    commit()
    return commune
