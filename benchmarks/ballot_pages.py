"""What a voter's visit costs around the cast: the ballot pages, rendered by Flask. Prints figures (not a test).

    .venv/bin/python benchmarks/ballot_pages.py             # 300 requests of each kind

Creates a fresh PostgreSQL database with the same election as benchmarks/ballots.py (50 voters), then
sends each request of a visit (ballot page, adding a project, the confirmation page, the cast, the
receipt page) through the application's WSGI stack in this process, with Flask's test client, and
prints the Python CPU time and the wall time per request: the web worker's share, without gunicorn's
HTTP parsing and without PostgreSQL's own CPU (both measured by benchmarks/ballots.py for the cast).
"""
from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ballots  # noqa: E402 - the election and the database helpers of the submission benchmark


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432"))
    parser.add_argument("--requests", type=int, default=300, help="timed requests of each kind")
    args = parser.parse_args()
    name = f"participation_bench_pages_{os.getpid()}"
    db_url = f"{args.postgres.rstrip('/')}/{name}"
    with ballots.admin_conn(db_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ.update(SECRET_KEY=secrets.token_urlsafe(32), INSTANCE_PATH=tempfile.mkdtemp(prefix="pages-bench-"),
                      BALLOT_RATE_LIMIT="1000000 per minute")
    try:
        data = ballots.seed(db_url, 50)
        from participation import create_app

        app = create_app({"SQLALCHEMY_DATABASE_URI": db_url.replace("postgresql://", "postgresql+psycopg://", 1),
                          "WTF_CSRF_ENABLED": False})  # the token check is the same for every request
        client = app.test_client()
        client.set_cookie("session", data["cookies"][0])
        base = data["path"].removesuffix("api")
        p1, p2 = (pid for pid, _cost in data["projects"][:2])
        visit = {
            "ballot page (GET)": lambda: client.get(base),
            "adding a project (POST)": lambda: client.post(base, data={"project": [p1], "add": p2}),
            "confirmation page (POST)": lambda: client.post(base, data={"project": [p1, p2], "action": "review"}),
            "cast (POST, lean endpoint)": lambda: client.post(base + "cast", data={"project": [p1, p2]}),
            "receipt page (GET)": lambda: client.get(base + "receipt"),
        }
        print(f"{args.requests} requests of each kind, in-process (Flask test client), PostgreSQL")
        for label, send in visit.items():
            for _ in range(20):  # warm caches and connections
                status = send().status_code
                if status not in (200, 302):
                    raise RuntimeError(f"{label}: {status}")
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(args.requests):
                send()
            print(f"{label:28} {(time.process_time() - cpu) / args.requests * 1000:5.2f} ms CPU (Python)  "
                  f"{(time.perf_counter() - wall) / args.requests * 1000:5.2f} ms wall")
    finally:
        with ballots.admin_conn(db_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
