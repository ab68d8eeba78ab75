"""Demo content: themes, a few proposals with places, supports, a comment thread and a petition."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from participation.demo import seeder
from participation.extensions import db
from participation.models import utcnow

from .models import Comment, Follow, Proposal, ProposalAuthor, ProposalKind, ProposalStatus, Support
from .operations import ensure_default_themes

# (title, body, theme key, district index, address, lat, lon offsets from the centre, status, cost)
IDEAS = [
    ("Des arbres fruitiers dans le square", "<p>Planter une dizaine d'arbres fruitiers et un verger partagé, "
     "entretenu avec l'école voisine.</p>", "environment", 0, "Square Steinbach", 0.002, -0.003,
     ProposalStatus.accepted, 25000),
    ("Une piste cyclable protégée vers la gare", "<p>Séparer la piste des voitures sur tout le trajet, avec des "
     "arceaux à l'arrivée.</p>", "mobility", 1, "Avenue du Général Leclerc", -0.004, 0.002,
     ProposalStatus.evaluating, None),
    ("Une boîte à livres au marché", "<p>Une boîte à livres couverte près des halles, ouverte à tous.</p>",
     "culture", 0, "Place du marché", 0.001, 0.004, ProposalStatus.published, None),
    ("Des bancs à l'ombre le long du canal", "<p>Installer des bancs sous les arbres pour les promeneurs et les "
     "personnes âgées.</p>", "living-environment", 2, "Quai du canal", -0.002, -0.006,
     ProposalStatus.rejected, None),
]
CENTRES = {"mulhouse": (47.7508, 7.3359), "riedisheim": (47.7486, 7.3682)}


@seeder
def seed_proposals(commune, process, users) -> None:
    themes = {t.key: t for t in ensure_default_themes(commune)}
    if db.session.scalar(select(Proposal.id).where(Proposal.process_id == process.id)):
        return  # already seeded
    lat0, lon0 = CENTRES.get(commune.slug, (47.75, 7.34))
    districts = commune.districts
    residents = [users[k] for k in ("resident", "resident1", "resident2", "resident3")]
    start = utcnow() - timedelta(days=70)
    created = []
    for i, (title, body, theme, district, address, dlat, dlon, status, cost) in enumerate(IDEAS):
        author = residents[i % len(residents)]
        p = Proposal(commune_id=commune.id, process_id=process.id, title=title, body=body,
                     theme_id=themes[theme].id, district_id=districts[district % len(districts)].id,
                     address=address, latitude=round(lat0 + dlat, 5), longitude=round(lon0 + dlon, 5),
                     status=status, estimated_cost=cost, created_by_id=author.id,
                     created_at=start + timedelta(days=i), support_count=0, comment_count=0)
        if status == ProposalStatus.accepted:
            p.feasibility = "<p>Faisable sur le terrain communal ; entretien par les espaces verts.</p>"
            p.answer = "<p>Proposition retenue pour le vote.</p>"
            p.answered_at = start + timedelta(days=40)
        if status == ProposalStatus.rejected:
            p.answer = "<p>Le quai appartient à Voies navigables de France : la commune ne peut pas y installer " \
                       "de mobilier.</p>"
            p.answered_at = start + timedelta(days=40)
        p.author_links = [ProposalAuthor(user_id=author.id, position=0)]
        db.session.add(p)
        created.append(p)
    petition = Proposal(commune_id=commune.id, process_id=process.id, kind=ProposalKind.petition,
                        title="Pour une cantine 100 % bio", body="<p>Nous demandons des repas bio et locaux dans "
                        "toutes les cantines scolaires de la commune.</p>", theme_id=themes["social"].id,
                        created_by_id=residents[1].id, created_at=start + timedelta(days=5), support_count=0,
                        comment_count=0, signature_threshold=3, signature_deadline=start + timedelta(days=95))
    petition.author_links = [ProposalAuthor(user_id=residents[1].id, position=0)]
    db.session.add(petition)
    created.append(petition)
    db.session.flush()
    for p in created:
        supporters = residents[: 1 + p.id % len(residents)] if p is not petition else residents[:3]
        for user in supporters:
            db.session.add(Support(proposal_id=p.id, user_id=user.id, created_at=p.created_at + timedelta(days=1)))
        p.support_count = len(supporters)
        db.session.add(Follow(proposal_id=p.id, user_id=p.created_by_id))
    petition.threshold_reached_at = start + timedelta(days=8)
    petition.answer_due_at = petition.threshold_reached_at + timedelta(days=60)
    first = created[0]
    top = Comment(proposal_id=first.id, author_id=residents[1].id, depth=1,
                  body="<p>Très bonne idée, les enfants pourraient participer à la cueillette.</p>",
                  created_at=first.created_at + timedelta(days=2))
    db.session.add(top)
    db.session.flush()
    reply = Comment(proposal_id=first.id, parent_id=top.id, author_id=residents[0].id, depth=2,
                    body="<p>Oui, l'école Jean-Jaurès est d'accord pour s'en occuper.</p>",
                    created_at=first.created_at + timedelta(days=3))
    db.session.add(reply)
    db.session.flush()
    db.session.add(Comment(proposal_id=first.id, parent_id=reply.id, author_id=residents[2].id, depth=3,
                           body="<p>Pensez aux variétés anciennes d'Alsace !</p>",
                           created_at=first.created_at + timedelta(days=4)))
    first.comment_count = 3
    db.session.flush()
