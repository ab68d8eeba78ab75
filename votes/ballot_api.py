"""Ballot submissions as a lean WSGI endpoint in front of Flask (PostgreSQL only).

Why: a ballot submission is the one request a city's vote can see in bursts, and Flask's request cycle
(context, session, login, CSRF, limiter, hooks) costs more CPU than the cast itself: on a 2-core
machine the application's hooks alone held a do-nothing JSON view to 1 170 requests/s, against 2 860
for plain WSGI, and the cast form through Flask ran at 206 ballots/s against 1 259 here (README, "The
vote"). This endpoint does the same checks with the same secrets and libraries, for the two ways a
ballot is cast:
`POST /<commune>/processes/<process>/vote/<budget>/cast`, the ballot page's form (what every browser
sends, with or without JavaScript), and `POST …/<budget>/api`, the JSON API (scripts):

- the account: Flask's signed session cookie (`_user_id`, set by Flask-Login), read with the app's own
  session serializer; it names the account and its server-side session (participation/accounts/
  sessions.py), which the cast's own statement checks is still open (a session ended by a logout or a
  password change casts as nobody, and Flask asks to log in); the cast function checks that the
  account exists, is confirmed and is a voter;
- CSRF: Flask-WTF's signed token (the form's field, or the X-CSRFToken header for the API) against the
  session's, with its referrer check on HTTPS;
- the cast itself: one call of the PostgreSQL function (cast_function.py) in autocommit mode, which
  also enforces the per-account ballot rate limit (BALLOT_RATE_LIMIT) from the ballots themselves.

It answers only the requests it accepts: the form gets Flask's answer (a redirect to the receipt page,
the receipt code kept in the session cookie, signed and set as Flask's session interface does), the API
a 201 with the receipt. Anything else (no session, a bad token, a form it does not read, over the limit, a
refused ballot, a database error, SQLite) goes on to the Flask views (`votes.cast`, `votes_api.api_cast`),
which check again and give the usual message: both paths refuse the same way, and a refused cast
changed nothing, so checking twice is safe.
"""
from __future__ import annotations

import hmac
import io
import json
import logging
import re

from urllib.parse import parse_qsl, quote

from flask.sessions import SecureCookieSession
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.exceptions import SecurityError
from werkzeug.http import dump_cookie, parse_cookie
from werkzeug.utils import redirect
from werkzeug.wsgi import get_host

from participation.accounts.sessions import key_hash, parse_id
from participation.input import parse_int
from participation.models import utcnow
from participation.security import security_headers

from . import cast_function
from .operations import new_receipt_code, receipt_hash

log = logging.getLogger(__name__)
PATH = re.compile(r"^/(?P<commune>[^/]+)/processes/(?P<process>[^/]+)/vote/(?P<budget>[0-9]{1,9})/"
                  r"(?P<kind>api|cast)$")
NUMBER = re.compile(r"[0-9]{1,10}")  # a project id or points as a form sends them
POOL_SIZE = 16  # idle connections kept per process (one per busy thread is enough)
MAX_BODY = 64 * 1024  # a ballot is a few hundred bytes; bigger goes to Flask (413 there)
# The cast's account argument is the session check: the account of the cookie's session if that session
# is still open, else NULL (the function then refuses, and Flask's view explains). One statement, one
# round trip, as without the check.
_ACCOUNT_ARGUMENT = "cast_ballot(%s, %s, %s,"
_SESSION_ACCOUNT = ("(SELECT s.user_id FROM account_sessions s WHERE s.user_id = %s AND s.key_hash = %s "
                    "AND s.expires_at > %s)")
if _ACCOUNT_ARGUMENT not in cast_function.CALL_SQL:  # pragma: no cover - the cast's signature changed
    raise ImportError("votes.ballot_api: cast_ballot's first arguments are no longer (budget, voter, user)")
CAST_SQL = cast_function.CALL_SQL.replace(_ACCOUNT_ARGUMENT, f"cast_ballot(%s, %s, {_SESSION_ACCOUNT},", 1)


