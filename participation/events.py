"""Domain events: operations publish them inside their transaction; handlers run as jobs after commit.

    publish("proposal.answered", proposal_id=12)          # in an operation, before commit()

    @on("proposal.answered")                              # in a package's tasks.py
    def notify_followers(proposal_id: int) -> None: ...

Each handler runs in its own outbox job, so a slow or failing handler never blocks the others
and is retried on its own.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable

from .jobs import enqueue, task

_HANDLERS: dict[str, list[Callable[..., None]]] = defaultdict(list)


def on(event: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def register(func: Callable[..., None]) -> Callable[..., None]:
        _HANDLERS[event].append(func)
        task(func)
        return func
    return register


def publish(event: str, *, dedupe_key: str | None = None, **payload: Any) -> None:
    """Queue every handler of `event` in the current transaction (nothing runs before commit)."""
    for handler in _HANDLERS.get(event, []):
        key = f"{dedupe_key}:{handler.__module__}.{handler.__name__}" if dedupe_key else None
        enqueue(handler, dedupe_key=key, **payload)


def handlers(event: str) -> list[Callable[..., None]]:
    return list(_HANDLERS.get(event, []))
