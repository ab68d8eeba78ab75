"""``tally`` command: compute the outcome of a Pabulib .pb file.

    participation tally FILE.pb --rule mes --completion add1 --format json
    python -m votes.cli FILE.pb --rule greedy --greedy-variant stop

A malformed file exits with status 2 and prints ``error: FILE line N: reason``
to stderr. No Flask import here: the command is a plain ``click.Command``.
"""

from __future__ import annotations

import json
import sys

import click

from votes import pabulib
from votes.rules import COMPLETIONS, RULES, ElectionError, fairness, tally as run_tally


@click.command("tally")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--rule", type=click.Choice(RULES), default="mes", show_default=True)
@click.option("--completion", type=click.Choice(COMPLETIONS), default="none", show_default=True,
              help="MES completion (only for --rule mes).")
@click.option("--greedy-variant", type=click.Choice(["skip", "stop"]), default="skip", show_default=True,
              help="Greedy: skip projects that do not fit, or stop at the first one.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--explain", is_flag=True, help="Include per-project explanations and fairness figures (json).")
def tally(file, rule, completion, greedy_variant, fmt, explain):
    """Tally the votes of a Pabulib FILE (.pb)."""
    try:
        election = pabulib.read(file)
    except OSError as e:
        click.echo(f"error: {file}: {e.strerror or e}", err=True)
        sys.exit(2)
    except pabulib.PabulibError as e:
        where = f"{file} line {e.line}" if e.line is not None else file
        click.echo(f"error: {where}: {e.reason}", err=True)
        sys.exit(2)
    except ElectionError as e:
        click.echo(f"error: {file}: {e}", err=True)
        sys.exit(2)
    if completion != "none" and rule != "mes":
        click.echo("error: --completion only applies to --rule mes", err=True)
        sys.exit(2)
    try:
        result = run_tally(election, rule, completion, greedy_variant)
    except ElectionError as e:
        click.echo(f"error: {file}: {e}", err=True)
        sys.exit(2)
    if result.details.get("add1_stop") == "max_iterations":
        click.echo("warning: add1 stopped at its iteration cap; the outcome is the last feasible one found",
                   err=True)
    if fmt == "json":
        d = result.to_dict(explanations=explain)
        if rule == "greedy":
            d["greedy_variant"] = greedy_variant
        if explain:
            d["fairness"] = fairness(election, result.selected)
        click.echo(json.dumps(d, ensure_ascii=False))
        return
    votes = election.votes()
    name = f"{rule}" + (f" + {completion}" if completion != "none" else "")
    if rule == "greedy":
        name += f" ({greedy_variant})"
    click.echo(f"rule: {name}; voters: {result.voters}; budget: {result.budget}")
    click.echo(f"{'#':>3}  {'project':>10}  {'cost':>12}  {'votes':>8}  name")
    for i, pid in enumerate(result.selected, start=1):
        p = election.projects[pid]
        click.echo(f"{i:>3}  {pid:>10}  {p.cost:>12}  {votes[pid]:>8}  {p.name[:60]}")
    click.echo(f"total cost: {result.total_cost} of {result.budget} "
               f"({len(result.selected)} projects selected)")
    click.echo(f"tie-breaking: {result.tie_breaking}")


def main(argv=None):  # pragma: no cover - thin wrapper
    tally.main(args=argv, prog_name="python -m votes.cli")


if __name__ == "__main__":  # pragma: no cover
    main()
