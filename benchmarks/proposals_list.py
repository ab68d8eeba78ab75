"""Proposal list page with 5 000 proposals and 50 000 supports: time per request (p50, p95).

    .venv/bin/python benchmarks/proposals_list.py            # a throw-away SQLite database
    DATABASE_URL=postgresql://... .venv/bin/python benchmarks/proposals_list.py   # an EMPTY PostgreSQL database

The whole request is timed through the WSGI app (routing, queries, template), as a signed-in visitor,
for each order (newest, most supported, random) and with a text search and a theme filter.
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("INSTANCE_PATH", tempfile.mkdtemp(prefix="bench-proposals-"))
os.environ.setdefault("SECRET_KEY", "benchmark-only")

PROPOSALS, SUPPORTS, USERS, ROUNDS = 5000, 50_000, 1000, 60


def build(db):
    from sqlalchemy import insert
    from werkzeug.security import generate_password_hash

    from participation.models import Commune, District, Phase, PhaseKind, Process, User, utcnow
    from proposals.models import Proposal, ProposalAuthor, Support
    from proposals.operations import ensure_default_themes

    now = utcnow()
    commune = Commune(slug="bench", name={"fr": "Bench"}, languages=["fr"],
                      districts=[District(name=f"Quartier {i}") for i in range(8)])
    process = Process(commune=commune, slug="bp", title={"fr": "Budget"}, phases=[
        Phase(kind=PhaseKind.proposals, position=0, starts_at=now.replace(year=now.year - 1),
              ends_at=now.replace(year=now.year + 1))])
    db.session.add_all([commune, process])
    db.session.flush()
    themes = ensure_default_themes(commune)
    hashed = generate_password_hash("benchmark password")
    db.session.execute(insert(User), [
        {"email": f"u{i}@bench.example", "nickname": f"Habitant {i}", "password_hash": hashed, "confirmed_at": now,
         "locale": "fr"} for i in range(USERS)])
    rng = random.Random(7)
    words = ("arbre", "piste", "banc", "fontaine", "jardin", "école", "parc", "vélo", "lumière", "marché")
    db.session.execute(insert(Proposal), [
        {"commune_id": commune.id, "process_id": process.id,
         "title": f"Idée {i} : {rng.choice(words)} {rng.choice(words)}",
         "body": f"<p>Proposition numéro {i} avec un {rng.choice(words)}.</p>", "theme_id": themes[i % 6].id,
         "district_id": commune.districts[i % 8].id, "address": f"{i} rue des Fleurs", "status": "published",
         "kind": "idea", "support_count": 0, "comment_count": 0, "hidden": False, "report_count": 0,
         "created_at": now} for i in range(PROPOSALS)])
    db.session.flush()
    from sqlalchemy import select
    proposal_ids = db.session.scalars(select(Proposal.id)).all()
    user_ids = db.session.scalars(select(User.id)).all()
    db.session.execute(insert(ProposalAuthor), [
        {"proposal_id": pid, "user_id": user_ids[n % USERS], "position": 0} for n, pid in enumerate(proposal_ids)])
    pairs = set()
    while len(pairs) < SUPPORTS:
        pairs.add((rng.choice(proposal_ids), rng.choice(user_ids)))
    db.session.execute(insert(Support), [{"proposal_id": p, "user_id": u, "created_at": now} for p, u in pairs])
    counts: dict[int, int] = {}
    for p, _ in pairs:
        counts[p] = counts.get(p, 0) + 1
    from sqlalchemy import update
    db.session.execute(update(Proposal), [{"id": p, "support_count": n} for p, n in counts.items()])
    db.session.commit()
    return commune, process, themes[2].id, user_ids[0]


def main() -> None:
    from participation import create_app
    from participation.accounts.sessions import open_sessions
    from participation.extensions import db

    overrides = {"RATELIMIT_ENABLED": False}
    if not os.environ.get("DATABASE_URL"):
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{os.environ['INSTANCE_PATH']}/bench.sqlite"
    app = create_app(overrides)
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        commune, process, theme_id, user_id = build(db)
        print(f"database: {db.engine.dialect.name}; built {PROPOSALS} proposals, {SUPPORTS} supports "
              f"in {time.perf_counter() - started:.1f} s")
        base = f"/{commune.slug}/processes/{process.slug}/proposals/"
        cookie_id = open_sessions([user_id])[0]
    client = app.test_client()
    with client.session_transaction() as session:  # a signed-in visitor: the page also looks up their supports
        session["_user_id"] = cookie_id
        session["_fresh"] = True
    cases = {"newest": "", "most supported": "?sort=supported", "random": "?sort=random",
             "page 100": "?page=100", "search": "?q=fontaine", "theme filter": f"?theme={theme_id}"}
    # Wall-clock is the figure; CPU time of this process is printed too because it barely moves when
    # other jobs share the machine (the database's own CPU is not in it on PostgreSQL).
    print(f"{'case':<16}{'p50 ms':>9}{'p95 ms':>9}{'cpu p50':>9}")
    results = {}
    for name, query in cases.items():
        for _ in range(5):  # warm-up
            assert client.get(base + query).status_code == 200
        times, cpu = [], []
        for _ in range(ROUNDS):
            t0, c0 = time.perf_counter(), time.process_time()
            response = client.get(base + query)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            assert response.status_code == 200
        times.sort()
        results[name] = statistics.median(times)
        print(f"{name:<16}{statistics.median(times):>9.1f}{times[int(len(times) * 0.95) - 1]:>9.1f}"
              f"{statistics.median(cpu):>9.1f}")
    worst = max(results.values())
    print(f"worst p50: {worst:.1f} ms (target: under 30 ms); load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    if not os.environ.get("DATABASE_URL"):
        return
    with app.app_context():  # leave the PostgreSQL database as we found it
        db.drop_all()


if __name__ == "__main__":
    main()
