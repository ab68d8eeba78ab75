"""Census files that Python's csv module cannot read (a field beyond its size limit) are a form error naming
the line, not a 500."""
from __future__ import annotations

import io

import pytest

from budgets.models import CensusEntry
from participation.extensions import db
from participation.models import Role

from ..factories import grant, login, make_commune, make_process, make_user


@pytest.mark.parametrize("content, line", [
    (b"Anne Martin;1980;3 rue Haute\nAnne Martin;1980;" + b"x" * 200_000 + b"\n", "Line 2"),
    (b"Anne Martin;1980;3 rue Haute\n" * 3 + b"\"" + b"x" * 200_000, "Line 4"),
])
def test_an_unreadable_census_file_is_a_form_error(client, content, line):
    commune = make_commune("ville")
    make_process(commune, slug="p")
    login(client, grant(make_user(), commune, Role.administrator))
    response = client.post("/ville/admin/budgets/p/census", data={"file": (io.BytesIO(content), "census.csv")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code in (200, 400) and line in page, page[-2000:]
    assert db.session.scalar(db.select(db.func.count(CensusEntry.id))) == 0
