"""Read and write Pabulib ``.pb`` files; canonical ballot export and digest.

Format: three sections ``META``, ``PROJECTS``, ``VOTES``, each a line with the
section name followed by a header row and ``;``-separated rows (fields may be
quoted CSV-style; values may contain commas). Votes are comma-separated project
ids; cumulative ballots have a ``points`` column with comma-separated points in
the same order.

:func:`read` streams the file line by line and merges identical ballots, so
memory grows with the number of *distinct* ballots (plus one hash per voter id
for the duplicate check), not with the file size.

Every problem raises :class:`PabulibError` with the line number and the reason.
Supported vote types: approval, cumulative (ordinal and scoring are rejected).
Costs and the budget must be integers (``"1000.0"`` is accepted, ``"99.5"``
is not).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections import Counter
from typing import IO, Any, Iterable, Mapping, Sequence

from votes.rules.model import (
    APPROVAL,
    CUMULATIVE,
    Election,
    ElectionError,
    Project,
    natural_key,
)

SECTIONS = ("meta", "projects", "votes")


class PabulibError(ElectionError):
    """A malformed .pb file: ``line`` (1-based, may be None) and ``reason``."""

    def __init__(self, line: int | None, reason: str, filename: str | None = None):
        self.line = line
        self.reason = reason
        self.filename = filename
        where = f"{filename} " if filename else ""
        super().__init__(f"{where}line {line}: {reason}" if line is not None else f"{where}{reason}")


def _int_value(text: str, what: str, line: int) -> int:
    t = text.strip()
    try:
        return int(t)
    except ValueError:
        pass
    try:
        f = float(t)
    except ValueError:
        raise PabulibError(line, f"{what} is not a number: {text!r}") from None
    if not f.is_integer():
        raise PabulibError(line, f"{what} must be an integer, got {text!r}")
    return int(f)


def read(source: str | os.PathLike | IO[str]) -> Election:
    """Parse a .pb file (path or text stream) into an :class:`Election` (ballots aggregated)."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, encoding="utf-8-sig", newline="") as f:
            try:
                return _parse(f)
            except PabulibError as e:
                raise PabulibError(e.line, e.reason, os.fspath(source)) from None
    return _parse(source)


def reads(text: str) -> Election:
    return _parse(io.StringIO(text))


