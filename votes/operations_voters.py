"""Becoming a voter: online (declaration, census or vote code) and at a stand (identity or vote code).

Which duplicates across channels are caught (see README "Vote integrity"):
- census-verified online voter, then the same person at a stand by name + year + address: same key, refused;
- vote code used online, then the same code at a stand (or the reverse): same key, refused;
- the same identity or code registered by two accounts: refused at registration;
- a person at two stands, or twice at one: same key, refused.
Not caught without more data: an online voter who only *declared* eligibility (their key is their
account, no identity is collected) and who also votes on paper by identity; a person who uses a
vote code online and their identity at a stand (two different keys) unless the census is used.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from budgets.models import BudgetScope, Verification, VoteSettings
from budgets.operations import vote_settings
from budgets.operations_eligibility import (
    account_key, check_age, code_key, find_census_entry, find_vote_code, identity_key,
)
from participation.errors import Conflict, DomainError
from participation.extensions import db
from participation.models import Action, Commune, District, Process, User, utcnow
from participation.permissions import require_confirmed, require_phase

from .models import Voter
from .operations import voter_for_user


def ensure_settings(process: Process) -> VoteSettings:
    """Stored settings (their salt must exist before any key is computed), created at most once."""
    settings = db.session.get(VoteSettings, process.id)
    if settings is not None:
        return settings
    try:
        with db.session.begin_nested():
            settings = vote_settings(process, create=True)
    except IntegrityError:
        settings = db.session.get(VoteSettings, process.id)
    return settings


def _district_id(commune: Commune, district_id: int | None) -> int | None:
    if district_id is None:
        return None
    district = db.session.get(District, district_id)
    if district is None or district.commune_id != commune.id:
        raise DomainError(_("Choose one of the districts of the commune."), field="district")
    return district.id


def register_online_voter(user: User, commune: Commune, process: Process, *, attest: bool = False,
                          year_of_birth: int | None = None, district_id: int | None = None, name: str = "",
                          address: str = "", code: str = "") -> Voter:
    """Record that this account may vote in this process, verified as the process requires."""
    require_confirmed(user)
    require_phase(process, Action.vote)
    existing = voter_for_user(process, user)
    if existing is not None:
        return existing
    settings = ensure_settings(process)
    district = None
    if settings.online_verification == Verification.census:
        if not year_of_birth:
            raise DomainError(_("Please give your year of birth."), field="year_of_birth")
        key = identity_key(settings, name, year_of_birth, address)
        entry = find_census_entry(settings, key)
        if entry is None:
            raise DomainError(_("We could not find you on the list of voters. Check how you wrote your name and "
                                "address (as on your official documents), or vote at a stand."))
        district = entry.district_id
    elif settings.online_verification == Verification.code:
        vote_code = find_vote_code(settings, code)
        if vote_code is None:
            raise DomainError(_("This vote code is not valid. Check it letter by letter."), field="code")
        key, district = code_key(settings, code), vote_code.district_id
        vote_code.used_at = vote_code.used_at or utcnow()
    else:
        if not attest:
            raise DomainError(_("Please confirm that you may take part in this vote."), field="attest")
        key = account_key(settings, user.id)
        district = _district_id(commune, district_id)
    check_age(settings, year_of_birth)
    if settings.scope == BudgetScope.city_plus_residence_district and district is None:
        raise DomainError(_("Choose the district where you live."), field="district")
    voter = db.session.scalar(select(Voter).where(Voter.process_id == process.id, Voter.voter_key == key)
                              .with_for_update())
    if voter is not None and voter.user_id is not None:
        raise Conflict(_("This identity or code is already used by another account."))
    if voter is None:
        voter = Voter(process_id=process.id, voter_key=key, verification=settings.online_verification)
        db.session.add(voter)
    # A paper voter (no account yet) who proves the same identity or code is the same person.
    voter.user_id = user.id
    voter.year_of_birth = year_of_birth if settings.min_age is not None else None
    if settings.scope == BudgetScope.city_plus_residence_district:
        voter.district_id = district
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # a simultaneous registration of the same account or identity won
        voter = voter_for_user(process, user)
        if voter is None:
            raise Conflict(_("This identity or code is already used by another account."))
    return voter


def stand_voter(operator: User, settings: VoteSettings, commune: Commune, *, name: str = "",
                year_of_birth: int | None = None, address: str = "", code: str = "",
                district_id: int | None = None) -> Voter:
    """Find or create (flushed, not committed) the voter a reviewer identified at a stand."""
    district = _district_id(commune, district_id)
    if code.strip():
        vote_code = find_vote_code(settings, code)
        if vote_code is None:
            raise DomainError(_("This vote code is not valid. Check it letter by letter."), field="code")
        key, verification = code_key(settings, code), Verification.code
        district = vote_code.district_id or district
        vote_code.used_at = vote_code.used_at or utcnow()
    else:
        if not (name.strip() and address.strip() and year_of_birth):
            raise DomainError(_("Identify the person by name, year of birth and address, or by a vote code."),
                              field="name")
        key, verification = identity_key(settings, name, year_of_birth, address), Verification.stand
        entry = find_census_entry(settings, key)
        if entry is not None:
            verification, district = Verification.census, entry.district_id or district
        elif settings.online_verification == Verification.census:
            raise DomainError(_("This person is not on the list of voters (check the spelling of the name "
                                "and address)."), field="name")
    check_age(settings, year_of_birth)
    voter = db.session.scalar(select(Voter).where(Voter.process_id == settings.process_id,
                                                  Voter.voter_key == key))
    if voter is None:
        try:
            with db.session.begin_nested():
                voter = Voter(process_id=settings.process_id, voter_key=key, verification=verification,
                              registered_by_id=operator.id,
                              year_of_birth=year_of_birth if settings.min_age is not None else None,
                              district_id=district if settings.scope == BudgetScope.city_plus_residence_district
                              else None)
                db.session.add(voter)
        except IntegrityError:  # the same person entered at another stand at the same moment
            voter = db.session.scalar(select(Voter).where(Voter.process_id == settings.process_id,
                                                          Voter.voter_key == key))
    return voter
