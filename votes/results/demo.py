"""Demo "past edition" (idempotent): a Mulhouse process whose vote is over, replaying a real election
from a Pabulib file (Wieliczka Green Budget 2023, MES + add1), with its result computed and published.
Skipped when the sample file is not in the checkout, and under TESTING unless DEMO_PAST_EDITION is set
(it takes about two seconds, and other packages' tests count the demo budgets)."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from participation.demo import seeder
from participation.extensions import db
from participation.models import Phase, PhaseKind, Process, utcnow

SAMPLE = Path(__file__).resolve().parents[2] / "tests" / "votes" / "data" / "poland_wieliczka_2023_green-budget.pb"
SLUG = "edition-passee-2023"


@seeder
def past_edition(commune, process, users) -> None:
    wanted = current_app.config.get("DEMO_PAST_EDITION", not current_app.testing)
    if commune.slug != "mulhouse" or not SAMPLE.exists() or not wanted:
        return
    if db.session.scalar(select(Process.id).where(Process.commune_id == commune.id, Process.slug == SLUG)):
        return
    from .operations import compute_result
    from .interop import import_pabulib

    now = utcnow().replace(minute=0, second=0, microsecond=0)
    past = Process(commune_id=commune.id, slug=SLUG, title={
        "fr": "Édition passée rejouée : Wieliczka 2023 (Pabulib)", "en": "A past edition replayed: Wieliczka 2023 "
        "(Pabulib)", "de": "Eine vergangene Ausgabe: Wieliczka 2023 (Pabulib)"}, description={
        "fr": "<p>Les vrais bulletins du budget vert de Wieliczka (Pologne, 2023), importés depuis un fichier "
              "Pabulib et dépouillés par la méthode des parts égales : chacun peut vérifier le résultat.</p>",
        "en": "<p>The real ballots of the Wieliczka Green Budget (Poland, 2023), imported from a Pabulib file and "
              "tallied with the Method of Equal Shares: anyone can check the result.</p>"})
    windows = [(PhaseKind.proposals, -400, -330), (PhaseKind.vote, -330, -310), (PhaseKind.results, -310, 30)]
    past.phases = [Phase(kind=kind, position=i, starts_at=now + timedelta(days=a), ends_at=now + timedelta(days=b))
                   for i, (kind, a, b) in enumerate(windows)]
    db.session.add(past)
    db.session.flush()
    admin = users["administrator"]
    budget = import_pabulib(admin, commune, past, SAMPLE.read_bytes(), name="Zielony Milion (Wieliczka 2023)",
                            filename=SAMPLE.name)
    # Published as publish_result would, without announcing it: a replayed edition is no news to residents.
    result = compute_result(budget.id)
    result.is_published, result.published_at, result.published_by_id = True, utcnow(), admin.id
    db.session.flush()