class ChoicesError(ValueError):
    """A ballot sent to the JSON API that is not {"projects": [ids]} or {"points": {"id": n}} with JSON
    integers: `field` names the offending part ("projects[2]", 'points["17"]'), `message` says why."""

    def __init__(self, field: str | None, message):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


def _integer(value, field: str) -> int:
    """A JSON integer that fits the database: `true`, 3.0, 3.9 and "3" are not (Python reads true as 1)."""
    if type(value) is not int:
        raise ChoicesError(field, _l("“%(field)s” must be a whole number (a JSON integer, without "
                                     "quotes or decimals).", field=field))
    if not -cast_function.INT_MAX <= value <= cast_function.INT_MAX:
        raise ChoicesError(field, _l("“%(field)s” is out of range.", field=field))
    return value


def parse_choices(data) -> dict[int, int]:
    """{"projects": [ids]} or {"points": {"id": n}} as project id -> points, JSON integers only (ids and
    points must fit the database's integers: the rule check says the rest); ChoicesError otherwise."""
    if not isinstance(data, dict):
        raise ChoicesError(None, _l("Send a JSON object: {\"projects\": [ids]} or {\"points\": {\"id\": points}}."))
    if "points" in data:
        if not isinstance(data["points"], dict):
            raise ChoicesError("points", _l("“points” must be an object of project ids and points: "
                                            "{\"points\": {\"12\": 3}}."))
        choices = {}
        for key, value in data["points"].items():
            field = f'points["{key}"]'
            project_id = parse_int(key, minimum=-cast_function.INT_MAX, maximum=cast_function.INT_MAX)
            if project_id is None:
                raise ChoicesError(field, _l("“%(field)s”: “%(key)s” is not a project id.", field=field, key=key))
            choices[project_id] = _integer(value, field)
        return choices
    projects = data.get("projects", [])
    if not isinstance(projects, list):
        raise ChoicesError("projects", _l("“projects” must be a list of project ids: "
                                          "{\"projects\": [12, 15]}."))
    choices = {}
    for i, value in enumerate(projects):
        field = f"projects[{i}]"
        project_id = _integer(value, field)
        if project_id in choices:
            raise ChoicesError(field, _l("“%(field)s”: project %(id)s is listed twice.", field=field,
                                         id=project_id))
        choices[project_id] = 1
    return choices


def parse_form(body: bytes, token_field: str) -> tuple[str | None, dict[int, int] | None]:
    """The ballot page's cast form as (CSRF token, choices): `project` ids (one point each) or
    `points-<id>` inputs. Choices are None unless the form is a plain, well-formed ballot: anything
    else (a repeated field, another field, both kinds, a bad number) is left to Flask's view, whose
    `_choices` reads the same plain forms to the same choices (tests/votes/test_ballot.py compares them)."""
    try:
        pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return None, None
    token, projects, points = None, {}, {}
    for key, value in pairs:
        if key == token_field and token is None:
            token = value
        elif key == "project" and NUMBER.fullmatch(value):
            projects[int(value)] = 1
        elif key.startswith("points-") and NUMBER.fullmatch(key[7:]) and NUMBER.fullmatch(value) \
                and int(key[7:]) not in points:
            points[int(key[7:])] = int(value)
        else:
            return token, None
    if projects and points:
        return token, None
    choices = projects or {pid: n for pid, n in points.items() if n}
    return token, (choices if choices and cast_function.fits(choices) else None)


