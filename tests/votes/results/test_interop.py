"""Pabulib interop: importing a past election into a process (through the admin form), exporting any
budget as a valid .pb file with anonymised voters, and the round trip giving the same tally."""
import io
import re

import pytest
from sqlalchemy import func, select

from budgets.models import Budget, Project
from participation.errors import Conflict, PermissionDenied
from participation.extensions import db
from participation.models import PhaseKind, Role
from votes import pabulib
from votes.models import Ballot, BallotChoice, Voter
from votes.results.models import BudgetResult, PabulibImport
from votes.results.operations import compute_result, publish_result
from votes.results.interop import export_budget, export_pabulib, import_pabulib
from votes.rules import tally

from ...budgets.factories import make_budget, make_settings
from ...factories import grant, login, make_commune, make_process, make_user
from .helpers import BIELANY, WIELICZKA, cast, close_vote, official_winners


@pytest.fixture
def past(app):
    commune = make_commune("wieliczka")
    process = make_process(commune, slug="green-2023", active=PhaseKind.results)
    admin = grant(make_user("Admin"), commune, Role.administrator)
    return commune, process, admin


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_wieliczka_import_through_the_form_gives_the_official_winners(app, client, run_jobs, past):
    commune, process, admin = past
    slug, process_slug = commune.slug, process.slug
    login(client, admin)
    response = client.post(f"/{slug}/admin/results/{process_slug}/import", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(WIELICZKA.read_bytes()), WIELICZKA.name), "name": ""})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    run_jobs()
    budget = db.session.scalar(select(Budget))
    assert budget.amount == 1_000_000 and budget.currency == "PLN"
    assert budget.name_in("pl") == "Wieliczka Green Budget 2023"
    assert _count(Project) == 64 and _count(Voter) == 6586 and _count(Ballot) == 6586
    record = db.session.scalar(select(PabulibImport))
    assert record.voters == 6586 and record.meta["rule"] == "equalshares/add1"
    result = db.session.scalar(select(BudgetResult))  # computed by the tally job, with the file's rule
    assert (result.rule, result.completion) == ("mes", "add1")
    assert {record.project_ids[pid] for pid in result.selected} == official_winners(WIELICZKA)
    assert len(result.selected) == 30 and result.total_cost == 995_079
    assert not result.is_published
    page = client.get(f"/{slug}/admin/results/{process_slug}/").get_data(as_text=True)
    assert WIELICZKA.name in page and result.ballot_digest in page


def test_bad_file_names_the_line_and_stores_nothing(app, client, past):
    commune, process, admin = past
    lines = WIELICZKA.read_text(encoding="utf-8").splitlines()
    assert lines[86].startswith("1;")
    lines[86] = "1;70,999"  # a vote for a project that does not exist
    login(client, admin)
    response = client.post(f"/{commune.slug}/admin/results/{process.slug}/import",
                           content_type="multipart/form-data",
                           data={"file": (io.BytesIO("\n".join(lines).encode()), "bad.pb")})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Line 87" in page or "Ligne 87" in page
    assert "unknown project id &#39;999&#39; in vote of voter 1" in page
    for model in (Budget, Project, Voter, Ballot, BallotChoice, BudgetResult, PabulibImport):
        assert _count(model) == 0, model


@pytest.mark.parametrize("text, line", [
    ("META\nkey;value\nbudget;0\nPROJECTS\nproject_id;cost\n1;10\nVOTES\nvoter_id;vote\n1;1\n", 3),
    ("META\nkey;value\nbudget;100\nPROJECTS\nproject_id;cost\n1;ten\n", 6),
    ("META\nkey;value\nbudget;100\nvote_type;ordinal\nPROJECTS\nproject_id;cost\n1;10\n", 4),
])
def test_other_bad_files(app, past, text, line):
    from participation.errors import DomainError
    commune, process, admin = past
    with pytest.raises(DomainError) as info:
        import_pabulib(admin, commune, process, text.encode(), filename="x.pb")
    assert re.match(rf"(Line|Ligne) {line}\s?:", str(info.value.message))
    assert _count(Budget) == 0


def test_not_utf8_is_refused(app, past):
    from participation.errors import DomainError
    commune, process, admin = past
    with pytest.raises(DomainError) as info:
        import_pabulib(admin, commune, process, "META\nkey;value\ndescription;Zürich\n".encode("latin-1"))
    assert re.match(r"(Line|Ligne) 3\s?:", str(info.value.message))


def test_import_needs_an_administrator_and_a_closed_vote(app, past):
    commune, process, admin = past
    reviewer = grant(make_user(), commune, Role.reviewer)
    with pytest.raises(PermissionDenied):
        import_pabulib(reviewer, commune, process, BIELANY.read_bytes())
    live = make_process(commune, active=PhaseKind.vote)
    with pytest.raises(Conflict):
        import_pabulib(admin, commune, live, BIELANY.read_bytes())
    assert _count(Budget) == 0


