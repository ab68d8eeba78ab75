"""Demo budgets and projects (idempotent): Mulhouse votes city-wide plus one district, Riedisheim with points."""
from __future__ import annotations

import secrets

from sqlalchemy import select

from participation.demo import seeder
from participation.extensions import db

from .models import Audience, Budget, BudgetScope, Project, Verification, VoteSettings, VotingRule

MULHOUSE_CITY = [
    ("Forêt urbaine au square de la Bourse", 85000, "Planter 60 arbres et créer un îlot de fraîcheur."),
    ("Pistes cyclables rue de Bâle", 120000, "Une piste protégée entre la gare et le centre."),
    ("Boîtes à livres dans chaque quartier", 15000, "Douze boîtes à livres construites par un chantier d'insertion."),
    ("Jardins partagés à Bourtzwiller", 40000, "Des parcelles, un composteur et un abri à outils."),
    ("Fontaines à eau potable", 30000, "Six fontaines sur les parcours de promenade."),
    ("Skatepark couvert", 160000, "Un équipement ouvert toute l'année pour les jeunes."),
    ("Éclairage solaire des passages", 55000, "Des lampadaires autonomes dans les passages piétons sombres."),
]
MULHOUSE_DISTRICTS = {
    "Centre": [("Bancs et ombrières place de la Réunion", 20000), ("Toilettes publiques accessibles", 35000),
               ("Fresque participative rue des Boulangers", 12000)],
    "Rebberg": [("Aire de jeux du parc Steinbach", 30000), ("Escaliers fleuris du Rebberg", 18000),
                ("Abri vélos sécurisé", 15000)],
}
RIEDISHEIM = [("Verger pédagogique", 25000), ("Rénovation du terrain de pétanque", 12000),
              ("Navette pour les aînés", 40000), ("Nichoirs et hôtels à insectes", 5000),
              ("Parcours sportif des Collines", 30000)]


def _settings(process, **values) -> None:
    if db.session.get(VoteSettings, process.id) is None:
        db.session.add(VoteSettings(process_id=process.id, salt=secrets.token_hex(16), **values))


def _budget(commune, process, name: dict, amount: int, rule: VotingRule, position: int, district=None,
            **rule_values) -> Budget:
    budget = Budget(commune_id=commune.id, process_id=process.id, name=name, amount=amount, currency="EUR",
                    rule=rule, position=position, district_id=district.id if district else None, **rule_values)
    db.session.add(budget)
    db.session.flush()
    return budget


def _projects(commune, budget: Budget, items, district=None) -> None:
    for item in items:
        title, cost = item[0], item[1]
        description = f"<p>{item[2]}</p>" if len(item) > 2 else ""
        db.session.add(Project(commune_id=commune.id, budget_id=budget.id, title=title, cost=cost,
                               description=description, district_id=district.id if district else None))


@seeder
def seed_budgets(commune, process, users) -> None:
    if db.session.scalar(select(Budget.id).where(Budget.process_id == process.id).limit(1)):
        return
    districts = {d.name: d for d in commune.districts}
    if commune.slug == "mulhouse":
        _settings(process, scope=BudgetScope.city_plus_chosen_district, audience=Audience.residents_and_users,
                  online_verification=Verification.declaration, ballot_final=False, show_running_counts=False)
        city = _budget(commune, process, {"fr": "Budget de la ville", "en": "City-wide budget",
                                          "de": "Stadtweites Budget"}, 300000, VotingRule.approval, 0)
        _projects(commune, city, MULHOUSE_CITY)
        for position, (name, items) in enumerate(MULHOUSE_DISTRICTS.items(), start=1):
            district = districts.get(name)
            budget = _budget(commune, process, {"fr": f"Quartier {name}", "en": f"{name} district",
                                                "de": f"Viertel {name}"}, 50000, VotingRule.k_approval, position,
                             district=district, min_projects=1, max_projects=2)
            _projects(commune, budget, items, district)
    else:
        _settings(process, scope=BudgetScope.all, audience=Audience.residents_and_users, min_age=16,
                  online_verification=Verification.declaration, ballot_final=True, show_running_counts=False)
        budget = _budget(commune, process, {"fr": "Budget participatif", "de": "Bürgerhaushalt"}, 80000,
                         VotingRule.cumulative, 0, total_points=10, max_points_per_project=4)
        _projects(commune, budget, RIEDISHEIM)
    db.session.flush()
