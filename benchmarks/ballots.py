"""Ballot submission benchmark: gunicorn (2 workers) + PostgreSQL, loopback only. Prints figures (not a test).

    .venv/bin/python benchmarks/ballots.py                       # 60 s, 2 000 voters, gthread x 6 threads
    .venv/bin/python benchmarks/ballots.py --duration 20 --threads 4 --concurrency 8
    .venv/bin/python benchmarks/ballots.py --api                 # the JSON API instead of the page's form

What it does:
1. creates a fresh PostgreSQL database (dropped at the end unless --keep), its tables, one commune, a
   process in its vote phase, one approval budget of 100 000 EUR with 8 projects, and N voters;
2. gives each voter a signed session cookie, exactly what logging in would set (password hashing
   is deliberately not part of the measure), then one GET of the ballot's JSON API per voter returns
   the CSRF token (a field of the ballot page's form, or the X-CSRFToken header for the API);
3. starts `gunicorn -w 2 -k gthread --threads T wsgi:app` on 127.0.0.1 (ballots can change: each
   submission supersedes the voter's previous ballot, the heavier path), with the per-account rate
   limit raised (all clients are 127.0.0.1; the cast still checks it on every ballot), and jobs inline (no Redis);
4. fires POST /<commune>/processes/<p>/vote/<budget>/cast, the confirmation page's form (what every
   browser sends, with or without JavaScript; answered by a redirect to the receipt page), or with --api
   POST …/<budget>/api (JSON), from one asyncio client process (--clients)
   over --concurrency keep-alive connections for --duration seconds, each request a random valid
   ballot of the next voter in turn;
5. prints accepted ballots per second, p50/p95/p99/max latency, the status codes, accepted vs stored
   counts read back from the database (every accepted ballot stored, one current ballot per voter,
   every replaced ballot linked to its successor), and the CPU time per ballot of the gunicorn
   workers, the PostgreSQL backends and the load generator (where the time goes);
6. calls the same cast_ballot() function from pgbench for --pgbench seconds (when pgbench is on the
   PATH): what PostgreSQL alone does on this machine, without Python or HTTP.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def admin_conn(url: str):
    import psycopg
    parts = urlsplit(url)
    return psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True)


def seed(db_url: str, voters: int) -> dict:
    """Tables and data through the application's own models; returns ids and session cookies."""
    os.environ["DATABASE_URL"] = db_url
    from budgets.models import Audience, Budget, BudgetScope, Project, Verification, VoteSettings, VotingRule
    from budgets.operations_eligibility import account_key
    from participation import create_app
    from participation.accounts.sessions import open_sessions
    from participation.extensions import db
    from participation.models import Commune, Phase, PhaseKind, Process, User, utcnow
    from votes.models import Voter
    from datetime import timedelta

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url.replace("postgresql://", "postgresql+psycopg://", 1)})
    with app.app_context():
        db.create_all()
        commune = Commune(slug="bench", name={"fr": "Bench"}, default_language="fr", languages=["fr"])
        db.session.add(commune)
        db.session.flush()
        now = utcnow()
        process = Process(commune_id=commune.id, slug="bp", title={"fr": "BP"}, description={})
        process.phases = [Phase(kind=PhaseKind.vote, position=0, starts_at=now - timedelta(days=1),
                                ends_at=now + timedelta(days=1))]
        db.session.add(process)
        db.session.flush()
        settings = VoteSettings(process_id=process.id, salt=secrets.token_hex(16), scope=BudgetScope.all,
                                audience=Audience.residents_and_users, online_verification=Verification.declaration,
                                ballot_final=False, show_running_counts=False)
        budget = Budget(commune_id=commune.id, process_id=process.id, name={"fr": "Ville"}, amount=100_000,
                        currency="EUR", rule=VotingRule.approval)
        db.session.add_all([settings, budget])
        db.session.flush()
        costs = [10_000, 15_000, 20_000, 25_000, 30_000, 35_000, 40_000, 45_000]
        projects = [Project(commune_id=commune.id, budget_id=budget.id, title=f"P{i}", cost=c)
                    for i, c in enumerate(costs)]
        db.session.add_all(projects)
        db.session.flush()
        db.session.execute(User.__table__.insert(), [
            {"email": f"v{i}@bench.invalid", "nickname": f"v{i}", "password_hash": "!", "locale": "fr",
             "confirmed_at": now, "is_platform_admin": False, "email_preference": "never", "created_at": now}
            for i in range(voters)])
        ids = list(db.session.scalars(db.select(User.id).order_by(User.id)))
        db.session.execute(Voter.__table__.insert(), [
            {"process_id": process.id, "voter_key": account_key(settings, uid), "user_id": uid,
             "verification": "declaration", "created_at": now} for uid in ids])
        db.session.commit()
        serializer = app.session_interface.get_signing_serializer(app)
        cookies = [serializer.dumps({"_user_id": cookie_id, "_fresh": True}) for cookie_id in open_sessions(ids)]
        return {"path": f"/bench/processes/bp/vote/{budget.id}/api", "budget_id": budget.id,
                "projects": [(p.id, p.cost) for p in projects], "cookies": cookies}