def test_round_trip_export_then_import_gives_the_same_tally(app, run_jobs, past):
    commune, process, admin = past
    budget = import_pabulib(admin, commune, process, BIELANY.read_bytes(), filename=BIELANY.name)
    budget_id, commune_id, admin_id = budget.id, commune.id, admin.id
    run_jobs()
    budget = db.session.get(Budget, budget_id)
    first = db.session.scalar(select(BudgetResult).where(BudgetResult.budget_id == budget_id))
    assert first.rule == "greedy"  # the rule named in the file
    # the platform's outcome is the engine's outcome on the original file, project for project
    record = db.session.scalar(select(PabulibImport))
    original = tally(pabulib.read(BIELANY), "greedy")
    assert [record.project_ids[p] for p in first.selected] == original.selected

    exported = export_pabulib(budget)
    again = pabulib.reads(exported)  # a valid .pb file
    assert again.voters == 409 and again.budget == budget.amount
    assert tally(again, "greedy").selected == first.selected

    from participation.models import Commune, User
    commune, admin = db.session.get(Commune, commune_id), db.session.get(User, admin_id)
    other = make_process(commune, slug="replay", active=None)
    copy = import_pabulib(admin, commune, other, exported.encode(), filename="export.pb")
    copy_id = copy.id
    first_selected, first_votes, first_cost = list(first.selected), dict(first.votes), first.total_cost
    run_jobs()
    second = db.session.scalar(select(BudgetResult).where(BudgetResult.budget_id == copy_id))
    names = {str(p.id): p.title for p in db.session.scalars(select(Project))}
    assert [names[p] for p in second.selected] == [names[p] for p in first_selected]
    assert second.rule == "greedy" and second.total_cost == first_cost
    assert sorted(second.votes.values()) == sorted(first_votes.values())


def test_round_trip_with_mes_add1(app, run_jobs, past):
    """Wieliczka (MES + add1, the official outcome): export the imported budget, import the export."""
    commune, process, admin = past
    ids = (commune.id, admin.id)
    budget_id = import_pabulib(admin, commune, process, WIELICZKA.read_bytes()).id
    run_jobs()
    from participation.models import Commune, User
    commune, admin = db.session.get(Commune, ids[0]), db.session.get(User, ids[1])
    exported = export_pabulib(db.session.get(Budget, budget_id))
    copy_id = import_pabulib(admin, commune, make_process(commune, active=None), exported.encode()).id
    run_jobs()
    names = {str(p.id): p.title for p in db.session.scalars(select(Project))}
    first, second = (db.session.scalar(select(BudgetResult).where(BudgetResult.budget_id == b))
                     for b in (budget_id, copy_id))
    assert (second.rule, second.completion) == ("mes", "add1")  # the rule travels in META
    assert len(second.selected) == 30
    assert [names[p] for p in second.selected] == [names[p] for p in first.selected]
    assert second.fairness == first.fairness and second.details == first.details


def test_export_is_anonymised_and_age_only_when_collected_and_asked(app, past):
    commune, process, admin = past
    live = make_process(commune, active=PhaseKind.vote)
    make_settings(live, min_age=16)
    budget = make_budget(live, amount=100, costs=(50, 30, 50, 20))
    p = sorted(budget.projects, key=lambda x: x.title)
    cast(live, budget, [[p[1].id], [p[0].id, p[2].id], [p[0].id]], year_of_birth=1990)
    with pytest.raises(Conflict):  # the vote is open: no running counts through the export
        export_budget(admin, commune, budget)
    close_vote(live)
    text = export_budget(admin, commune, budget)
    votes = text.split("VOTES\n", 1)[1].splitlines()
    assert votes[0] == "voter_id;vote"
    assert [v.split(";")[0] for v in votes[1:]] == ["1", "2", "3"]  # sequential, not the voters' ids
    assert "age" not in votes[0] and "sex" not in text
    with_age = export_budget(admin, commune, budget, include_age=True)
    votes = with_age.split("VOTES\n", 1)[1].splitlines()
    assert votes[0] == "voter_id;vote;age"
    assert all(v.endswith(";" + str(live.phase_of_kind(PhaseKind.vote).ends_at.year - 1990)) for v in votes[1:])
    reviewer = grant(make_user(), commune, Role.reviewer)
    with pytest.raises(PermissionDenied):
        export_budget(reviewer, commune, budget)


def test_export_without_age_rule_never_has_age(app, past):
    commune, process, admin = past
    budget = import_pabulib(admin, commune, process, BIELANY.read_bytes())
    assert "age" not in export_budget(admin, commune, budget, include_age=True).split("VOTES\n")[1].splitlines()[0]


def test_export_marks_the_published_selection(app, past):
    commune, process, admin = past
    budget = import_pabulib(admin, commune, process, BIELANY.read_bytes())
    result = compute_result(budget.id)
    assert "selected" not in export_pabulib(budget).split("PROJECTS\n")[1].splitlines()[0]
    publish_result(admin, commune, result)
    election_text = export_pabulib(budget)
    header, *rows = election_text.split("PROJECTS\n")[1].split("VOTES\n")[0].splitlines()
    assert header == "project_id;cost;name;votes;selected"
    chosen = {r.split(";")[0] for r in rows if r.endswith(";1")}
    assert chosen == set(result.selected)


def test_cumulative_file_round_trip(app, past):
    commune, process, admin = past
    text = ("META\nkey;value\nbudget;60\nvote_type;cumulative\nmax_sum_points;4\nPROJECTS\nproject_id;cost;name\n"
            "a;30;A\nb;30;B\nc;30;C\nVOTES\nvoter_id;vote;points\n1;a;4\n2;a,b;3,1\n3;c;4\n4;;\n")
    budget = import_pabulib(admin, commune, process, text.encode())
    assert budget.rule.value == "cumulative" and budget.total_points == 4 and budget.max_points_per_project == 4
    record = db.session.scalar(select(PabulibImport))
    assert record.voters == 3 and record.empty_ballots == 1
    result = compute_result(budget.id)
    assert [record.project_ids[p] for p in result.selected] == ["a"]
    again = pabulib.reads(export_pabulib(budget))
    assert again.vote_type == "cumulative" and sorted(again.votes().values()) == [1, 4, 7]
