"""Pabulib .pb reading (errors with line numbers), writing, round trip, canonical digest."""

import io
from pathlib import Path

import pytest

from votes import pabulib
from votes.pabulib import PabulibError
from votes.rules import Election, Project, tally

DATA = Path(__file__).parent / "data"
FILES = sorted(DATA.glob("*.pb"))

GOOD = """META
key;value
description;Test; with a semicolon
budget;100
vote_type;approval
PROJECTS
project_id;cost;name
1;30;Trees, benches and flowers
2;60;"Quoted; name"
3;40;Bikes
VOTES
voter_id;vote;age;sex
a;1,2;30;F
b;2;41;M
c;;25;F
"""


def lines_with(old, new):
    return GOOD.replace(old, new)


def test_read_good():
    e = pabulib.reads(GOOD)
    assert e.budget == 100 and e.vote_type == "approval"
    assert e.projects["2"].name == "Quoted; name"
    assert e.projects["1"].name == "Trees, benches and flowers"
    assert e.voters == 3
    assert e.votes() == {"1": 1, "2": 2, "3": 0}
    assert e.meta["description"] == "Test; with a semicolon"


@pytest.mark.parametrize(
    "old,new,line,reason",
    [
        ("c;;25;F", "c;999;25;F", 15, "unknown project id '999' in vote of voter c"),
        ("b;2;41;M", "a;2;41;M", 14, "duplicate voter id 'a'"),
        ("3;40;Bikes", "3;0;Bikes", 10, "non-positive cost"),
        ("3;40;Bikes", "3;-4;Bikes", 10, "non-positive cost"),
        ("3;40;Bikes", "3;4.5;Bikes", 10, "must be an integer"),
        ("3;40;Bikes", "3;abc;Bikes", 10, "not a number"),
        ("3;40;Bikes", "1;40;Bikes", 10, "duplicate project id '1'"),
        ("vote_type;approval", "vote_type;ordinal", 5, "unsupported vote_type 'ordinal'"),
        ("vote_type;approval", "vote_type;scoring", 5, "unsupported vote_type"),
        ("b;2;41;M", "b;2;41", 14, "expected 4 fields, got 3"),
        ("a;1,2;30;F", "a;1,1;30;F", 13, "appears twice"),
        ("budget;100", "budget;lots", 4, "budget is not a number"),
    ],
)
def test_errors_name_line_and_reason(old, new, line, reason):
    with pytest.raises(PabulibError) as ei:
        pabulib.reads(lines_with(old, new))
    assert ei.value.line == line
    assert reason in ei.value.reason
    assert f"line {line}" in str(ei.value)


def test_structural_errors():
    with pytest.raises(PabulibError, match="no budget"):
        pabulib.reads(GOOD.replace("budget;100\n", ""))
    with pytest.raises(PabulibError, match="expected a section name"):
        pabulib.reads("hello\n" + GOOD)
    with pytest.raises(PabulibError, match="no 'cost' column"):
        pabulib.reads(GOOD.replace("project_id;cost;name", "project_id;price;name"))
    with pytest.raises(PabulibError, match="missing"):
        pabulib.reads("META\nkey;value\nbudget;5\n")


def test_cumulative_points():
    text = """META
key;value
budget;10
vote_type;cumulative
PROJECTS
project_id;cost
P;6
Q;4
VOTES
voter_id;vote;points
1;P;3
2;P,Q;1,2
"""
    e = pabulib.reads(text)
    assert e.vote_type == "cumulative" and e.votes() == {"P": 4, "Q": 2}
    assert tally(e, "mes").selected == ["P"]
    with pytest.raises(PabulibError) as ei:
        pabulib.reads(text.replace("2;P,Q;1,2", "2;P,Q;1"))
    assert ei.value.line == 12 and "points" in ei.value.reason


def test_empty_votes_section_is_an_empty_election():
    e = pabulib.reads(GOOD.split("VOTES")[0] + "VOTES\nvoter_id;vote\n")
    assert e.voters == 0
    assert tally(e, "mes", "add1").selected == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_shared_files_parse_and_round_trip(path, tmp_path):
    e = pabulib.read(path)
    assert e.voters > 0 and e.projects
    out = tmp_path / "out.pb"
    pabulib.write_election(out, e)
    e2 = pabulib.read(out)
    assert e2 == e
    for rule in ("greedy", "mes", "phragmen"):
        assert tally(e2, rule).selected == tally(e, rule).selected
    assert pabulib.digest(e2) == pabulib.digest(e)


def test_write_plain_data_with_voter_columns(tmp_path):
    projects = [Project("2", 60, "Two"), {"project_id": "1", "cost": 30, "name": "One;x", "category": "green"}]
    votes = [{"1", "2"}, {"2"}, ["1"]]
    buf = io.StringIO()
    pabulib.write(buf, {"budget": 100, "description": "d"}, projects, votes,
                  voter_fields=[{"age": 30, "sex": "F"}, {"age": 41}, {"sex": "M"}])
    text = buf.getvalue()
    assert "voter_id;vote;age;sex\n1;1,2;30;F\n2;2;41;\n3;1;;M\n" in text
    assert "num_votes;3" in text and "vote_type;approval" in text
    e = pabulib.reads(text)
    assert e.projects["1"].name == "One;x"
    assert e == Election(100, [Project("2", 60, "Two"), Project("1", 30, "One;x")], votes)
    # no voter columns unless given
    buf2 = io.StringIO()
    pabulib.write(buf2, {"budget": 100}, projects, votes)
    assert "voter_id;vote\n1;1,2\n" in buf2.getvalue()


def test_canonical_bytes_deterministic():
    p = [Project("10", 5, "ten"), Project("9", 4, "nine"), Project("a", 3, "A")]
    e1 = Election(20, p, [{"10", "9"}, {"a"}, {"9", "10"}])
    e2 = Election(20, list(reversed(p)), [{"a"}, {"9", "10"}, {"10", "9"}])
    b = pabulib.canonical_bytes(e1)
    assert b == pabulib.canonical_bytes(e2)
    assert pabulib.digest(e1) == pabulib.digest(e2)
    assert len(pabulib.digest(e1)) == 64
    text = b.decode()
    assert text.index("\n9;4;nine") < text.index("\n10;5;ten") < text.index("\na;3;A")
    assert "1;9,10\n2;9,10\n3;a\n" in text
    e3 = Election(20, p, [{"10"}, {"a"}, {"9", "10"}])
    assert pabulib.digest(e3) != pabulib.digest(e1)
