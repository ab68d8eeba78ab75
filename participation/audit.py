"""The audit log in words: "Marie (moderator) blocked Paul: spam", in the reader's language.

Entries keep codes (action, target type, params); each package says once how its actions read and how
its objects are named and linked:

    describe_action("moderation.block", lambda p: _("%(actor)s blocked %(target)s"), part="moderation",
                    label=_l("Blocking a person"))

    @describe_target("proposal", missing=_l("a deleted proposal"))
    def proposals(ids): ...      # {id: Target(label, url)}, one query for all the ids of a page

Who reads what: administrators (and platform administrators) the whole log of their commune;
moderators its moderation part; reviewers its instruction part.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_datetime, get_locale, gettext as _, lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from .extensions import db
from .models import AuditEntry, Commune, Role, User, translate
from .permissions import require_platform_admin, require_role

PER_PAGE = 50
MODERATION, INSTRUCTION, ADMINISTRATION, PLATFORM = "moderation", "instruction", "administration", "platform"
# Packages whose `audit_texts` module describes their actions and objects (loaded on first use).
_TEXT_MODULES = ("participation.audit_texts", "proposals.audit_texts", "budgets.audit_texts", "votes.audit_texts")
_loaded = False

ROLE_NAMES = {
    Role.resident.value: _l("resident"), Role.moderator.value: _l("moderator"),
    Role.reviewer.value: _l("reviewer"), Role.administrator.value: _l("administrator"),
    "platform_administrator": _l("platform administrator"),
}


@dataclass
class ActionText:
    message: Callable[[dict], str]  # params (already shown in words) -> sentence with %(actor)s, %(target)s
    part: str
    label: object  # short name for the filter list
    show_reason: bool = True  # False where `reason` holds a technical note, not a person's words


@dataclass
class Target:
    label: str
    url: str | None = None


ACTIONS: dict[str, ActionText] = {}
_TARGETS: dict[str, tuple[Callable[[list[int]], dict[int, Target]], object]] = {}
# param name -> {stored code -> translatable label}
_PARAM_LABELS: dict[str, dict[str, object]] = {"role": ROLE_NAMES}


def describe_action(action: str, message: Callable[[dict], str], *, part: str, label, show_reason: bool = True):
    ACTIONS[action] = ActionText(message, part, label, show_reason)


def describe_target(target_type: str, *, missing):
    """Register the resolver of a kind of object; `missing` names one that no longer exists."""
    def register(func: Callable[[list[int]], dict[int, Target]]):
        _TARGETS[target_type] = (func, missing)
        return func
    return register


def describe_params(name: str, labels: dict[str, object]) -> None:
    _PARAM_LABELS.setdefault(name, {}).update(labels)


def load_texts() -> None:
    global _loaded
    if not _loaded:
        for name in _TEXT_MODULES:
            importlib.import_module(name)
        _loaded = True


def role_code(actor: User | None, commune: Commune | None) -> str | None:
    """The highest role the actor holds where they act, kept with the entry."""
    if actor is None:
        return None
    if commune is not None:
        mine = actor.roles_in(commune)
        for role in (Role.administrator, Role.moderator, Role.reviewer, Role.resident):
            if role in mine:
                return role.value
    return "platform_administrator" if actor.is_platform_admin else None


def role_name(code) -> str:
    code = getattr(code, "value", code)
    return str(ROLE_NAMES.get(code, code or ""))


# ---------------------------------------------------------------- who reads what

def visible_parts(actor: User, commune: Commune | None) -> set[str] | None:
    """None: everything (administrators); else the parts the actor's roles cover."""
    if commune is None:
        require_platform_admin(actor)
        return None
    require_role(actor, commune, Role.moderator, Role.reviewer)
    if actor.has_role(commune, Role.administrator):
        return None
    mine = actor.roles_in(commune)
    return ({MODERATION} if Role.moderator in mine else set()) | ({INSTRUCTION} if Role.reviewer in mine else set())


def action_choices(parts: set[str] | None) -> list[tuple[str, str]]:
    load_texts()
    choices = [(code, str(text.label)) for code, text in ACTIONS.items()
               if parts is None or text.part in parts]
    return sorted(choices, key=lambda c: c[1].lower())


# ---------------------------------------------------------------- reading a page

@dataclass
class AuditFilters:
    action: str = ""
    person: str = ""  # a nickname: entries by this person or about them
    since: date | None = None
    until: date | None = None


@dataclass
class Line:
    entry: AuditEntry
    text: Markup
    reason: str