def _parse(f: IO[str]) -> Election:
    reader = csv.reader(f, delimiter=";")
    section = None
    header: list[str] | None = None
    meta: dict[str, str] = {}
    meta_lines: dict[str, int] = {}  # the line of each META key, for errors about its value
    projects: dict[str, Project] = {}
    vote_type = None
    counter: Counter = Counter()
    seen_voters: set = set()
    seen_sections: set = set()
    col: dict[str, int] = {}
    line = 0
    for row in reader:
        line = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        first = row[0].strip()
        if len(row) == 1 and first.lower() in SECTIONS:
            new = first.lower()
            if new in seen_sections:
                raise PabulibError(line, f"section {first} appears twice")
            if new == "projects" and "meta" not in seen_sections:
                raise PabulibError(line, "PROJECTS section before META")
            if new == "votes":
                if "projects" not in seen_sections:
                    raise PabulibError(line, "VOTES section before PROJECTS")
            seen_sections.add(new)
            section, header = new, None
            if new == "projects":
                budget_text = meta.get("budget")
                if budget_text is None:
                    raise PabulibError(line, "META has no budget")
                budget = _int_value(budget_text, "budget", meta_lines["budget"])
                if budget < 0:
                    raise PabulibError(meta_lines["budget"], f"negative budget {budget}")
                vt = meta.get("vote_type", APPROVAL).strip().lower()
                if vt == "points":
                    vt = CUMULATIVE
                if vt not in (APPROVAL, CUMULATIVE):
                    raise PabulibError(meta_lines.get("vote_type"),
                                       f"unsupported vote_type {meta.get('vote_type')!r} (supported: approval, cumulative)")
                vote_type = vt
            continue
        if section is None:
            raise PabulibError(line, f"expected a section name (META, PROJECTS, VOTES), got {';'.join(row)!r}")
        if header is None:
            header = [h.strip().lower() for h in row]
            col = {h: i for i, h in enumerate(header)}
            if section == "meta":
                if header[:2] != ["key", "value"]:
                    raise PabulibError(line, "META header must be 'key;value'")
            elif section == "projects":
                for need in ("project_id", "cost"):
                    if need not in col:
                        raise PabulibError(line, f"PROJECTS header has no '{need}' column")
            else:
                for need in ("voter_id", "vote"):
                    if need not in col:
                        raise PabulibError(line, f"VOTES header has no '{need}' column")
                if vote_type == CUMULATIVE and "points" not in col:
                    raise PabulibError(line, "VOTES header has no 'points' column (vote_type cumulative)")
            continue
        if section == "meta":
            if len(row) < 2:
                raise PabulibError(line, "META row needs 'key;value'")
            key = row[0].strip()
            value = ";".join(row[1:])  # tolerate unquoted ';' in free-text values
            meta[key] = value
            meta_lines[key] = line
        elif section == "projects":
            if len(row) != len(header):
                raise PabulibError(line, f"expected {len(header)} fields, got {len(row)}")
            pid = row[col["project_id"]].strip()
            if not pid:
                raise PabulibError(line, "empty project id")
            if pid in projects:
                raise PabulibError(line, f"duplicate project id '{pid}'")
            cost = _int_value(row[col["cost"]], f"cost of project '{pid}'", line)
            if cost <= 0:
                raise PabulibError(line, f"project '{pid}' has a non-positive cost ({cost})")
            name = row[col["name"]].strip() if "name" in col else ""
            projects[pid] = Project(pid, cost, name)
        else:
            if len(row) != len(header):
                raise PabulibError(line, f"expected {len(header)} fields, got {len(row)}")
            vid = row[col["voter_id"]].strip()
            if not vid:
                raise PabulibError(line, "empty voter id")
            if vid in seen_voters:
                raise PabulibError(line, f"duplicate voter id '{vid}'")
            seen_voters.add(vid)
            text = row[col["vote"]].strip()
            ids = [x.strip() for x in text.split(",")] if text else []
            for pid in ids:
                if pid not in projects:
                    raise PabulibError(line, f"unknown project id '{pid}' in vote of voter {vid}")
            if len(set(ids)) != len(ids):
                raise PabulibError(line, f"a project appears twice in the vote of voter {vid}")
            if vote_type == APPROVAL:
                counter[frozenset(ids)] += 1
            else:
                ptext = row[col["points"]].strip()
                pts = [x.strip() for x in ptext.split(",")] if ptext else []
                if len(pts) != len(ids):
                    raise PabulibError(line, f"voter {vid}: {len(ids)} projects but {len(pts)} points")
                items = []
                for pid, pt in zip(ids, pts):
                    try:
                        v = int(pt)
                    except ValueError:
                        raise PabulibError(line, f"voter {vid}: points {pt!r} is not an integer") from None
                    if v < 0:
                        raise PabulibError(line, f"voter {vid}: negative points ({v})")
                    if v:
                        items.append((pid, v))
                counter[tuple(sorted(items, key=lambda kv: natural_key(kv[0])))] += 1
    if "votes" not in seen_sections:
        if "projects" not in seen_sections:
            raise PabulibError(line or None, "missing PROJECTS section")
        if vote_type is None:
            raise PabulibError(line or None, "missing META section")
    if vote_type is None:
        raise PabulibError(line or None, "missing PROJECTS section")
    keys = list(counter.keys())
    ballots = keys if vote_type == APPROVAL else [dict(k) for k in keys]
    return Election(budget, projects, ballots, vote_type, [counter[k] for k in keys], meta, validate=False)


# ---------------------------------------------------------------------- write
def _clean(value: Any) -> str:
    return " ".join(str(value).splitlines())


