"""Who hears about a process-wide event: the commune's residents and the process's followers.

Packages that let people follow a process register a provider:

    @process_followers
    def budget_followers(process_id: int) -> Iterable[int]: ...
"""
from __future__ import annotations

from typing import Callable, Iterable

from sqlalchemy import select

from ..extensions import db
from ..models import Membership, Role

_PROCESS_FOLLOWERS: list[Callable[[int], Iterable[int]]] = []


def process_followers(func: Callable[[int], Iterable[int]]) -> Callable[[int], Iterable[int]]:
    _PROCESS_FOLLOWERS.append(func)
    return func


def followers_of_process(process_id: int) -> set[int]:
    return {int(uid) for provider in _PROCESS_FOLLOWERS for uid in provider(process_id)}


def residents_of(commune_id: int) -> set[int]:
    return set(db.session.scalars(select(Membership.user_id).where(
        Membership.commune_id == commune_id, Membership.role == Role.resident)))


def process_audience(commune_id: int, process_id: int) -> set[int]:
    return residents_of(commune_id) | followers_of_process(process_id)
