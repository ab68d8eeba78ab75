"""Eligibility: identity keys (salted, keyed hashes), census import and single-use vote codes.

What the platform keeps of a person's identity is only `identity_key(...)`: an HMAC keyed with the
application secret over the process's random salt and the normalised (name, year of birth,
address). The same person typed slightly differently at a stand (accents, case, spaces,
punctuation) gives the same key; a different spelling of the street does not.
"""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
import secrets
import unicodedata

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from participation.errors import DomainError
from participation.extensions import db
from participation.jobs import commit
from participation.models import Commune, District, Process, Role, User, utcnow
from participation.operations import audit
from participation.permissions import require_role, require_same_commune

from .models import CensusEntry, VoteCode, VoteSettings
from .operations import vote_settings

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are typed from paper


def normalise_text(value: str) -> str:
    """Lower case, no accents, no punctuation, single spaces: 'Rue  de l'Église' -> 'rue de l eglise'."""
    value = unicodedata.normalize("NFKD", value or "")
    value = "".join(c for c in value if not unicodedata.combining(c)).lower()
    value = re.sub(r"[^a-z0-9]+", " ", value)
    return value.strip()


def normalise_code(code: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", (code or "").upper())


def _keyed_hash(settings: VoteSettings, kind: str, value: str) -> str:
    pepper = (current_app.config.get("VOTER_KEY_SECRET") or current_app.config["SECRET_KEY"]).encode()
    message = f"{settings.salt}|{kind}|{value}".encode()
    return hmac.new(pepper, message, hashlib.sha256).hexdigest()


def identity_key(settings: VoteSettings, name: str, year_of_birth: int, address: str) -> str:
    parts = [normalise_text(name), str(int(year_of_birth)), normalise_text(address)]
    if not parts[0] or not parts[2]:
        raise DomainError(_("Name and address are needed to identify a person."))
    # Word order of a name varies ("Anne Martin" / "Martin Anne"): sort the words.
    parts[0] = " ".join(sorted(parts[0].split()))
    return _keyed_hash(settings, "identity", "|".join(parts))


def code_key(settings: VoteSettings, code: str) -> str:
    return _keyed_hash(settings, "code", normalise_code(code))


def account_key(settings: VoteSettings, user_id: int) -> str:
    return _keyed_hash(settings, "account", str(user_id))


def _district_by_name(commune: Commune) -> dict[str, int]:
    return {normalise_text(d.name): d.id for d in commune.districts}


def import_census(actor: User, commune: Commune, process: Process, data: str, *, replace: bool = False) -> int:
    """Import a CSV (columns: name, year_of_birth, address[, district]); keep only hashes.

    Returns how many new entries were stored. Lines already present are skipped, so the same
    file can be imported twice. The file itself is never stored."""
    require_role(actor, commune, Role.administrator)
    require_same_commune(process.commune_id, commune)
    settings = vote_settings(process, create=True)
    districts = _district_by_name(commune)
    reader = csv.reader(io.StringIO(data.lstrip("\ufeff")), delimiter=_sniff_delimiter(data))
    keys: dict[str, int | None] = {}
    for number, row in enumerate(_rows(reader), start=1):
        row = [c.strip() for c in row]
        if not any(row):
            continue
        if number == 1 and row and normalise_text(row[0]) in {"name", "nom", "name vorname"}:
            continue  # a header line
        if len(row) < 3 or not re.fullmatch(r"\d{4}", row[1]):
            raise DomainError(_("Line %(number)s: expected name, year of birth (4 digits), address[, district].",
                                number=number), field="file")
        district_id = None
        if len(row) > 3 and row[3]:
            district_id = districts.get(normalise_text(row[3]))
            if district_id is None:
                raise DomainError(_("Line %(number)s: unknown district “%(district)s”.", number=number,
                                    district=row[3]), field="file")
        keys[identity_key(settings, row[0], int(row[1]), row[2])] = district_id
    if replace:
        db.session.execute(CensusEntry.__table__.delete().where(CensusEntry.process_id == process.id))
        existing: set[str] = set()
    else:
        existing = set(db.session.scalars(select(CensusEntry.key_hash).where(CensusEntry.process_id == process.id)))
    new = [{"process_id": process.id, "key_hash": k, "district_id": d, "imported_at": utcnow()}
           for k, d in keys.items() if k not in existing]
    if new:
        db.session.execute(CensusEntry.__table__.insert(), new)
    audit(commune, actor, "census.import", "process", process.id, reason=f"{len(new)} entries")
    commit()
    return len(new)


def _rows(reader):
    """The reader's rows; a line the csv module cannot read (a field beyond its size limit) is the
    person's error, named by its line."""
    try:
        yield from reader
    except csv.Error:
        raise DomainError(_("Line %(number)s cannot be read: expected name, year of birth (4 digits), "
                            "address[, district], each field of reasonable length.", number=reader.line_num),
                          field="file") from None


def _sniff_delimiter(data: str) -> str:
    first = data.lstrip("\ufeff").splitlines()[0] if data.strip() else ""
    return ";" if first.count(";") > first.count(",") else ","


def census_size(process: Process) -> int:
    from sqlalchemy import func
    return db.session.scalar(select(func.count()).select_from(CensusEntry).where(
        CensusEntry.process_id == process.id)) or 0


def generate_vote_codes(actor: User, commune: Commune, process: Process, count: int,
                        district: District | None = None) -> list[str]:
    """Create `count` single-use codes and return them once, for printing; only hashes are kept."""
    require_role(actor, commune, Role.administrator)
    require_same_commune(process.commune_id, commune)
    if not 1 <= count <= 10000:
        raise DomainError(_("Generate between 1 and 10 000 codes at a time."), field="count")
    if district is not None:
        require_same_commune(district.commune_id, commune)
    settings = vote_settings(process, create=True)
    batch = (db.session.scalar(select(VoteCode.batch).where(VoteCode.process_id == process.id)
                               .order_by(VoteCode.batch.desc()).limit(1)) or 0) + 1
    codes = []
    for _i in range(count):
        raw = "".join(secrets.choice(CODE_ALPHABET) for _j in range(12))  # 60 bits
        codes.append("-".join(raw[i:i + 4] for i in range(0, 12, 4)))
    db.session.execute(VoteCode.__table__.insert(), [
        {"process_id": process.id, "code_hash": code_key(settings, c), "batch": batch,
         "district_id": district.id if district else None, "created_at": utcnow()} for c in codes])
    audit(commune, actor, "vote_codes.generate", "process", process.id, reason=f"batch {batch}: {count} codes")
    commit()
    return codes


def find_vote_code(settings: VoteSettings, code: str) -> VoteCode | None:
    return db.session.scalar(select(VoteCode).where(
        VoteCode.process_id == settings.process_id, VoteCode.code_hash == code_key(settings, code)))


def find_census_entry(settings: VoteSettings, key: str) -> CensusEntry | None:
    return db.session.scalar(select(CensusEntry).where(
        CensusEntry.process_id == settings.process_id, CensusEntry.key_hash == key))


def check_age(settings: VoteSettings, year_of_birth: int | None) -> None:
    """Age is judged on the year of birth only: a person may vote from the year they reach the age."""
    if settings.min_age is None:
        return
    if year_of_birth is None:
        raise DomainError(_("Please give your year of birth."), field="year_of_birth")
    if utcnow().year - year_of_birth < settings.min_age:
        raise DomainError(_("This vote is open from the age of %(age)s.", age=settings.min_age),
                          field="year_of_birth")
