"""Idempotent demo data: two communes with districts, a process each, one account per role."""
from __future__ import annotations

from datetime import timedelta
from typing import Callable

from sqlalchemy import select

from .accounts.operations import create_user, find_by_email
from .extensions import db
from .models import Commune, District, Membership, Phase, PhaseKind, Process, Role, utcnow

DEMO_PASSWORD = "demo-participation"  # demo data only; `participation demo` says so
COMMUNES = [
    {"slug": "mulhouse", "name": {"fr": "Mulhouse", "de": "Mülhausen"}, "primary_color": "#1d4f91",
     "accent_color": "#a3195b", "languages": ["fr", "en", "de"],
     "districts": ["Centre", "Rebberg", "Dornach", "Bourtzwiller", "Drouot-Barbanègre", "Coteaux"],
     "description": {"fr": "<p>Budget participatif de Mulhouse : 300 000 EUR pour les idées des habitants et usagers.</p>",
                     "en": "<p>Mulhouse participatory budget: EUR 300,000 for the ideas of residents and users.</p>",
                     "de": "<p>Bürgerhaushalt Mülhausen: 300 000 EUR für die Ideen der Einwohner und Nutzer.</p>"}},
    {"slug": "riedisheim", "name": {"fr": "Riedisheim"}, "primary_color": "#2b5d34", "accent_color": "#8a3b12",
     "languages": ["fr", "de"], "districts": ["Centre", "Collines", "Zuber"],
     "description": {"fr": "<p>Les projets des habitants de Riedisheim.</p>"}},
]
# Packages add their own demo content (proposals, budgets, ...) through this list.
SEEDERS: list[Callable[[Commune, Process, dict[str, object]], None]] = []


def seeder(func):
    SEEDERS.append(func)
    return func


def _commune(spec: dict) -> Commune:
    commune = db.session.scalar(select(Commune).where(Commune.slug == spec["slug"]))
    if commune is None:
        commune = Commune(slug=spec["slug"], name=spec["name"], description=spec["description"],
                          primary_color=spec["primary_color"], accent_color=spec["accent_color"],
                          default_language="fr", languages=spec["languages"])
        commune.districts = [District(name=n) for n in spec["districts"]]
        db.session.add(commune)
        db.session.flush()
    return commune


def _process(commune: Commune) -> Process:
    slug = "budget-participatif-2026"
    process = db.session.scalar(select(Process).where(Process.commune_id == commune.id, Process.slug == slug))
    if process is not None:
        return process
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    name = commune.name.get("fr", commune.slug)
    process = Process(commune_id=commune.id, slug=slug, title={
        "fr": f"Budget participatif {name} 2026", "en": f"{name} participatory budget 2026",
        "de": f"Bürgerhaushalt {name} 2026"}, description={
        "fr": "<p>Proposez vos idées, puis votez pour les projets qui transformeront votre commune.</p>",
        "en": "<p>Propose your ideas, then vote for the projects that will change your commune.</p>",
        "de": "<p>Reichen Sie Ihre Ideen ein und stimmen Sie dann über die Projekte ab.</p>"})
    # The vote is open now so the demo shows the ballot; earlier phases lie in the past.
    windows = [(PhaseKind.information, -90, -75), (PhaseKind.proposals, -75, -45), (PhaseKind.instruction, -45, -7),
               (PhaseKind.vote, -7, 14), (PhaseKind.results, 14, 30), (PhaseKind.delivery, 30, 400)]
    process.phases = [Phase(kind=kind, position=i, starts_at=now + timedelta(days=a), ends_at=now + timedelta(days=b))
                      for i, (kind, a, b) in enumerate(windows)]
    db.session.add(process)
    db.session.flush()
    return process


def _user(email: str, nickname: str, *, platform_admin: bool = False, locale: str = "fr"):
    user = find_by_email(email)
    if user is None:
        user = create_user(email, nickname, DEMO_PASSWORD, platform_admin=platform_admin, locale=locale)
    return user


def _grant(user, commune: Commune, role: Role) -> None:
    if not db.session.scalar(select(Membership.id).where(
            Membership.user_id == user.id, Membership.commune_id == commune.id, Membership.role == role)):
        db.session.add(Membership(user_id=user.id, commune_id=commune.id, role=role))


def seed() -> list[tuple[str, str, str]]:
    accounts = [("admin@demo.localhost", DEMO_PASSWORD, "platform administrator")]
    _user("admin@demo.localhost", "Plateforme", platform_admin=True)
    for spec in COMMUNES:
        commune = _commune(spec)
        process = _process(commune)
        users: dict[str, object] = {}
        for role in Role:
            email = f"{role.value}@{commune.slug}.demo.localhost"
            users[role.value] = user = _user(email, f"{role.value.capitalize()} {spec['name']['fr']}")
            _grant(user, commune, role)
            accounts.append((email, DEMO_PASSWORD, f"{role.value} of {spec['name']['fr']}"))
        for i in range(1, 4):
            email = f"habitant{i}@{commune.slug}.demo.localhost"
            users[f"resident{i}"] = user = _user(email, f"Habitant {i} {spec['name']['fr']}")
            _grant(user, commune, Role.resident)
        db.session.flush()
        for seed_more in SEEDERS:
            seed_more(commune, process, users)
    db.session.commit()
    accounts.append(("habitant1@mulhouse.demo.localhost", DEMO_PASSWORD, "another resident (also habitant2, 3)"))
    return accounts
