"""Domain errors raised by operations; their message is meant for a person to read."""
from __future__ import annotations


class DomainError(Exception):
    status = 400

    def __init__(self, message, *, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field  # the form field the message belongs to, when there is one


class PermissionDenied(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    """The action is valid in general but not now (wrong phase, already done, ...)."""
    status = 409


class TooManyRequests(DomainError):
    status = 429