def random_ballot(rng: random.Random, projects: list[tuple[int, int]], amount: int = 100_000) -> list[int]:
    chosen, total = [], 0
    for pid, cost in rng.sample(projects, len(projects)):
        if total + cost <= amount and rng.random() < 0.6:
            chosen.append(pid)
            total += cost
    return chosen or [projects[0][0]]


class Connection:
    """One persistent HTTP/1.1 connection (keep-alive, as a browser would use), reopened when the server closes it."""

    def __init__(self, port: int):
        self.port, self.reader, self.writer = port, None, None

    async def request(self, method: str, path: str, headers: dict, body: bytes = b"") -> tuple[int, dict, bytes]:
        for attempt in (0, 1):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
            head += [f"{k}: {v}" for k, v in headers.items()]
            try:
                self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
                raw_head = await self.reader.readuntil(b"\r\n\r\n")
            except (OSError, asyncio.IncompleteReadError):
                self.close()
                if attempt:
                    raise
                continue  # the server closed an idle keep-alive connection: the request was not read
            response_headers: dict[str, list[str]] = {}
            for line in raw_head[:-4].split(b"\r\n")[1:]:
                key, _c, value = line.decode("latin-1").partition(":")
                response_headers.setdefault(key.strip().lower(), []).append(value.strip())
            payload = await self.reader.readexactly(int(response_headers.get("content-length", ["0"])[0]))
            if "close" in response_headers.get("connection", [""])[0].lower():
                self.close()
            return int(raw_head[9:12]), response_headers, payload
        raise OSError("unreachable")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _prepare(port: int, path: str, cookies: list[str], concurrency: int) -> list[tuple[str, str]]:
    """One GET per voter: the CSRF token, and the session cookie that now carries its secret half."""
    out: list[tuple[str, str] | None] = [None] * len(cookies)
    todo = iter(range(len(cookies)))

    async def worker():
        connection = Connection(port)
        for i in todo:
            status, headers, payload = await connection.request("GET", path, {"Cookie": f"session={cookies[i]}",
                                                                              "Accept": "application/json"})
            if status != 200:
                raise RuntimeError(f"GET {path}: {status} {payload[:200]!r}")
            cookie = cookies[i]
            for value in headers.get("set-cookie", []):
                if value.startswith("session="):
                    cookie = value.split(";", 1)[0][len("session="):]
            out[i] = (cookie, json.loads(payload)["csrf_token"])
        connection.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return out  # type: ignore[return-value]


def submission(path: str, form: bool, cookie: str, token: str, chosen: list[int]) -> tuple[str, dict, bytes]:
    """The confirmation page's cast form, as a browser sends it, or (--api) the JSON API's request."""
    if form:
        body = urlencode([("csrf_token", token)] + [("project", pid) for pid in chosen]).encode()
        return path.removesuffix("/api") + "/cast", {
            "Cookie": f"session={cookie}", "Content-Type": "application/x-www-form-urlencoded"}, body
    return path, {"Cookie": f"session={cookie}", "X-CSRFToken": token, "Content-Type": "application/json",
                  "Accept": "application/json"}, json.dumps({"projects": chosen}).encode()


async def _load(port: int, path: str, form: bool, voters: list[tuple[str, str]], projects, concurrency: int,
                duration: float, seed_value: int) -> dict:
    rng = random.Random(seed_value)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.perf_counter() + duration
    turn = iter(range(10 ** 12))

    async def worker():
        connection = Connection(port)
        while time.perf_counter() < deadline:
            cookie, token = voters[next(turn) % len(voters)]
            target, headers, body = submission(path, form, cookie, token, random_ballot(rng, projects))
            started = time.perf_counter()
            try:
                status, _h, _p = await connection.request("POST", target, headers, body)
            except (OSError, asyncio.IncompleteReadError):
                status = 0
                connection.close()
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
        connection.close()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {"latencies": latencies, "statuses": statuses}