class BallotEndpoint:
    """WSGI middleware: casts acceptable ballots itself, hands every other request to `next_app`."""

    def __init__(self, app, next_app):
        self.app, self.next_app = app, next_app
        self._serializer = None
        self._idle: list = []  # idle database connections of this process

    def __call__(self, environ, start_response):
        # fullmatch: with match, "$" also accepted ".../cast\n", a URL Flask does not route.
        match = PATH.fullmatch(environ.get("PATH_INFO", "")) if environ.get("REQUEST_METHOD") == "POST" else None
        if match is None or not self._enabled() or not self._host_trusted(environ):
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
        if match["kind"] == "cast":
            return self._receipt_redirect(environ, match, *accepted, start_response)
        payload = json.dumps(accepted[1]).encode()
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

    def _host_trusted(self, environ) -> bool:
        """Flask refuses a Host it does not serve (TRUSTED_HOSTS, participation/hosts.py): so does this."""
        trusted = self.app.config.get("TRUSTED_HOSTS")
        if trusted is None:
            return True
        try:
            get_host(environ, trusted)
        except SecurityError:
            return False
        return True

    def _cast(self, environ, match, body: bytes) -> tuple[dict, dict] | None:
        """(the session, the receipt) of the ballot cast, or None to let Flask handle (and explain) the
        request."""
        config = self.app.config
        session = self._session(environ)
        signed_in = parse_id(session.get("_user_id"))
        if signed_in is None:
            return None
        user_id, session_key = signed_in
        content_type = environ.get("CONTENT_TYPE") or ""
        if match["kind"] == "cast":
            if not content_type.startswith("application/x-www-form-urlencoded"):
                return None
            token, choices = parse_form(body, config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
        else:
            if "json" not in content_type:
                return None
            token = next((environ.get("HTTP_" + name.upper().replace("-", "_"))
                          for name in config.get("WTF_CSRF_HEADERS", ["X-CSRFToken", "X-CSRF-Token"])
                          if environ.get("HTTP_" + name.upper().replace("-", "_"))), None)
            try:
                choices = parse_choices(json.loads(body))
            except (ValueError, RecursionError):
                return None
        if not choices or not self._csrf_ok(environ, session, token):
            return None
        code, now = new_receipt_code(), utcnow()
        cast = cast_function.CastRequest(
            int(match["budget"]), choices, "online", receipt_hash(code), now, user_id=user_id,
            commune_slug=match["commune"], process_slug=match["process"], rate=cast_function.ballot_rate(config))
        connection = self._checkout(config)
        try:
            with connection.cursor() as cursor:
                arguments = cast.arguments()
                cursor.execute(CAST_SQL, (*arguments[:2], user_id, key_hash(session_key), now, *arguments[3:]),
                               prepare=True)
                row = cursor.fetchone()
        except Exception:  # noqa: BLE001 - a dropped connection, a restart: Flask's path retries and reports
            log.warning("lean ballot endpoint: the cast failed, Flask's view takes the request", exc_info=True)
            connection.close()
            return None
        self._checkin(connection)
        if row is None or row[0] != "ok":
            return None
        return session, {"receipt": code, "ballot": row[1], "cast_at": now.isoformat() + "Z"}

    def _receipt_redirect(self, environ, match, session: dict, receipt: dict, start_response):
        """What Flask's `votes.cast` answers: a redirect to the receipt page, the code in the session
        (shown once there). The cookie's attributes come from Flask's session interface; the test compares
        the whole answer with Flask's. Written by hand: werkzeug's Response and Flask's save_session cost
        a sixth of the endpoint's CPU."""
        app, interface = self.app, self.app.session_interface
        location = quote(environ.get("SCRIPT_NAME", "") + environ["PATH_INFO"].removesuffix("cast") + "receipt")
        updated = SecureCookieSession(session)
        updated["receipt"] = {"budget": int(match["budget"]), "code": receipt["receipt"]}
        cookie = dump_cookie(
            interface.get_cookie_name(app), self._serializer.dumps(dict(updated)),
            expires=interface.get_expiration_time(app, updated), httponly=interface.get_cookie_httponly(app),
            domain=interface.get_cookie_domain(app), path=interface.get_cookie_path(app),
            secure=interface.get_cookie_secure(app), samesite=interface.get_cookie_samesite(app),
            partitioned=interface.get_cookie_partitioned(app))
        body = redirect(location).get_data()
        start_response("302 FOUND", [
            ("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))),
            ("Location", location), ("Vary", "Cookie"), ("Set-Cookie", cookie), *security_headers(app.config)])
        return [body]

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

    def _csrf_ok(self, environ, session: dict, token: str | None) -> bool:
        """Flask-WTF's check (csrf.py: protect and validate_csrf) of the form's or the header's token."""
        config = self.app.config
        if not (config.get("WTF_CSRF_ENABLED", True) and config.get("WTF_CSRF_CHECK_DEFAULT", True)):
            return True
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
