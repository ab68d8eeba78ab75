"""Fixtures shared by the platform's tests."""
from __future__ import annotations

import pytest

from participation.models import Role

from ..factories import grant, login, make_commune, make_user


@pytest.fixture
def admin_client(client):
    """A client signed in as the administrator of the commune "ville", and that commune."""
    commune = make_commune("ville")
    admin = grant(make_user("Admin"), commune, Role.administrator)
    login(client, admin)
    return client, commune