def client_process(args: tuple) -> dict:
    port, path, form, voters, projects, concurrency, duration, seed_value = args
    cpu = time.process_time()
    result = asyncio.run(_load(port, path, form, voters, projects, concurrency, duration, seed_value))
    result["cpu"] = time.process_time() - cpu
    return result


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (Linux /proc), to tell where the time goes."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def server_pids(gunicorn_pid: int, db_url: str, db_name: str) -> tuple[list[int], list[int]]:
    import psycopg
    workers = [int(p) for p in Path(f"/proc/{gunicorn_pid}/task/{gunicorn_pid}/children").read_text().split()]
    with psycopg.connect(db_url) as conn:
        backends = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s "
                                               "AND pid <> pg_backend_pid()", (db_name,))]
    return workers, backends


def pgbench_calibration(db_url: str, data: dict, voters: int, seconds: float) -> str:
    """The same function, same budget and voters, called by pgbench over 8 connections: PostgreSQL's own
    ceiling for this cast on this machine, without Python or HTTP (a C client takes little CPU)."""
    projects = ",".join(str(pid) for pid, _cost in data["projects"][:2])
    script = (f"\\set uid random(1, {voters})\n"
              f"SELECT outcome FROM cast_ballot({data['budget_id']}, NULL, :uid, 'bench', 'bp', '{{{projects}}}', "
              f"'{{1,1}}', 'online', NULL, md5(random()::text || :uid), (now() at time zone 'utc')::timestamp, "
              f"'{{vote}}', NULL, NULL);\n")
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(script)
    done = subprocess.run(["pgbench", "-n", "-M", "prepared", "-c", "8", "-j", "2", "-T", str(int(seconds)),
                           "-f", f.name, db_url], capture_output=True, text=True)
    os.unlink(f.name)
    tps = next((line for line in done.stdout.splitlines() if line.startswith("tps")), done.stderr.strip()[-200:])
    return f"PostgreSQL alone (pgbench calling cast_ballot, 8 connections, {seconds:.0f} s): {tps}"


