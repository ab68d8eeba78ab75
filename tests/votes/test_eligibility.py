"""Eligibility: declaration, census (hashes only), vote codes, age; which cross-channel duplicates are caught."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from budgets.models import BudgetScope, CensusEntry, Verification, VoteCode
from budgets.operations_eligibility import generate_vote_codes, import_census, normalise_text
from participation.errors import Conflict, DomainError, PermissionDenied
from participation.extensions import db
from participation.models import PhaseKind, Role
from votes import operations as ops
from votes.models import Voter
from votes.operations_paper import cast_paper_ballot
from votes.operations_voters import register_online_voter

from ..budgets.factories import make_budget, make_settings
from ..factories import grant, make_commune, make_process, make_user

CENSUS = "nom;annee;adresse;quartier\nAnne Martin;1980;3 rue de l'Église;Centre\nJean Dupont;2015;1 place Nord;Nord\n"


@pytest.fixture
def setup(app):
    commune = make_commune("eligible", districts=("Centre", "Nord"))
    process = make_process(commune, slug="bp", active=PhaseKind.vote)
    admin = grant(make_user(), commune, Role.administrator)
    reviewer = grant(make_user(), commune, Role.reviewer)
    budget = make_budget(process)
    return commune, process, admin, reviewer, budget


def test_normalisation():
    assert normalise_text("  Rue  de l'Église ") == "rue de l eglise"


def test_census_keeps_only_hashes_and_verifies(app, setup):
    commune, process, admin, reviewer, budget = setup
    make_settings(process, online_verification=Verification.census, min_age=16,
                  scope=BudgetScope.city_plus_residence_district)
    with app.test_request_context():
        with pytest.raises(PermissionDenied):
            import_census(reviewer, commune, process, CENSUS)
        assert import_census(admin, commune, process, CENSUS) == 2
        assert import_census(admin, commune, process, CENSUS) == 0  # same file twice: nothing new
        stored = db.session.scalars(select(CensusEntry.key_hash)).all()
        assert len(stored) == 2 and all(len(k) == 64 and "martin" not in k.lower() for k in stored)
        user = make_user()
        with pytest.raises(DomainError, match="could not find you"):
            register_online_voter(user, commune, process, name="Anne Martin", year_of_birth=1981,
                                  address="3 rue de l'Eglise")
        # Case, accents, punctuation and word order of the name do not matter.
        voter = register_online_voter(user, commune, process, name="martin ANNE", year_of_birth=1980,
                                      address="3, Rue de l'eglise")
        assert voter.verification == Verification.census and voter.year_of_birth == 1980
        assert voter.district_id == next(d.id for d in commune.districts if d.name == "Centre")
        # The same identity cannot be claimed by a second account.
        with pytest.raises(Conflict, match="another account"):
            register_online_voter(make_user(), commune, process, name="Anne Martin", year_of_birth=1980,
                                  address="3 rue de l'Église")
        # Too young, even though on the list.
        with pytest.raises(DomainError, match="from the age of 16"):
            register_online_voter(make_user(), commune, process, name="Jean Dupont", year_of_birth=2015,
                                  address="1 place Nord")


def test_census_voter_online_then_paper_is_refused(app, setup, run_jobs):
    from participation.notifications.models import Notification
    commune, process, admin, reviewer, budget = setup
    make_settings(process, online_verification=Verification.census)
    with app.test_request_context():
        import_census(admin, commune, process, CENSUS)
        user = make_user()
        register_online_voter(user, commune, process, name="Anne Martin", year_of_birth=1980,
                              address="3 rue de l'Église")
        project = budget.projects[0].id
        ops.cast_online_ballot(user, process, budget, {project: 1})
        with pytest.raises(Conflict, match="already voted in this budget online on"):
            cast_paper_ballot(reviewer, commune, budget, {project: 1}, name="Anne MARTIN", year_of_birth=1980,
                              address="3 rue de l'Eglise")
        user_id = user.id
    # The person who voted online is told that a paper ballot in their name was refused.
    run_jobs()
    [notice] = db.session.scalars(select(Notification).where(Notification.user_id == user_id)).all()
    assert notice.kind == "ballot.paper_refused" and notice.params["channel"] == "online"


def test_vote_codes_single_use_across_channels(app, setup):
    commune, process, admin, reviewer, budget = setup
    make_settings(process, online_verification=Verification.code)
    with app.test_request_context():
        codes = generate_vote_codes(admin, commune, process, 3)
        assert len(set(codes)) == 3
        assert all(row.code_hash not in codes for row in db.session.scalars(select(VoteCode)))
        with pytest.raises(DomainError, match="not valid"):
            register_online_voter(make_user(), commune, process, code="AAAA-BBBB-CCCC")
        project = budget.projects[0].id
        # Paper first with code 0, then the same person online with that code: the ballot is refused.
        cast_paper_ballot(reviewer, commune, budget, {project: 1}, code=codes[0])
        holder = make_user()
        voter = register_online_voter(holder, commune, process, code=codes[0].lower())
        assert voter.user_id == holder.id  # the paper voter is now linked to the account
        with pytest.raises(Conflict, match="on paper at a stand"):
            ops.cast_online_ballot(holder, process, budget, {project: 1})
        # Online first with code 1; another account cannot reuse it, nor can a stand.
        register_online_voter(make_user(), commune, process, code=codes[1])
        with pytest.raises(Conflict, match="another account"):
            register_online_voter(make_user(), commune, process, code=codes[1])
        assert db.session.scalar(select(VoteCode).where(VoteCode.used_at.is_not(None)).limit(1)) is not None


def test_declaration_collects_minimum_data(app, setup):
    commune, process, admin, reviewer, budget = setup
    user = make_user()
    with app.test_request_context():
        with pytest.raises(DomainError, match="confirm"):
            register_online_voter(user, commune, process, attest=False)
        voter = register_online_voter(user, commune, process, attest=True, year_of_birth=1970)
        assert voter.verification == Verification.declaration
        assert voter.year_of_birth is None  # no age rule: the year is not kept
        assert register_online_voter(user, commune, process, attest=True).id == voter.id  # idempotent
        assert db.session.scalar(select(Voter.voter_key).where(Voter.id == voter.id)) != str(user.id)


def test_eligibility_page_shows_only_needed_fields(app, client, setup):
    from ..factories import login
    commune, process, admin, reviewer, budget = setup
    make_settings(process, online_verification=Verification.code, min_age=16)
    user = make_user()
    login(client, user)
    page = client.get(f"/{commune.slug}/processes/{process.slug}/vote/eligibility").get_data(as_text=True)
    assert 'name="code"' in page and 'name="year_of_birth"' in page
    assert 'name="address"' not in page and 'name="attest"' not in page
