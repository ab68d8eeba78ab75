"""Permission checks used by every operation; roles are per commune."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask_babel import lazy_gettext as _l

from .errors import Conflict, NotFound, PermissionDenied
from .extensions import db
from .models import Action, Commune, Process, Role, User

T = TypeVar("T")


def require_role(user: User | None, commune: Commune, *roles: Role | str) -> None:
    """Administrators of the commune and platform administrators pass every role check."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_l("Please log in first."))
    if not user.has_role(commune, *roles):
        raise PermissionDenied(_l("You do not have the right to do this in this commune."))


def require_platform_admin(user: User | None) -> None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_platform_admin:
        raise PermissionDenied(_l("Only platform administrators can do this."))


def require_same_commune(obj_commune_id: int, commune: Commune) -> None:
    """Objects reached through a commune's URL must belong to that commune."""
    if obj_commune_id != commune.id:
        raise PermissionDenied(_l("This belongs to another commune."))


def get_belonging(model: type[T], ident: int, belongs: Callable[[T], bool], message) -> T:
    """The row with this id if it belongs where the URL says (else 404 with `message`): an id from another
    commune, process or person is answered as missing, so ids reveal nothing of other tenants."""
    obj = db.session.get(model, ident)
    if obj is None or not belongs(obj):
        raise NotFound(message)
    return obj


def require_confirmed(user: User | None) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_l("Please log in first."))
    if not user.is_confirmed:
        raise PermissionDenied(_l("Please confirm your e-mail address first."))


def require_phase(process: Process, action: Action) -> None:
    if not process.allows(action):
        raise Conflict(_l("The current phase of this process does not allow this."))
