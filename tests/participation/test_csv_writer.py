"""Every CSV the product writes goes through participation/csv_writer.py: cells a spreadsheet would run as
formulas are neutralised, in each export (proposals, results, turnout statistics), and exports carry
plain text, not HTML."""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from budgets.models import BudgetScope
from participation.extensions import db
from participation.models import District, PhaseKind, Role
from proposals import operations_instruction as instruction
from proposals.models import ProposalStatus

from ..budgets.factories import make_budget, make_settings, make_voter
from ..factories import grant, login, make_commune, make_process, make_user
from ..proposals.factories import make_proposal, setup_commune

ROOT = Path(__file__).resolve().parents[2]
FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"Ouvrir\")", "+33 1 2", "-1+1", "@SUM(A1:A2)", "\t=1+1",
            "\r=1+1", " =cmd|' /C calc'!A0", "\uff1d1+1"]


@pytest.mark.parametrize("value", FORMULAS)
def test_text_that_a_spreadsheet_would_run_is_neutralised(value):
    from participation.csv_writer import neutralise
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value, cell", [(12, 12), (-5, -5), (2.5, 2.5), (None, ""), (True, 1), ("Nord", "Nord"),
                                         (["a", "=b"], "a, =b"), (["=a"], "'=a"), ("", "")])
def test_numbers_stay_numbers_and_other_text_is_unchanged(value, cell):
    from participation.csv_writer import neutralise
    assert neutralise(value) == cell


def test_write_csv_reads_back():
    from participation.csv_writer import write_csv
    text = write_csv(["name", "n"], [["=1+1", 3], ["Centre, Nord", -2]])
    assert list(csv.reader(io.StringIO(text))) == [["name", "n"], ["'=1+1", "3"], ["Centre, Nord", "-2"]]


def _cells(csv_text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(csv_text)) for cell in row]


def _assert_no_formula(csv_text: str) -> None:
    for cell in _cells(csv_text):
        assert not cell.lstrip(" ").startswith(("=", "+", "@", "\t", "\r", "\uff1d")), cell
        assert not re.match(r"-[^0-9]", cell), cell  # a leading minus only in front of a number


def test_turnout_statistics_csv(app, client):
    """Budget and district names were written as typed (issue 12.9)."""
    commune = make_commune("ville", districts=("=HYPERLINK(\"http://evil.example\")", "+Nord"))
    process = make_process(commune, slug="p", active=PhaseKind.vote)
    make_settings(process, scope=BudgetScope.city_plus_residence_district)
    budget = make_budget(process, name="=cmd|' /C calc'!A0")
    district = db.session.scalar(db.select(District).where(District.name.startswith("=")))
    with app.test_request_context():
        user = make_user()
        make_voter(process, user, district_id=district.id)
        from votes.operations import cast_online_ballot
        cast_online_ballot(user, process, budget, {budget.projects[0].id: 1})
    login(client, grant(make_user(), commune, Role.reviewer))
    text = client.get("/ville/admin/vote/p/statistics.csv").get_data(as_text=True)
    _assert_no_formula(text)
    assert "'=cmd|' /C calc'!A0" in _cells(text) and "'=HYPERLINK(\"http://evil.example\")" in _cells(text)


def test_results_csv(app, client):
    from votes.results.operations import compute_result, publish_result

    from ..votes.results.helpers import cast, close_vote

    commune = make_commune("ville")
    process = make_process(commune, slug="p", active=PhaseKind.vote)
    budget = make_budget(process, amount=100, costs=(50, 30))
    for project, title in zip(budget.projects, ("@SUM(1+1)", "-2+3")):
        project.title = title
    db.session.commit()
    cast(process, budget, [[budget.projects[0].id]])
    close_vote(process)
    publish_result(grant(make_user(), commune, Role.administrator), commune, compute_result(budget.id))
    text = client.get(f"/ville/processes/p/results/{budget.id}.csv").get_data(as_text=True)
    _assert_no_formula(text)
    assert {"'@SUM(1+1)", "'-2+3"} <= set(_cells(text))


def test_proposals_exports_carry_plain_text(client):
    commune, process = setup_commune()
    proposal = make_proposal(commune, process, title="=1+1",
                             body="<p>Un <strong>jardin</strong> &amp; des bancs</p><script>alert(1)</script>"
                                  "<style>p{}</style><ul><li>un</li><li>deux</li></ul>")
    reviewer = grant(make_user(), commune, Role.reviewer)
    instruction.instruct(reviewer, commune, proposal, status=ProposalStatus.rejected,
                         answer="<p>Hors <em>compétence</em> de la ville.</p>")
    base = f"/{commune.slug}/processes/{process.slug}/proposals/"
    text = client.get(base + "export.csv").get_data(as_text=True)
    _assert_no_formula(text)
    [row] = list(csv.DictReader(io.StringIO(text)))
    data = json.loads(client.get(base + "export.json").data)["proposals"][0]
    for exported in (row, data):
        assert exported["body"] == "Un jardin & des bancs\n\n- un\n- deux"
        assert exported["answer"] == "Hors compétence de la ville."
    assert row["title"] == "'=1+1" and data["title"] == "=1+1"  # JSON keeps the data as typed


def test_every_csv_is_written_by_the_shared_writer():
    """Only participation/csv_writer.py writes CSV; Pabulib files (votes/pabulib.py) are a data format
    for tally programs, checked against a published digest, not a spreadsheet export."""
    writers = []
    for package in ("participation", "proposals", "budgets", "votes"):
        for path in (ROOT / package).rglob("*.py"):
            if re.search(r"csv\.(writer|DictWriter)\(", path.read_text()):
                writers.append(str(path.relative_to(ROOT)))
    assert sorted(writers) == ["participation/csv_writer.py", "votes/pabulib.py"]