def wait_for(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432"))
    parser.add_argument("--voters", type=int, default=2000)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--clients", type=int, default=1, help="client processes")
    parser.add_argument("--concurrency", type=int, default=12, help="open keep-alive connections per client process")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--threads", type=int, default=6, help="threads per worker (gthread)")
    parser.add_argument("--redis", default="", help="the limiter's storage on this Redis (as in production; it "
                                                    "counts only submissions that reach Flask); "
                                                    "default: in-process memory")
    parser.add_argument("--api", action="store_true", help="submit ballots to the JSON API instead of the "
                                                             "confirmation page's form")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--pgbench", type=float, default=10, metavar="SECONDS",
                        help="then call the cast function from pgbench (C client) for this long: what "
                             "PostgreSQL alone takes on this machine (0: skip)")
    args = parser.parse_args()

    name = f"participation_bench_{os.getpid()}"
    db_url = f"{args.postgres.rstrip('/')}/{name}"
    with admin_conn(db_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    instance = tempfile.mkdtemp(prefix="participation-bench-")
    secret = secrets.token_urlsafe(32)
    os.environ.update(SECRET_KEY=secret, INSTANCE_PATH=instance)
    os.environ.pop("REDIS_URL", None)
    gunicorn = None
    try:
        data = seed(db_url, args.voters)
        port = free_port()
        # All the synthetic voters come from 127.0.0.1: the per-account limit (30/min by default) is raised,
        # not switched off; the cast still counts each voter's recent ballots.
        env = dict(os.environ, DATABASE_URL=db_url, SECRET_KEY=secret, INSTANCE_PATH=instance,
                   BALLOT_RATE_LIMIT="1000000 per minute", RATELIMIT_STORAGE_URI=args.redis or "memory://")
        env.pop("REDIS_URL", None)
        server = f"gunicorn -w {args.workers} -k {args.worker_class}" + (
            f" --threads {args.threads}" if args.worker_class == "gthread" else "")
        gunicorn = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", str(args.workers), "-k", args.worker_class,
             "--threads", str(args.threads), "--keep-alive", "30", "-b", f"127.0.0.1:{port}",
             "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
        wait_for(port)
        voters = asyncio.run(_prepare(port, data["path"], data["cookies"], 16))
        print(f"{len(voters)} voters ready; {server}; {args.clients} client process(es) x {args.concurrency} "
              f"keep-alive connections; {args.duration:.0f} s; {'JSON API' if args.api else 'cast form'}; "
              f"limiter storage (submissions reaching Flask) "
              f"in {'Redis' if args.redis else 'memory'}")
        chunks = [voters[i::args.clients] for i in range(args.clients)]
        jobs = [(port, data["path"], not args.api, chunk, data["projects"], args.concurrency, args.duration, i)
                for i, chunk in enumerate(chunks)]
        workers, backends = server_pids(gunicorn.pid, db_url, name)
        cpu_before = {pid: cpu_seconds([pid]) for pid in workers + backends}
        started = time.perf_counter()
        with multiprocessing.get_context("spawn").Pool(args.clients) as pool:
            results = pool.map(client_process, jobs)
        elapsed = time.perf_counter() - started
        _workers, backends_after = server_pids(gunicorn.pid, db_url, name)
        # Backends opened during the run (the pool grows under load) count from zero.
        cpu_web = sum(cpu_seconds([pid]) - cpu_before.get(pid, 0) for pid in workers)
        cpu_db = sum(cpu_seconds([pid]) - cpu_before.get(pid, 0) for pid in backends_after)
        cpu_client = sum(r["cpu"] for r in results)
        latencies = sorted(x for r in results for x in r["latencies"])
        statuses: dict[int, int] = {}
        for r in results:
            for k, v in r["statuses"].items():
                statuses[k] = statuses.get(k, 0) + v
        accepted_status = 201 if args.api else 302  # the form redirects to the receipt
        accepted = statuses.get(accepted_status, 0)
        import psycopg
        with psycopg.connect(db_url) as conn:
            stored = conn.execute("SELECT count(*) FROM ballots").fetchone()[0]
            current = conn.execute("SELECT count(*) FROM ballots WHERE is_current").fetchone()[0]
            voters_with = conn.execute("SELECT count(DISTINCT voter_id) FROM ballots").fetchone()[0]
            doubles = conn.execute("SELECT count(*) FROM (SELECT voter_id FROM ballots WHERE is_current "
                                   "GROUP BY voter_id, budget_id HAVING count(*) > 1) d").fetchone()[0]
            # Every replaced ballot points to a later ballot of the same voter; every ballot has choices.
            broken = conn.execute("SELECT count(*) FROM ballots b WHERE NOT b.is_current AND NOT EXISTS (SELECT 1 "
                                  "FROM ballots n WHERE n.id = b.superseded_by_id AND n.voter_id = b.voter_id "
                                  "AND n.id > b.id)").fetchone()[0]
            empty = conn.execute("SELECT count(*) FROM ballots b WHERE NOT EXISTS (SELECT 1 FROM ballot_choices c "
                                 "WHERE c.ballot_id = b.id)").fetchone()[0]

        def pct(p: float) -> float:
            return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0.0
        errors = {k: v for k, v in statuses.items() if k != accepted_status}
        print(f"requests {len(latencies)} in {elapsed:.1f} s; statuses {dict(sorted(statuses.items()))}")
        print(f"ballots/s {accepted / args.duration:.0f} (accepted, sustained over {args.duration:.0f} s)")
        print(f"latency ms: p50 {pct(0.50):.1f}  p95 {pct(0.95):.1f}  p99 {pct(0.99):.1f}  "
              f"max {latencies[-1] * 1000 if latencies else 0:.1f}")
        print(f"accepted {accepted}, stored {stored}; current ballots {current} = voters who voted {voters_with}: "
              f"{current == voters_with}; voters with two current ballots {doubles}; broken supersede links {broken}; "
              f"ballots without choices {empty}; errors {sum(errors.values())}"
              f" {errors or ''}")
        if accepted:
            print(f"CPU ms per accepted ballot: gunicorn workers {cpu_web / accepted * 1000:.2f}, PostgreSQL backends "
                  f"{cpu_db / accepted * 1000:.2f}, load generator {cpu_client / accepted * 1000:.2f} "
                  f"(machine: {os.cpu_count()} cores x {elapsed:.0f} s = {(os.cpu_count() or 1) * elapsed / accepted * 1000:.2f} "
                  f"ms available per ballot; load average now {os.getloadavg()[0]:.1f})")
        if args.pgbench and shutil.which("pgbench"):
            print(pgbench_calibration(db_url, data, args.voters, args.pgbench))
        if accepted != stored or current != voters_with or doubles or broken or empty:
            print("INTEGRITY PROBLEM")
            sys.exit(1)
    finally:
        if gunicorn is not None:
            gunicorn.send_signal(signal.SIGTERM)
            gunicorn.wait(20)
        if not args.keep:
            with admin_conn(db_url) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
