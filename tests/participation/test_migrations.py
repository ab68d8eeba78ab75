"""The Alembic migrations build exactly the schema the models describe."""
import os
import subprocess
import sys
import tempfile

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from participation.extensions import db

from ..conftest import ROOT


def test_migrations_match_models():
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/migrated.sqlite"
        env = dict(os.environ, DATABASE_URL=url, INSTANCE_PATH=tmp, REDIS_URL="")
        subprocess.run([sys.executable, "-m", "participation.cli", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        engine = create_engine(url)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        engine.dispose()
    assert diff == [], diff


def test_demo_seed_is_idempotent():
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp}/demo.sqlite", INSTANCE_PATH=tmp, REDIS_URL="",
                   MAIL_SERVER="")
        first = subprocess.run([sys.executable, "-m", "participation.cli", "demo"], cwd=ROOT, env=env,
                               capture_output=True, text=True)
        assert first.returncode == 0, first.stderr[-3000:]
        second = subprocess.run([sys.executable, "-m", "participation.cli", "demo"], cwd=ROOT, env=env,
                                capture_output=True, text=True)
        assert second.returncode == 0, second.stderr[-3000:]
        assert "administrator@mulhouse.demo.localhost" in first.stdout
        assert first.stdout.count("@") == second.stdout.count("@")
