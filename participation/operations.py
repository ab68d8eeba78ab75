"""State changes for communes, processes and phases: permission checks, one transaction each."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from . import images
from .errors import DomainError, NotFound, PermissionDenied
from .extensions import db
from .html import clean_html
from .jobs import commit
from .models import AuditEntry, Commune, District, Membership, Phase, PhaseKind, Process, Role, User
from .permissions import require_platform_admin, require_role, require_same_commune
from .places.geo import valid_point


# First URL segments used by platform pages: a commune cannot take them.
RESERVED_SLUGS = frozenset({"account", "static", "healthz", "lang", "communes", "notifications", "admin", "api", "places"})


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


PROCESS_IMAGE_SIDE, LOGO_SIDE = 1600, 512  # pixels of the longer side kept


def save_process(actor: User, commune: Commune, *, slug: str, title: dict, description: dict,
                 image: bytes | None = None, remove_image: bool = False, published: bool = True,
                 process: Process | None = None) -> Process:
    """`image`: the bytes of a new upload (validated and re-encoded), None to keep the current one."""
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
    process.published = published
    with images.replacing(process, "image", image, remove_current=remove_image, commune_id=commune.id,
                          kind="processes", field="image", max_side=PROCESS_IMAGE_SIDE):
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


def revoke_role(actor: User, commune: Commune, membership: Membership) -> None:
    require_role(actor, commune, Role.administrator)
    require_same_commune(membership.commune_id, commune)
    audit(commune, actor, "role.revoke", "user", membership.user_id, params={"role": membership.role.value})
    db.session.delete(membership)
    commit()


def members(actor: User, commune: Commune) -> list[Membership]:
    require_role(actor, commune, Role.administrator)
    return list(db.session.scalars(
        select(Membership).where(Membership.commune_id == commune.id).options(joinedload(Membership.user))
        .order_by(Membership.role, Membership.id)))


KEEP = object()  # save_commune(host=KEEP): the host name stays as it is (commune administrators' saves)


def _free_host(value: str | None, commune: Commune | None) -> str | None:
    """The host name in its stored form, if no one else answers on it: not the platform's own names (a
    commune there would take over the front page), not another commune's."""
    from .hosts import normalise_host, platform_hosts

    try:
        host = normalise_host(value)
    except ValueError:
        raise DomainError(_l("Enter a host name such as participer.ville.fr (no path)."), field="host")
    if host is None:
        return None
    if host in platform_hosts():
        raise DomainError(_l("This is the platform's own address: a commune needs a host name of its own."),
                          field="host")
    clash = db.session.scalar(select(Commune.id).where(Commune.host == host))
    if clash and (commune is None or clash != commune.id):
        raise DomainError(_l("Another commune already uses this host name."), field="host")
    return host


def _district_names(lines: list[str] | None, commune: Commune | None) -> list[str] | None:
    """The districts typed one per line, checked against what the database holds: each name once
    (whatever its case: "Centre" and "centre" would be two districts people cannot tell apart), at most
    120 characters, and no district removed while a budget is tied to it."""
    if lines is None:
        return None
    wanted, seen = [], set()
    for line in lines:
        name = " ".join(line.split())
        if not name:
            continue
        if len(name) > District.name.type.length:
            raise DomainError(_l("The district name “%(name)s…” is too long (%(max)s characters at most).",
                                 name=name[:30], max=District.name.type.length), field="districts")
        if name.casefold() in seen:
            raise DomainError(_l("The district “%(name)s” is listed twice.", name=name), field="districts")
        seen.add(name.casefold())
        wanted.append(name)
    if commune is not None:
        from budgets.models import Budget  # its district_id is ON DELETE RESTRICT (local import: budgets build on us)
        removed = {d.id: d.name for d in commune.districts if d.name not in wanted}
        used = db.session.scalar(select(Budget.district_id).where(Budget.district_id.in_(removed)).limit(1))
        if used is not None:
            raise DomainError(_l("The district “%(name)s” has its own budget: it cannot be removed while that "
                                 "budget exists (change or delete the budget first).", name=removed[used]),
                              field="districts")
    return wanted


def save_commune(actor: User, *, slug: str, name: dict, description: dict, primary_color: str,
                 accent_color: str, default_language: str, languages: list[str], host=KEEP,
                 logo: bytes | None = None, remove_logo: bool = False, districts: list[str] | None = None,
                 map_centre: tuple[float | None, float | None] | None = None,
                 commune: Commune | None = None) -> Commune:
    """Communes are created by platform administrators; their administrators edit them, except the host
    name, which only platform administrators set (it decides what the platform serves where)."""
    if commune is None:
        require_platform_admin(actor)
    else:
        require_role(actor, commune, Role.administrator)
    if host is not KEEP:
        if not actor.is_platform_admin:
            raise PermissionDenied(_l("Only platform administrators can set a commune's host name."))
        host = _free_host(host, commune)
    if slug in RESERVED_SLUGS:
        raise DomainError(_l("This address is reserved by the platform."), field="slug")
    clash = db.session.scalar(select(Commune.id).where(Commune.slug == slug))
    if clash and (commune is None or clash != commune.id):
        raise DomainError(_l("Another commune already uses this address."), field="slug")
    if default_language not in languages:
        raise DomainError(_l("The default language must be one of the available languages."),
                          field="default_language")
    lat, lon = map_centre or (None, None)
    if (lat is None) != (lon is None) or (lat is not None and not valid_point(lat, lon)):
        raise DomainError(_l("Give both latitude and longitude, or neither."), field="map_latitude")
    wanted = _district_names(districts, commune)
    if commune is None:
        commune = Commune()
        db.session.add(commune)
    if map_centre is not None:  # None: unchanged
        commune.map_latitude, commune.map_longitude = lat, lon
    commune.slug = slug
    if host is not KEEP:
        commune.host = host
    commune.name = {k: v.strip() for k, v in name.items() if v and v.strip()}
    commune.description = {k: clean_html(v) for k, v in description.items() if v and v.strip()}
    commune.primary_color, commune.accent_color = primary_color, accent_color
    commune.default_language, commune.languages = default_language, languages
    if wanted is not None:
        for district in list(commune.districts):
            if district.name not in wanted:
                commune.districts.remove(district)
        have = {d.name for d in commune.districts}
        commune.districts.extend(District(name=n) for n in wanted if n not in have)
    db.session.flush()  # a new commune needs its id for its logo
    with images.replacing(commune, "logo", logo, remove_current=remove_logo, commune_id=commune.id,
                          kind="logos", field="logo", max_side=LOGO_SIDE):
        db.session.flush()
        audit(commune, actor, "commune.save", "commune", commune.id)
        commit()
    return commune
