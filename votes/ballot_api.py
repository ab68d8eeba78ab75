"""The ballot API's submissions as a lean WSGI endpoint in front of Flask (PostgreSQL only).

Why: a ballot submission is the one request a city's vote can see in bursts, and Flask's request cycle
(context, session, login, CSRF, limiter, hooks) costs more CPU than the cast itself: measured on the
benchmark machine, the application's hooks alone held a do-nothing JSON view to 1 170 requests/s on
2 cores, against 2 860 for plain WSGI (README, "Vote"). This endpoint does the same checks with the
same secrets and libraries, for `POST /<commune>/processes/<process>/vote/<budget>/api` only:

- the account: Flask's signed session cookie (`_user_id`, set by Flask-Login), read with the app's own
  session serializer; the cast function checks that the account exists, is confirmed and is a voter;
- CSRF: Flask-WTF's signed token in the X-CSRFToken header against the session's, with its referrer
  check on HTTPS;
- the cast itself: one call of the PostgreSQL function (cast_function.py) in autocommit mode, which
  also enforces the per-account ballot rate limit (BALLOT_RATE_LIMIT) from the ballots themselves.

It answers only the requests it accepts (201 with the receipt). Anything else (no session, a bad token,
over the limit, a refused ballot, a database error, SQLite) goes on to the Flask view `votes_api.api_cast`,
which checks again and gives the usual message: both paths refuse the same way, and a refused cast
changed nothing, so checking twice is safe.
"""
from __future__ import annotations

import hmac
import io
import json
import logging
import re

from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.http import parse_cookie

from participation.models import utcnow
from participation.security import security_headers

from . import cast_function
from .operations import new_receipt_code, receipt_hash

log = logging.getLogger(__name__)
PATH = re.compile(r"^/(?P<commune>[^/]+)/processes/(?P<process>[^/]+)/vote/(?P<budget>[0-9]{1,9})/api$")
POOL_SIZE = 16  # idle connections kept per process (one per busy thread is enough)
MAX_BODY = 64 * 1024  # a ballot is a few hundred bytes; bigger goes to Flask (413 there)


def parse_choices(data) -> dict[int, int] | None:
    """{"projects": [ids]} or {"points": {"id": n}} as project id -> points; None when malformed
    (ids and points must fit the database's integers: the rule check says the rest)."""
    if not isinstance(data, dict):
        return None
    try:
        if isinstance(data.get("points"), dict):
            choices = {int(k): int(v) for k, v in data["points"].items()}
        else:
            projects = data.get("projects") or []
            if not isinstance(projects, list):
                return None
            choices = {int(pid): 1 for pid in projects}
    except (TypeError, ValueError, AttributeError):
        return None
    return choices if cast_function.fits(choices) else None


