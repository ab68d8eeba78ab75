"""Event handlers for process-wide events, and the kinds they create.

The votes and budgets packages only publish; these handlers take plain ids and values:

    publish("results.published", dedupe_key=f"results.published:{process.id}", process_id=process.id)
    publish("ballot.paper_refused", dedupe_key=f"ballot.paper_refused:{ballot_key}", user_id=voter.id,
            budget=budget.title, channel="online", time=cast_at.isoformat(), commune_id=commune.id,
            ballot_key=ballot_key)
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..events import on
from ..extensions import db
from ..hooks import PHASE_NAMES
from ..models import Commune, Phase, Process
from ..urls import external_url
from .audiences import process_audience
from .operations import notify, register_kind, register_labels

register_kind("phase.opened",
              _l("The \u201c%(phase)s\u201d phase of \u201c%(process)s\u201d is open until %(ends_at)s."))
register_kind("phase.closing_soon", _l("The \u201c%(phase)s\u201d phase of \u201c%(process)s\u201d closes on "
                                       "%(ends_at)s: there is still time to take part."))
register_kind("results.published", _l("The results of \u201c%(process)s\u201d are published."))
register_kind("ballot.paper_refused", _l("A paper ballot in your name for \u201c%(budget)s\u201d was refused on "
                                         "%(time)s: you had already voted (%(channel)s)."))
register_kind("moderation.blocked", _l("The moderators of %(commune)s blocked your account: %(reason)s. You can "
                                      "still read, follow proposals and vote."))
register_kind("moderation.blocked_until", _l("The moderators of %(commune)s blocked your account until %(ends_at)s: "
                                            "%(reason)s. You can still read, follow proposals and vote."))
register_kind("moderation.unblocked", _l("The moderators of %(commune)s unblocked your account: you can take part "
                                         "again."))
register_labels("phase", {kind.value: label for kind, label in PHASE_NAMES.items()})
register_labels("channel", {"online": _l("online"), "paper": _l("on paper")})


def _process_url(process: Process) -> str:
    return external_url("communes.process", commune=process.commune.slug, slug=process.slug)


def _announce_phase(phase_id: int, kind: str) -> None:
    phase = db.session.get(Phase, phase_id)
    if phase is None or not phase.process.published:
        return
    process = phase.process
    notify(process_audience(process.commune_id, process.id), kind=kind, dedupe_key=f"{kind}:{phase_id}",
           url=_process_url(process), commune_id=process.commune_id,
           params={"phase": phase.name or phase.kind.value, "process": process.title,
                   "ends_at": phase.ends_at.isoformat()})


@on("phase.opened")
def announce_phase_opened(phase_id: int) -> None:
    _announce_phase(phase_id, "phase.opened")


@on("phase.closing_soon")
def announce_phase_closing_soon(phase_id: int) -> None:
    _announce_phase(phase_id, "phase.closing_soon")


@on("results.published")
def announce_results(process_id: int, user_ids: list[int] | None = None, url: str = "") -> None:
    """Everyone concerned: the given people, else the commune's residents and the process's followers."""
    process = db.session.get(Process, process_id)
    if process is None:
        return
    recipients = user_ids if user_ids is not None else process_audience(process.commune_id, process.id)
    notify(recipients, kind="results.published", dedupe_key=f"results.published:{process_id}",
           url=url or _process_url(process), commune_id=process.commune_id, params={"process": process.title})


@on("ballot.paper_refused")
def warn_paper_refused(user_id: int, budget: str | dict, channel: str, time: str, commune_id: int | None = None,
                       url: str = "", ballot_key: str | None = None) -> None:
    """The person already voted, so a paper ballot in their name was refused: they should know."""
    notify([user_id], kind="ballot.paper_refused",
           dedupe_key=f"ballot.paper_refused:{user_id}:{ballot_key or time}", url=url, commune_id=commune_id,
           params={"budget": budget, "channel": channel, "time": time})


@on("moderation.blocked")
def tell_blocked(user_id: int, commune_id: int, reason: str, until: str | None = None, entry_id: int = 0) -> None:
    """A blocked person learns it (why, until when) without having to try and fail."""
    commune = db.session.get(Commune, commune_id)
    if commune is None:
        return
    notify([user_id], kind="moderation.blocked_until" if until else "moderation.blocked",
           dedupe_key=f"moderation.blocked:{entry_id}", commune_id=commune_id,
           url=external_url("communes.home", commune=commune.slug),
           params={"commune": commune.name, "reason": reason, "ends_at": until})


@on("moderation.unblocked")
def tell_unblocked(user_id: int, commune_id: int, entry_id: int = 0) -> None:
    commune = db.session.get(Commune, commune_id)
    if commune is None:
        return
    notify([user_id], kind="moderation.unblocked", dedupe_key=f"moderation.unblocked:{entry_id}",
           commune_id=commune_id, url=external_url("communes.home", commune=commune.slug),
           params={"commune": commune.name})
