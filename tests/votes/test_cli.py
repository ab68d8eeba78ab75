"""The ``tally`` click command and ``python -m votes.cli``."""

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from votes.cli import tally

DATA = Path(__file__).parent / "data"
WIELICZKA = DATA / "poland_wieliczka_2023_green-budget.pb"
BIELANY = DATA / "poland_warszawa_2021_bielany.pb"


def test_json_mes_add1():
    r = CliRunner().invoke(tally, [str(WIELICZKA), "--rule", "mes", "--completion", "add1", "--format", "json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["rule"] == "mes" and d["completion"] == "add1"
    assert d["budget"] == 1000000 and d["voters"] == 6586
    assert len(d["selected"]) == 30 and d["total_cost"] == 995079
    assert {"selected", "total_cost", "budget", "rule", "completion", "voters"} <= set(d)


def test_json_greedy_variants_and_phragmen():
    skip = json.loads(CliRunner().invoke(tally, [str(BIELANY), "--rule", "greedy", "--format", "json"]).output)
    stop = json.loads(CliRunner().invoke(
        tally, [str(BIELANY), "--rule", "greedy", "--greedy-variant", "stop", "--format", "json"]).output)
    assert stop["selected"] == skip["selected"][:len(stop["selected"])]
    assert stop["total_cost"] <= skip["total_cost"] <= skip["budget"]
    ph = CliRunner().invoke(tally, [str(BIELANY), "--rule", "phragmen", "--format", "json", "--explain"])
    d = json.loads(ph.output)
    assert d["rule"] == "phragmen" and "fairness" in d and "explanations" in d


def test_table_output():
    r = CliRunner().invoke(tally, [str(WIELICZKA), "--rule", "greedy"])
    assert r.exit_code == 0
    assert "total cost:" in r.output and "tie-breaking:" in r.output


def test_malformed_file_exit_2(tmp_path):
    bad = tmp_path / "bad.pb"
    text = WIELICZKA.read_text(encoding="utf-8").splitlines()
    # line 87 is the first vote (voter 1)
    assert text[86].startswith("1;")
    text[86] = "1;70,999"
    bad.write_text("\n".join(text) + "\n", encoding="utf-8")
    r = CliRunner().invoke(tally, [str(bad), "--format", "json"])
    assert r.exit_code == 2
    assert f"error: {bad} line 87: unknown project id '999' in vote of voter 1" in r.output
    missing = CliRunner().invoke(tally, [str(tmp_path / "none.pb")])
    assert missing.exit_code == 2


def test_completion_requires_mes():
    r = CliRunner().invoke(tally, [str(BIELANY), "--rule", "greedy", "--completion", "add1"])
    assert r.exit_code == 2


def test_python_m(tmp_path):
    p = subprocess.run([sys.executable, "-m", "votes.cli", str(BIELANY), "--rule", "mes", "--format", "json"],
                       capture_output=True, text=True, check=True)
    assert json.loads(p.stdout)["rule"] == "mes"
    bad = tmp_path / "bad.pb"
    bad.write_text("META\nkey;value\nbudget;10\nPROJECTS\nproject_id;cost\n1;0\n", encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "votes.cli", str(bad)], capture_output=True, text=True)
    assert p.returncode == 2
    assert "line 6" in p.stderr and "non-positive cost" in p.stderr
