"""The `participation` command: a Flask CLI group bound to the app factory."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext


def _create_app():
    from . import create_app
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main() -> None:
    """Citizen participation platform."""


@main.command()
@with_appcontext
def demo() -> None:
    """Migrate the database, then seed the demo platform (idempotent) and print the demo accounts."""
    from flask_migrate import upgrade

    from .demo import seed

    upgrade()
    accounts = seed()
    click.echo("\nDemo accounts (password for all: see the second column):")
    for email, password, description in accounts:
        click.echo(f"  {email:<32} {password:<20} {description}")
    click.echo(f"\nOpen {current_app.config['BASE_URL']}/ (demo data only: never run `demo` in production).")


@main.command()
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@with_appcontext
def worker(burst: bool) -> None:
    """Run an rq worker (with the outbox relay) on REDIS_URL."""
    from .jobs import run_worker

    if not current_app.config.get("REDIS_URL"):
        raise click.UsageError("REDIS_URL is not set: without Redis, jobs run inline and no worker is needed.")
    run_worker(current_app._get_current_object(), burst=burst)


@main.command("relay")
@with_appcontext
def relay_command() -> None:
    """Hand waiting outbox jobs to the queue (or run them inline without Redis)."""
    from .jobs import relay

    click.echo(f"{relay()} job(s) relayed")


@main.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--nickname", prompt=True)
@click.password_option()
@with_appcontext
def create_admin(email: str, nickname: str, password: str) -> None:
    """Create a platform administrator (or promote an existing account)."""
    from .accounts.operations import create_user, find_by_email
    from .extensions import db

    if len(password) < 10:
        raise click.BadParameter("at least 10 characters", param_hint="password")
    user = find_by_email(email)
    if user is None:
        user = create_user(email, nickname, password, platform_admin=True)
    else:
        user.is_platform_admin = True
    db.session.commit()
    click.echo(f"{user.email} is a platform administrator.")


try:  # the tally command is pure (no Flask): rules + Pabulib reader
    from votes.cli import tally as _tally
    main.add_command(_tally, "tally")
except ImportError:  # pragma: no cover - votes.cli always ships; keep the CLI usable while developing
    pass


if __name__ == "__main__":
    main()