def write(
    out: str | os.PathLike | IO[str],
    meta: Mapping[str, Any],
    projects: Iterable[Project | Mapping[str, Any]],
    votes: Iterable[Any],
    vote_type: str = APPROVAL,
    voter_fields: Sequence[Mapping[str, Any]] | None = None,
) -> None:
    """Write a .pb file from plain data.

    ``meta`` must contain ``budget`` (other keys are copied; ``vote_type``,
    ``num_projects`` and ``num_votes`` are filled in). ``projects``: Project
    objects or mappings with ``project_id``/``id``, ``cost``, optional ``name``
    (extra keys become columns). ``votes``: approval ballots (iterables of ids) or
    points ballots (mappings id -> points). Voter ids are anonymised as 1, 2, 3...
    in the given order. ``voter_fields`` (optional, one mapping per vote) adds
    voter columns (e.g. age, sex) only when given; missing values are empty.
    """
    if isinstance(out, (str, os.PathLike)):
        with open(out, "w", encoding="utf-8", newline="") as f:
            write(f, meta, projects, votes, vote_type, voter_fields)
        return
    vote_type = CUMULATIVE if vote_type == "points" else vote_type
    if vote_type not in (APPROVAL, CUMULATIVE):
        raise ElectionError(f"unsupported vote_type {vote_type!r}")
    if "budget" not in meta:
        raise ElectionError("meta needs a budget")
    prows = []
    pcols = ["project_id", "cost", "name"]
    for p in projects:
        if isinstance(p, Project):
            d = {"project_id": p.id, "cost": p.cost, "name": p.name}
        else:
            d = dict(p)
            if "project_id" not in d:
                d["project_id"] = d.pop("id")
            d.setdefault("name", "")
        for k in d:
            if k not in pcols:
                pcols.append(k)
        prows.append(d)
    votes = list(votes)
    w = csv.writer(out, delimiter=";", lineterminator="\n")
    m = {k: v for k, v in meta.items() if k not in ("vote_type", "num_projects", "num_votes")}
    m["num_projects"] = len(prows)
    m["num_votes"] = len(votes)
    m["vote_type"] = vote_type
    w.writerow(["META"])
    w.writerow(["key", "value"])
    for k, v in m.items():
        w.writerow([_clean(k), _clean(v)])
    w.writerow(["PROJECTS"])
    w.writerow(pcols)
    for d in prows:
        w.writerow([_clean(d.get(c, "")) for c in pcols])
    extra: list[str] = []
    if voter_fields is not None:
        if len(voter_fields) != len(votes):
            raise ElectionError("voter_fields must have one entry per vote")
        for vf in voter_fields:
            for k in vf:
                if k not in extra and k not in ("voter_id", "vote", "points"):
                    extra.append(k)
    w.writerow(["VOTES"])
    w.writerow(["voter_id", "vote"] + (["points"] if vote_type == CUMULATIVE else []) + extra)
    for i, b in enumerate(votes, start=1):
        if vote_type == APPROVAL:
            ids = sorted((str(x) for x in b), key=natural_key)
            row = [str(i), ",".join(ids)]
        else:
            items = sorted(((str(k), int(v)) for k, v in dict(b).items()), key=lambda kv: natural_key(kv[0]))
            row = [str(i), ",".join(k for k, _ in items), ",".join(str(v) for _, v in items)]
        if extra:
            vf = voter_fields[i - 1]
            row += [_clean(vf.get(k, "")) for k in extra]
        w.writerow(row)


def expand(election: Election) -> list:
    """One ballot per voter (weights expanded), in canonical order."""
    out = []
    for k, c in sorted(election.aggregated().items(), key=lambda kc: _ballot_text(kc[0], election.vote_type)):
        b = k if election.vote_type == APPROVAL else dict(k)
        out.extend([b] * c)
    return out


def write_election(out: str | os.PathLike | IO[str], election: Election) -> None:
    """Write an :class:`Election` (voters anonymised, ballots in canonical order)."""
    meta = dict(election.meta)
    meta["budget"] = election.budget
    projects = [election.projects[p] for p in sorted(election.projects, key=natural_key)]
    write(out, meta, projects, expand(election), election.vote_type)


def _ballot_text(key, vote_type: str) -> tuple:
    if vote_type == APPROVAL:
        ids = sorted(key, key=natural_key)
        return (",".join(ids),)
    return (",".join(k for k, _ in key), ",".join(str(v) for _, v in key))


def canonical_bytes(election: Election) -> bytes:
    """Deterministic .pb text (UTF-8) of the ballots: the digest to publish.

    Only the data that decides the outcome is included: META has exactly
    ``budget``, ``num_projects``, ``num_votes``, ``vote_type`` (sorted keys);
    projects sorted by natural id with ``project_id;cost;name``; votes sorted by
    their text (ids in natural order), numbered 1..n.
    """
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\n")
    meta = {
        "budget": election.budget,
        "num_projects": len(election.projects),
        "num_votes": election.voters,
        "vote_type": election.vote_type,
    }
    w.writerow(["META"])
    w.writerow(["key", "value"])
    for k in sorted(meta):
        w.writerow([k, meta[k]])
    w.writerow(["PROJECTS"])
    w.writerow(["project_id", "cost", "name"])
    for pid in sorted(election.projects, key=natural_key):
        p = election.projects[pid]
        w.writerow([p.id, p.cost, _clean(p.name)])
    w.writerow(["VOTES"])
    w.writerow(["voter_id", "vote"] + (["points"] if election.vote_type == CUMULATIVE else []))
    rows = sorted(
        (_ballot_text(k, election.vote_type), c)
        for k, c in election.aggregated().items()
    )
    i = 0
    for text, c in rows:
        for _ in range(c):
            i += 1
            w.writerow([i, *text])
    return buf.getvalue().encode("utf-8")


def digest(election: Election) -> str:
    """SHA-256 hex digest of :func:`canonical_bytes`."""
    return hashlib.sha256(canonical_bytes(election)).hexdigest()