@dataclass
class AuditPage:
    lines: list[Line]
    page: int
    has_next: bool
    unknown_person: bool = False
    actions: list[tuple[str, str]] = field(default_factory=list)


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Paris"))


def _utc_start(day: date) -> datetime:
    """Midnight local time of `day`, as naive UTC (how the database stores times)."""
    return datetime.combine(day, time(), _tz()).astimezone(timezone.utc).replace(tzinfo=None)


def audit_page(actor: User, commune: Commune | None, filters: AuditFilters | None = None,
               page: int = 1, per_page: int = PER_PAGE) -> AuditPage:
    """One page of the log, newest first, in a bounded number of queries (entries and actors, the
    person filter, then one per kind of object shown)."""
    load_texts()
    parts = visible_parts(actor, commune)
    filters = filters or AuditFilters()
    page = max(1, page)
    query = select(AuditEntry).options(selectinload(AuditEntry.actor))
    query = query.where(AuditEntry.commune_id == commune.id) if commune is not None else \
        query.where(AuditEntry.commune_id.is_(None))
    if parts is not None:
        query = query.where(AuditEntry.action.in_([a for a, t in ACTIONS.items() if t.part in parts]))
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    unknown_person = False
    if filters.person.strip():
        person_id = db.session.scalar(select(User.id).where(
            func.lower(User.nickname) == filters.person.strip().lower()))
        unknown_person = person_id is None
        query = query.where(or_(AuditEntry.actor_id == person_id,
                                and_(AuditEntry.target_type == "user", AuditEntry.target_id == person_id)))
    if filters.since:
        query = query.where(AuditEntry.created_at >= _utc_start(filters.since))
    if filters.until:
        query = query.where(AuditEntry.created_at < _utc_start(filters.until + timedelta(days=1)))
    rows = [] if unknown_person else list(db.session.scalars(
        query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .offset((page - 1) * per_page).limit(per_page + 1)))
    entries = rows[:per_page]
    return AuditPage(lines=describe(entries), page=page, has_next=len(rows) > per_page,
                     unknown_person=unknown_person, actions=action_choices(parts))


def _targets(entries: list[AuditEntry]) -> dict[tuple[str, int], Target]:
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.target_id is not None:
            wanted.setdefault(entry.target_type, set()).add(entry.target_id)
    found = {}
    for target_type, ids in wanted.items():
        resolver = _TARGETS.get(target_type)
        if resolver is None:
            continue
        for ident, target in resolver[0](sorted(ids)).items():
            found[(target_type, ident)] = target
    return found


def _link(target: Target) -> Markup:
    if target.url:
        return Markup('<a href="{}">{}</a>').format(target.url, target.label)
    return escape(target.label)


def _param(name: str, value) -> str:
    if isinstance(value, dict):
        return translate(value, str(get_locale() or ""), None)
    if isinstance(value, str) and (name == "until" or name.endswith("_at")):
        try:
            return format_datetime(datetime.fromisoformat(value), "medium")
        except ValueError:
            return value
    labels = _PARAM_LABELS.get(name)
    if labels and isinstance(value, str) and value in labels:
        return str(labels[value])
    return "" if value is None else str(value)


def actor_words(entry: AuditEntry) -> Markup:
    if entry.actor is None:
        return escape(_("A deleted account") if entry.actor_id is None and entry.actor_role else _("The platform"))
    if entry.actor_role:
        return escape(_("%(name)s (%(role)s)", name=entry.actor.nickname, role=role_name(entry.actor_role)))
    return escape(entry.actor.nickname)


def describe(entries: list[AuditEntry]) -> list[Line]:
    load_texts()
    targets = _targets(entries)
    lines = []
    for entry in entries:
        text = ACTIONS.get(entry.action)
        target = targets.get((entry.target_type, entry.target_id))
        if target is None:
            missing = _TARGETS.get(entry.target_type, (None, _l("something")))[1]
            target = Target(str(missing))
        params = {k: escape(_param(k, v)) for k, v in (entry.params or {}).items()}
        params.update(actor=actor_words(entry), target=_link(target))
        try:
            template = text.message(entry.params or {}) if text else _("%(actor)s made a change to %(target)s")
            sentence = Markup(escape(template)) % params
        except (KeyError, TypeError, ValueError):  # an entry written before its params existed
            sentence = Markup(escape(_("%(actor)s made a change to %(target)s"))) % params
        reason = entry.reason if (text is None or text.show_reason) else ""
        lines.append(Line(entry, sentence, reason or ""))
    return lines
