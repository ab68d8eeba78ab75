"""Flask extensions, created unbound and initialised by the app factory."""
import time

import flask_limiter
from flask_babel import Babel
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Limiter(flask_limiter.Limiter):
    """Flask-Limiter, plus `hit()` for the views that count by hand (votes/views.py). When the storage
    (Redis) is unreachable, Flask-Limiter's own checks go on with in-process counters
    (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED) and log it; `hit()` does the same instead of failing the request,
    and tries the storage again every RECHECK_AFTER seconds."""

    RECHECK_AFTER = 10.0
    _recheck_at = 0.0

    def hit(self, item, *identifiers: str) -> bool:
        """Count one hit of `item` (a `limits` item) for these identifiers; False when over the limit."""
        if self._storage_dead and time.monotonic() >= self._recheck_at:
            self._recheck_at = time.monotonic() + self.RECHECK_AFTER
            if self.storage.check():
                self.logger.info("Rate limit storage recovered")
                self._storage_dead = False
        try:
            return self.limiter.hit(item, *identifiers)
        except Exception:  # noqa: BLE001 - whatever the storage raises, a limiter never fails a request
            if self._storage_dead or not self._in_memory_fallback_enabled:
                self.logger.exception("Failed to rate limit. Swallowing error")
                return True
            self.logger.warning("Rate limit storage unreachable - falling back to in-memory storage")
            self._storage_dead, self._recheck_at = True, time.monotonic() + self.RECHECK_AFTER
            return self.limiter.hit(item, *identifiers)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
