"""Results: the tally job after the vote, private until an administrator publishes, the public page with
winners, why, fairness, greedy beside MES and the digest of the downloadable file."""
import hashlib
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from participation.errors import Conflict, PermissionDenied
from participation.extensions import db
from participation.models import AuditEntry, OutboxJob, PhaseKind, Role
from votes.cli import tally as tally_command
from votes.models import Ballot
from votes.results.models import BudgetResult
from votes.results.operations import compute_result, publish_result, request_tally
from votes.results.tasks import close_finished_votes

from ...budgets.factories import make_budget
from ...factories import grant, login, make_commune, make_process, make_user
from .helpers import cast, close_vote


class Voted:
    """Ids, not objects: run_jobs() ends the session, so objects are loaded again when needed."""

    def __init__(self, commune, process, budget, ids, admin, reviewer):
        self.slug, self.process_slug, self.budget_id = commune.slug, process.slug, budget.id
        self._ids = (commune.id, process.id, admin.id, reviewer.id)
        self.projects = ids

    def __iter__(self):
        from budgets.models import Budget
        from participation.models import Commune, Process, User
        c, p, a, r = self._ids
        return iter((db.session.get(Commune, c), db.session.get(Process, p), db.session.get(Budget, self.budget_id),
                     self.projects, db.session.get(User, a), db.session.get(User, r)))


@pytest.fixture
def voted(app):
    """Budget 100: P1 50, P2 30, P3 50, P4 20; ten ballots cast online."""
    commune = make_commune("mulhouse")
    process = make_process(commune, slug="bp-2026", active=PhaseKind.vote)
    budget = make_budget(process, amount=100, costs=(50, 30, 50, 20), name="Ville")
    p1, p2, p3, p4 = (p.id for p in sorted(budget.projects, key=lambda p: p.title))
    # Six voters want P1 and P3, four want P2 and P4. Greedy (by votes) takes P1 + P3 and leaves the four
    # with nothing; MES gives each group its share: P1 for the six, P4 + P2 for the four (add1: shares 12.5).
    cast(process, budget, [[p1, p3]] * 6 + [[p2, p4]] * 4)
    admin = grant(make_user("Admin"), commune, Role.administrator)
    reviewer = grant(make_user("Agent"), commune, Role.reviewer)
    return Voted(commune, process, budget, (p1, p2, p3, p4), admin, reviewer)


