"""Redis away must not break the site: with the limiter's storage (and the job queue) on a port where
nothing listens, a real server process still logs people in, sends resets, takes comments and answers
refused ballots, and still enforces the limits, with in-process counters."""
from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import tempfile
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from participation.accounts.sessions import open_sessions
from participation.extensions import db
from participation.models import PhaseKind, Role
from proposals.models import Comment

from ..budgets.factories import make_budget, make_voter
from ..conftest import DATABASE_URL, ROOT, free_port
from ..factories import PASSWORD, grant, make_process, make_user
from ..proposals.factories import make_proposal, setup_commune

SERVE = """
import sys
from werkzeug.serving import make_server
from participation import create_app
make_server("127.0.0.1", int(sys.argv[1]), create_app(), threaded=True).serve_forever()
"""


class Browser:
    """A few lines of a browser over a real socket: cookies, and the CSRF token of the last page."""

    def __init__(self, port: int):
        self.port, self.cookies, self.token = port, {}, ""

    def request(self, method: str, path: str, data: dict | None = None) -> tuple[int, str, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), "Accept-Language": "en"}
        body = None
        if data is not None:
            body = urlencode({"csrf_token": self.token, **data}, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        found = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', text)
        if found:
            self.token = found.group(1)
        conn.close()
        return response.status, response.headers.get("Location", ""), text

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, data):
        return self.request("POST", path, data)


@pytest.fixture
def server_without_redis(app):
    dead = free_port()  # freed at once: connecting to it is refused, as when Redis is down
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="no-redis-", suffix=".log", delete=False)
    env = dict(os.environ, REDIS_URL=f"redis://127.0.0.1:{dead}/0", RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{dead}/0",
               MAIL_SERVER="127.0.0.1", MAIL_PORT=str(app.config["MAIL_PORT"]), PERIODIC_TASKS="0",
               LOGIN_RATE_LIMIT="3 per minute")
    env.pop("BASE_URL", None)
    if not DATABASE_URL:
        env["DATABASE_URL"] = app.config["SQLALCHEMY_DATABASE_URI"]
    server = subprocess.Popen([sys.executable, "-c", SERVE, str(port)], env=env, cwd=ROOT, stdout=log, stderr=log)
    deadline = time.time() + 60
    while True:  # wait until it answers
        try:
            status, _, _ = Browser(port).get("/healthz")
            break
        except OSError:
            assert server.poll() is None and time.time() < deadline, open(log.name).read()[-3000:]
            time.sleep(0.1)
    assert status == 200
    yield port, log.name
    server.terminate()
    server.wait(10)
    os.unlink(log.name)


@pytest.mark.slow
def test_redis_down_the_site_works_and_limits_still_apply(app, server_without_redis):
    port, log = server_without_redis
    commune, process = setup_commune()
    proposal = make_proposal(commune, process)
    voting = make_process(commune, slug="bp", active=PhaseKind.vote)
    budget = make_budget(voting, amount=100_000, costs=(40_000, 30_000, 50_000, 20_000))
    user = grant(make_user("Vera", email="vera@example.org"), commune, Role.resident)
    with app.test_request_context():
        make_voter(voting, user)
    p1, p2, p3, _p4 = [p.id for p in sorted(budget.projects, key=lambda p: p.title)]
    user_id, base = user.id, f"/{commune.slug}/processes/{process.slug}/proposals/{proposal.id}"
    ballot = f"/{commune.slug}/processes/bp/vote/{budget.id}/"
    db.session.remove()

    # First thing this server counts: ballots, which votes/views.py counts by hand (limiter.hit). Vera's
    # browser holds a session opened in the database, so no login request reaches the limiter before.
    vera = Browser(port)
    with app.app_context():
        cookie_id = open_sessions([user_id])[0]
        vera.cookies["session"] = app.session_interface.get_signing_serializer(app).dumps({"_user_id": cookie_id})
        db.session.remove()
    assert vera.get(ballot)[0] == 200
    status, _, page = vera.post(ballot + "cast", {"project": [p1, p2, p3]})
    assert status == 400 and "more than the budget" in page  # refused, and said so
    assert vera.post(ballot + "cast", {"project": [p1, p2]})[0] == 302

    stranger = Browser(port)
    stranger.get("/account/reset")
    assert stranger.post("/account/reset", {"email": "vera@example.org"})[0] == 302
    stranger.get("/account/signup")
    assert stranger.post("/account/signup", {"email": "new@example.org", "nickname": "Newcomer",
                                             "password": "a long password", "confirm": "a long password",
                                             "locale": "en", "accept": "y"})[0] == 302

    vera = Browser(port)
    vera.get("/account/login")
    status, location, _ = vera.post("/account/login", {"email": "vera@example.org", "password": PASSWORD})
    assert status == 302, location
    vera.get(base)
    status, _, page = vera.post(f"{base}/comments", {"body": "Une bonne idée."})
    assert status == 302, page[-2000:]
    assert db.session.scalar(select(func.count(Comment.id))) == 1
    db.session.remove()

    # The login limit (3 per minute per address here) still holds, counted in the process: Vera's login
    # was the first of the three.
    intruder = Browser(port)
    intruder.get("/account/login")
    codes = [intruder.post("/account/login", {"email": "vera@example.org", "password": "wrong password"})[0]
             for _ in range(3)]
    assert codes == [400, 400, 429], codes
    assert "falling back to in-memory storage" in open(log).read()
    assert " 500 " not in open(log).read()
