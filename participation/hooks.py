"""Extension points so domain packages add to shared pages without editing them."""
from __future__ import annotations

from typing import Callable

from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from .models import Phase, PhaseKind, Process, translate

PHASE_NAMES = {
    PhaseKind.information: _l("Information"),
    PhaseKind.proposals: _l("Proposals"),
    PhaseKind.instruction: _l("Instruction by city services"),
    PhaseKind.vote: _l("Voting"),
    PhaseKind.results: _l("Results"),
    PhaseKind.delivery: _l("Delivery of the projects"),
}

# Each callable renders a section of the process page (e.g. proposals, budgets, results).
_process_sections: list[Callable[[Process], Markup | str]] = []
# Each callable returns (label, url) pairs for the commune administration dashboard.
_admin_links: list[Callable[[object], list[tuple[str, str]]]] = []
# Each callable renders a part of a proposal's instruction page (e.g. budgets: "make it a project").
_instruction_panels: list[Callable[[object], Markup | str]] = []


def process_section(func):
    _process_sections.append(func)
    return func


def admin_link(func):
    _admin_links.append(func)
    return func


def instruction_panel(func):
    _instruction_panels.append(func)
    return func


def instruction_panels(proposal) -> list[Markup]:
    """Called by the view (pages load what they show before rendering)."""
    return [Markup(html) for html in (f(proposal) for f in _instruction_panels) if html]


def process_sections(process: Process) -> list[Markup]:
    return [Markup(f(process)) for f in _process_sections]


def admin_links(commune) -> list[tuple[str, str]]:
    return [link for f in _admin_links for link in f(commune)]


def phase_name(phase: Phase) -> str:
    from flask_babel import get_locale
    custom = translate(phase.name, str(get_locale()), phase.process.commune.default_language)
    return custom or str(PHASE_NAMES[phase.kind])