def _results_page(client, commune, process) -> str:
    response = client.get(f"/{commune.slug}/processes/{process.slug}/results/", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_job_tallies_after_the_vote_then_admin_publishes(app, client, run_jobs, voted, tmp_path):
    commune, process, budget, (p1, p2, p3, p4), admin, reviewer = voted
    assert close_finished_votes() == []  # the vote is still open
    close_vote(process)
    assert close_finished_votes() == [budget.id]
    run_jobs()
    commune, process, budget, _ids, admin, reviewer = voted
    result = db.session.scalar(select(BudgetResult))
    assert result.rule == "mes" and result.completion == "add1"
    assert result.selected == [str(p1), str(p4), str(p2)]
    assert result.total_cost == 100 and result.voters == 10
    assert result.votes == {str(p1): 6, str(p2): 4, str(p3): 6, str(p4): 4}
    assert result.greedy["selected"] == [str(p1), str(p3)]
    assert result.explanations[str(p3)]["code"] == "unaffordable"
    assert not result.is_published
    from participation import __version__
    assert result.software_version == __version__
    # Running the periodic check again queues nothing: the result is there.
    assert close_finished_votes() == []
    run_jobs()
    assert db.session.scalar(select(func.count()).select_from(BudgetResult)) == 1
    commune, process, budget, _ids, admin, reviewer = voted
    result = db.session.scalar(select(BudgetResult))

    # Not public before publication.
    page = _results_page(client, commune, process)
    assert "not published yet" in page
    assert result.ballot_digest not in page
    assert client.get(f"/{commune.slug}/processes/{process.slug}/results/{budget.id}.pb").status_code == 404

    # A reviewer sees it but cannot publish.
    login(client, reviewer)
    admin_page = client.get(f"/{commune.slug}/admin/results/{process.slug}/").get_data(as_text=True)
    assert result.ballot_digest in admin_page and "Projet 3" in admin_page
    response = client.post(f"/{commune.slug}/admin/results/{process.slug}/publish", data={"result_id": result.id})
    assert response.status_code == 403
    client.post("/account/logout")

    login(client, admin)
    response = client.post(f"/{commune.slug}/admin/results/{process.slug}/publish", data={"result_id": result.id})
    assert response.status_code == 302
    db.session.refresh(result)
    assert result.is_published and result.published_by_id == admin.id
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "results.publish")) is not None
    assert db.session.scalar(select(OutboxJob).where(OutboxJob.dedupe_key.like("results.published:%")))
    client.post("/account/logout")

    page = _results_page(client, commune, process)
    for title in ("Projet 1", "Projet 2", "Projet 3", "Projet 4"):
        assert title in page
    assert result.ballot_digest in page
    assert "participation tally mulhouse-bp-2026-budget-%d.pb --rule mes --completion add1" % budget.id in page
    assert "<meter" in page and "style=" not in page
    # a "why" for every project
    assert page.count("Selected in round") == 3 and page.count("could not be afforded") == 1

    # The downloadable file is the digested one, and the CLI recomputes the same outcome from it.
    download = client.get(f"/{commune.slug}/processes/{process.slug}/results/{budget.id}.pb")
    assert download.status_code == 200
    assert hashlib.sha256(download.data).hexdigest() == result.ballot_digest
    path = tmp_path / "ballots.pb"
    path.write_bytes(download.data)
    out = CliRunner().invoke(tally_command, [str(path), "--rule", "mes", "--completion", "add1", "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["selected"] == result.selected
    csv_text = client.get(f"/{commune.slug}/processes/{process.slug}/results/{budget.id}.csv").get_data(as_text=True)
    assert csv_text.splitlines()[0] == "project_id,name,cost,votes,selected,rank"
    assert f"{p1},Projet 1,50,6,1,1" in csv_text and f"{p3},Projet 3,50,6,0," in csv_text


def test_why_texts_and_fairness_on_the_page(app, client, run_jobs, voted):
    commune, process, budget, (p1, p2, p3, p4), admin, reviewer = voted
    close_vote(process)
    result = compute_result(budget.id)
    publish_result(admin, commune, result)
    client.get("/", headers={"Accept-Language": "en"})
    page = client.get(f"/{commune.slug}/processes/{process.slug}/results/", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert "Selected in round 1" in text
    assert "could not be afforded" in text  # P3: its supporters had spent their share on P1
    assert "What greedy would have chosen" in text and "not funded here" in text
    # 10 voters, all have a funded project with MES; with greedy the four P2+P4 voters have none.
    assert result.fairness["share_with_funded"] == 1.0
    assert result.greedy["fairness"]["share_with_funded"] == 0.6
    assert "100%" in text and "60%" in text


def test_results_section_on_process_page(app, client, voted):
    commune, process, budget, _ids, admin, _reviewer = voted
    close_vote(process)
    page = client.get(f"/{commune.slug}/processes/{process.slug}/").get_data(as_text=True)
    assert "/results/" not in page
    publish_result(admin, commune, compute_result(budget.id))
    page = client.get(f"/{commune.slug}/processes/{process.slug}/").get_data(as_text=True)
    assert f"/{commune.slug}/processes/{process.slug}/results/" in page


def test_compute_refused_while_the_vote_is_open_and_for_residents(app, voted):
    commune, process, budget, _ids, admin, reviewer = voted
    with pytest.raises(Conflict):
        request_tally(reviewer, commune, budget, rule="mes", completion="add1")
    close_vote(process)
    resident = grant(make_user(), commune, Role.resident)
    with pytest.raises(PermissionDenied):
        request_tally(resident, commune, budget, rule="mes", completion="add1")
    other = make_commune()
    with pytest.raises(PermissionDenied):
        request_tally(grant(make_user(), other, Role.administrator), other, budget, rule="mes", completion="add1")


def test_admin_computes_with_another_rule_and_publishes_it_instead(app, client, run_jobs, voted):
    commune, process, budget, (p1, p2, p3, p4), admin, reviewer = voted
    close_vote(process)
    first = compute_result(budget.id)
    publish_result(admin, commune, first)
    first_id = first.id
    login(client, reviewer)
    response = client.post(f"/{commune.slug}/admin/results/{process.slug}/{budget.id}/compute",
                           data={f"b{budget.id}-rule": "greedy", f"b{budget.id}-completion": "add1"})
    assert response.status_code == 302
    run_jobs()
    commune, process, budget, _ids, admin, reviewer = voted
    first = db.session.get(BudgetResult, first_id)
    second = db.session.scalar(select(BudgetResult).where(BudgetResult.id != first_id))
    assert second.rule == "greedy" and second.completion == "none" and second.greedy is None
    assert second.selected == [str(p1), str(p3)]
    assert not second.is_published
    publish_result(admin, commune, second)
    db.session.refresh(first)
    assert second.is_published and not first.is_published and first.published_at is not None
    assert db.session.scalar(select(func.count()).where(BudgetResult.is_published.is_(True))) == 1
    # the job uses the rule chosen last from now on
    assert compute_result(budget.id).id == second.id


def test_publication_refused_when_ballots_changed(app, voted):
    commune, process, budget, _ids, admin, _reviewer = voted
    close_vote(process)
    result = compute_result(budget.id)
    ballot = db.session.scalar(select(Ballot).limit(1))
    ballot.is_current = False
    db.session.commit()
    with pytest.raises(Conflict):
        publish_result(admin, commune, result)
    assert not db.session.get(BudgetResult, result.id).is_published


def test_cumulative_budget_is_tallied_with_points(app, run_jobs):
    commune = make_commune()
    process = make_process(commune, active=PhaseKind.vote)
    budget = make_budget(process, amount=60, rule="cumulative", costs=(30, 30, 30), total_points=4,
                         max_points_per_project=4)
    a, b, c = (p.id for p in sorted(budget.projects, key=lambda p: p.title))
    cast(process, budget, [{a: 4}, {a: 3, b: 1}, {c: 4}])
    close_vote(process)
    close_finished_votes()
    run_jobs()
    result = db.session.scalar(select(BudgetResult))
    assert result.rule == "mes" and result.completion == "none"  # the default for points
    assert result.votes == {str(a): 7, str(b): 1, str(c): 4}
    # a (7 points) is bought at 30/7 per point; c's only supporter has 20 of its 30: unaffordable
    assert result.selected == [str(a)]
    assert result.explanations[str(c)]["code"] == "unaffordable"
    assert "vote_type;cumulative" in result.ballot_file


def test_demo_past_edition(app, client):
    from participation.demo import seed
    app.config["DEMO_PAST_EDITION"] = True
    try:
        seed()
        seed()  # idempotent
    finally:
        app.config.pop("DEMO_PAST_EDITION")
    result = db.session.scalar(select(BudgetResult))
    assert result.is_published and len(result.selected) == 30
    assert db.session.scalar(select(func.count()).select_from(BudgetResult)) == 1
    page = client.get("/mulhouse/processes/edition-passee-2023/results/").get_data(as_text=True)
    assert result.ballot_digest in page


def test_admin_pages_need_staff_and_csrf(app, client, voted):
    commune, process, budget, _ids, admin, _reviewer = voted
    close_vote(process)
    result_id = compute_result(budget.id).id
    base = f"/{commune.slug}/admin/results/{process.slug}"
    resident = grant(make_user(), commune, Role.resident)
    login(client, resident)
    assert client.get(f"{base}/").status_code == 403
    assert client.get(f"{base}/import").status_code == 403
    client.post("/account/logout")
    login(client, admin)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"{base}/publish", data={"result_id": result_id}).status_code == 400  # no CSRF token
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert not db.session.get(BudgetResult, result_id).is_published
