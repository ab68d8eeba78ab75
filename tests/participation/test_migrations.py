"""The Alembic migrations build exactly the schema the models describe."""
import contextlib
import json
import os
import subprocess
import sys
import tempfile

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from participation.extensions import db

from ..conftest import DATABASE_URL, ROOT, needs_postgres


def _upgrade_and_compare(url: str, tmp: str) -> list:
    env = dict(os.environ, DATABASE_URL=url, INSTANCE_PATH=tmp, REDIS_URL="")
    done = subprocess.run([sys.executable, "-m", "participation.cli", "db", "upgrade"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
    engine.dispose()
    return diff


def test_migrations_match_models():
    with tempfile.TemporaryDirectory() as tmp:
        diff = _upgrade_and_compare(f"sqlite:///{tmp}/migrated.sqlite", tmp)
    assert diff == [], diff


@contextlib.contextmanager
def migrated_database():
    """A scratch PostgreSQL database beside the test one, migrated from empty; yields a connection to it."""
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(DATABASE_URL.replace("postgresql+psycopg://", "postgresql://", 1))
    scratch = f"{base.database}_migrations"
    admin_url = base.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        conn.execute(f'CREATE DATABASE "{scratch}"')
    url = base.set(database=scratch).render_as_string(hide_password=False)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            diff = _upgrade_and_compare(url, tmp)
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.connect() as conn:
            conn.info["diff"] = diff
            yield conn
        engine.dispose()
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


@needs_postgres
def test_migrations_match_models_on_postgresql():
    """On a scratch database, so the migration runs on an empty PostgreSQL schema."""
    with migrated_database() as conn:
        assert conn.info["diff"] == [], conn.info["diff"]


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


def test_typed_logo_and_process_image_addresses_are_imported_as_uploads(tiles):
    """Migration 0004: each typed address becomes a job that downloads it through the image pipeline
    (served here by the local tile server, which answers any path with a PNG); `javascript:` is dropped,
    an unreachable address leaves a failed job for the platform administrators."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/legacy.sqlite"
        env = dict(os.environ, DATABASE_URL=url, INSTANCE_PATH=tmp, REDIS_URL="", MAIL_SERVER="",
                   JOB_MAX_ATTEMPTS="1")

        def cli(*args):
            done = subprocess.run([sys.executable, "-m", "participation.cli", *args], cwd=ROOT, env=env,
                                  capture_output=True, text=True)
            assert done.returncode == 0, done.stderr[-3000:]
        cli("db", "upgrade", "0002")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO communes (id, slug, name, description, logo, primary_color, accent_color, "
                                 "default_language, languages, created_at) VALUES (1, 'ville', '{}', '{}', ?, "
                                 "'#1d4f91', '#a3195b', 'fr', '[\"fr\"]', '2026-01-01')", (tiles.url + "/logo.png",))
            for pid, image in ((1, "javascript:alert(1)"), (2, "http://127.0.0.1:9/unreachable.png"), (3, None)):
                conn.exec_driver_sql("INSERT INTO processes (id, commune_id, slug, title, description, image, "
                                     "published, created_at) VALUES (?, 1, ?, '{}', '{}', ?, 1, '2026-01-01')",
                                     (pid, f"p{pid}", image))
            conn.exec_driver_sql("INSERT INTO budgets (id, commune_id, process_id, name, description, amount, currency, "
                                 "rule, position, created_at) VALUES (1, 1, 3, '{}', '{}', 1000, 'EUR', 'approval', 0, "
                                 "'2026-01-01')")
            listed = json.dumps([{"src": "/ville/static/kept.png", "alt": "ici"},
                                 {"src": tiles.url + "/arbres.png", "alt": "Des arbres"}])
            conn.exec_driver_sql("INSERT INTO projects (id, commune_id, budget_id, title, description, cost, images, "
                                 "address, withdrawn, created_at) VALUES (1, 1, 1, 'Forêt', '', 10, ?, '', 0, "
                                 "'2026-01-01')", (listed,))
        cli("db", "upgrade")
        with engine.connect() as conn:
            jobs = conn.exec_driver_sql("SELECT dedupe_key FROM outbox_jobs ORDER BY dedupe_key").scalars().all()
        assert jobs == ["legacy-image:logo:1:0", "legacy-image:process:1:1", "legacy-image:process:2:2",
                        "legacy-image:project:1:3"]
        cli("relay")
        with engine.connect() as conn:
            logo = conn.exec_driver_sql("SELECT i.kind, i.filename, i.width FROM communes c JOIN uploaded_images i "
                                        "ON i.id = c.logo_id").one()
            images = conn.exec_driver_sql("SELECT id, image_id FROM processes ORDER BY id").all()
            status = dict(conn.exec_driver_sql("SELECT dedupe_key, status FROM outbox_jobs").all())
            project_images = json.loads(conn.exec_driver_sql("SELECT images FROM projects").scalar())
            project_file = conn.exec_driver_sql("SELECT filename FROM uploaded_images WHERE kind = 'projects'").scalar()
        engine.dispose()
        assert logo.kind == "logos" and logo.width == 256 and os.path.isfile(f"{tmp}/uploads/logos/{logo.filename}")
        assert images == [(1, None), (2, None), (3, None)]
        assert status == {"legacy-image:logo:1:0": "done", "legacy-image:process:1:1": "done",
                          "legacy-image:process:2:2": "failed", "legacy-image:project:1:3": "done"}
        assert project_images == [{"src": "/ville/static/kept.png", "alt": "ici"},
                                  {"src": f"/ville/images/{project_file}", "alt": "Des arbres"}]
        assert any(p.endswith("/logo.png") for p in tiles.requests)
