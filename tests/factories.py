"""Test factories: small functions that build valid objects with sensible defaults."""
from __future__ import annotations

import itertools
from datetime import timedelta

from participation.accounts.operations import create_user
from participation.extensions import db
from participation.models import Commune, District, Membership, Phase, PhaseKind, Process, Role, utcnow

__all__ = ["make_user", "make_commune", "make_process", "grant", "login", "PASSWORD"]
PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def make_user(nickname: str | None = None, *, email: str | None = None, confirmed: bool = True,
              platform_admin: bool = False, locale: str | None = None, commit: bool = True):
    n = next(_seq)
    user = create_user(email or f"user{n}@example.org", nickname or f"User {n}", PASSWORD, confirmed=confirmed,
                       platform_admin=platform_admin, locale=locale)
    if commit:
        db.session.commit()
    return user


def make_commune(slug: str | None = None, *, languages=("fr", "en", "de"), districts=("Centre", "Nord")):
    n = next(_seq)
    slug = slug or f"commune-{n}"
    commune = Commune(slug=slug, name={"fr": slug.capitalize()}, default_language=languages[0],
                      languages=list(languages), districts=[District(name=d) for d in districts])
    db.session.add(commune)
    db.session.commit()
    return commune


def grant(user, commune, role: Role | str):
    db.session.add(Membership(user_id=user.id, commune_id=commune.id, role=Role(role)))
    db.session.commit()
    return user


def make_process(commune, *, slug: str | None = None, active: PhaseKind | str | None = PhaseKind.proposals,
                 published: bool = True):
    """A process with the six standard phases; `active` is the phase whose window contains now."""
    slug = slug or f"process-{next(_seq)}"
    kinds = list(PhaseKind)
    now = utcnow()
    active_index = kinds.index(PhaseKind(active)) if active else len(kinds)  # None: all in the past
    process = Process(commune_id=commune.id, slug=slug, title={"fr": f"Processus {slug}", "en": f"Process {slug}"},
                      description={"fr": "<p>Description</p>"}, published=published)
    phases = []
    for i, kind in enumerate(kinds):
        offset = (i - active_index) * 10
        phases.append(Phase(kind=kind, position=i, starts_at=now + timedelta(days=offset - 1),
                            ends_at=now + timedelta(days=offset + 9)))
    process.phases = phases
    db.session.add(process)
    db.session.commit()
    return process


def login(client, user, password: str = PASSWORD):
    response = client.post("/account/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response