class BallotEndpoint:
    """WSGI middleware: casts acceptable ballots itself, hands every other request to `next_app`."""

    def __init__(self, app, next_app):
        self.app, self.next_app = app, next_app
        self._serializer = None
        self._idle: list = []  # idle database connections of this process

    def __call__(self, environ, start_response):
        match = PATH.match(environ.get("PATH_INFO", "")) if environ.get("REQUEST_METHOD") == "POST" else None
        if match is None or not self._enabled():
            return self.next_app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 < length <= MAX_BODY:
            return self.next_app(environ, start_response)
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)  # so Flask can read it again when it takes over
        accepted = self._cast(environ, match, body)
        if accepted is None:
            return self.next_app(environ, start_response)
        payload = json.dumps(accepted).encode()
        start_response("201 CREATED", [
            ("Content-Type", "application/json"), ("Content-Length", str(len(payload))),
            ("Cache-Control", "no-store"), *security_headers(self.app.config)])
        return [payload]

    def _enabled(self) -> bool:
        """PostgreSQL only (the cast function); not with Flask-Login's "strong" session protection, which
        ties a session to the client's address and browser (Flask checks that)."""
        config = self.app.config
        protection = config.get("SESSION_PROTECTION", getattr(self.app, "login_manager", None)
                                and self.app.login_manager.session_protection)
        return bool(config.get("BALLOT_API_LEAN", True) and protection != "strong"
                    and str(config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"))

    def _cast(self, environ, match, body: bytes) -> dict | None:
        """The receipt of the ballot cast, or None to let Flask handle (and explain) the request."""
        config = self.app.config
        session = self._session(environ)
        user_id = session.get("_user_id")
        if not (isinstance(user_id, str) and user_id.isdigit()) or not self._csrf_ok(environ, session):
            return None
        if "json" not in (environ.get("CONTENT_TYPE") or ""):
            return None
        try:
            choices = parse_choices(json.loads(body))
        except (ValueError, RecursionError):
            return None
        if not choices:
            return None
        code, now = new_receipt_code(), utcnow()
        cast = cast_function.CastRequest(
            int(match["budget"]), choices, "online", receipt_hash(code), now, user_id=int(user_id),
            commune_slug=match["commune"], process_slug=match["process"], rate=cast_function.ballot_rate(config))
        connection = self._checkout(config)
        try:
            with connection.cursor() as cursor:
                cursor.execute(cast_function.CALL_SQL, cast.arguments(), prepare=True)
                row = cursor.fetchone()
        except Exception:  # noqa: BLE001 - a dropped connection, a restart: Flask's path retries and reports
            log.warning("lean ballot endpoint: the cast failed, Flask's view takes the request", exc_info=True)
            connection.close()
            return None
        self._checkin(connection)
        if row is None or row[0] != "ok":
            return None
        return {"receipt": code, "ballot": row[1], "cast_at": now.isoformat() + "Z"}

    def _session(self, environ) -> dict:
        """Flask's session, read as Flask reads it (signed cookie, same lifetime); {} when absent or forged."""
        value = parse_cookie(environ).get(self.app.config["SESSION_COOKIE_NAME"])
        if self._serializer is None:  # the same object for every request (Flask builds one per request)
            self._serializer = self.app.session_interface.get_signing_serializer(self.app)
        serializer = self._serializer
        if not value or serializer is None:
            return {}
        try:
            data = serializer.loads(value, max_age=int(self.app.permanent_session_lifetime.total_seconds()))
        except BadData:
            return {}
        return data if isinstance(data, dict) else {}

    def _csrf_ok(self, environ, session: dict) -> bool:
        """Flask-WTF's check (csrf.py: protect and validate_csrf) for a token sent in a header."""
        config = self.app.config
        if not (config.get("WTF_CSRF_ENABLED", True) and config.get("WTF_CSRF_CHECK_DEFAULT", True)):
            return True
        token = next((environ.get("HTTP_" + name.upper().replace("-", "_"))
                      for name in config.get("WTF_CSRF_HEADERS", ["X-CSRFToken", "X-CSRF-Token"])
                      if environ.get("HTTP_" + name.upper().replace("-", "_"))), None)
        expected = session.get(config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
        if not token or not isinstance(expected, str):
            return False
        if environ.get("wsgi.url_scheme") == "https" and config.get("WTF_CSRF_SSL_STRICT", True):
            from flask_wtf.csrf import same_origin
            referrer = environ.get("HTTP_REFERER")
            if not referrer or not same_origin(referrer, f"https://{environ.get('HTTP_HOST', '')}/"):
                return False
        secret = config.get("WTF_CSRF_SECRET_KEY") or self.app.secret_key
        try:
            signed = URLSafeTimedSerializer(secret, salt="wtf-csrf-token").loads(
                token, max_age=config.get("WTF_CSRF_TIME_LIMIT", 3600))
        except BadData:
            return False
        return isinstance(signed, str) and hmac.compare_digest(expected, signed)

    def _checkout(self, config):
        """An idle connection of this process, or a new one. A plain list as the pool (append and pop
        are atomic): SQLAlchemy's pool costs more CPU than the cast's own round trip. Autocommit: the
        function call is the whole transaction. No pre-ping: a dead connection fails once, is dropped,
        and Flask's path (which pings) takes the request."""
        try:
            return self._idle.pop()
        except IndexError:
            import psycopg
            from sqlalchemy.engine import make_url

            url = make_url(str(config["SQLALCHEMY_DATABASE_URI"])).set(drivername="postgresql")
            return psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)

    def _checkin(self, connection) -> None:
        if len(self._idle) < POOL_SIZE and not connection.closed:
            self._idle.append(connection)
        else:
            connection.close()


def install(app) -> None:
    app.wsgi_app = BallotEndpoint(app, app.wsgi_app)
