"""places and images: commune map centre, uploaded images for logos and process images, complete points

Revision ID: 0004_places
Revises: 0003_accounts
Create Date: 2026-12-01 23:30:00

Logos, process images and budget projects' images were typed addresses (any text, `javascript:` included, external ones blocked by
the CSP). They become uploads. Each existing address is handed to a job (participation.tasks.
import_legacy_image, through the outbox) that downloads it over http(s), runs it through the image
pipeline and attaches it; an address that cannot be fetched leaves a failed job that platform
administrators see at /platform/jobs/ with the address, so they can upload the image by hand.
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = '0004_places'
down_revision = '0003_accounts'
branch_labels = None
depends_on = None

IMPORT_TASK = "participation.tasks.import_legacy_image"


def _legacy_addresses(conn) -> list[dict]:
    jobs = []
    for owner, query in (("logo", "SELECT id, logo FROM communes WHERE logo IS NOT NULL AND logo <> ''"),
                         ("process", "SELECT id, image FROM processes WHERE image IS NOT NULL AND image <> ''")):
        for row_id, url in conn.execute(sa.text(query)):
            jobs.append({"owner": owner, "owner_id": row_id, "url": url})
    # Budget projects' images are lines of addresses; those on other sites were blocked by the CSP.
    projects = sa.table('projects', sa.column('id', sa.Integer), sa.column('images', sa.JSON))
    for row_id, listed in conn.execute(sa.select(projects.c.id, projects.c.images)):
        for image in listed or []:
            src = str((image or {}).get("src", "")).strip()
            if src and not (src.startswith("/") and not src.startswith("//") and "\\" not in src):
                jobs.append({"owner": "project", "owner_id": row_id, "url": src})
    return jobs


def upgrade():
    conn = op.get_bind()
    legacy = _legacy_addresses(conn)

    op.create_table('uploaded_images',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('filename', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_uploaded_images_commune_id_communes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_uploaded_images')),
    sa.UniqueConstraint('filename', name=op.f('uq_uploaded_images_filename'))
    )
    with op.batch_alter_table('uploaded_images', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_uploaded_images_commune_id'), ['commune_id'], unique=False)

    with op.batch_alter_table('communes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('logo_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('map_latitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('map_longitude', sa.Float(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_communes_logo_id_uploaded_images'), 'uploaded_images', ['logo_id'], ['id'], ondelete='SET NULL', use_alter=True)
        batch_op.create_check_constraint(op.f('ck_communes_map_centre_complete'), '(map_latitude IS NULL) = (map_longitude IS NULL)')
        batch_op.create_check_constraint(op.f('ck_communes_map_latitude_range'), 'map_latitude IS NULL OR (map_latitude >= -90 AND map_latitude <= 90)')
        batch_op.create_check_constraint(op.f('ck_communes_map_longitude_range'), 'map_longitude IS NULL OR (map_longitude >= -180 AND map_longitude <= 180)')
        batch_op.drop_column('logo')

    with op.batch_alter_table('processes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('image_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_processes_image_id_uploaded_images'), 'uploaded_images', ['image_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_column('image')

    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_proposals_point_complete'), '(latitude IS NULL) = (longitude IS NULL)')

    if legacy:
        outbox = sa.table('outbox_jobs', sa.column('task', sa.String), sa.column('args', sa.JSON),
                          sa.column('dedupe_key', sa.String), sa.column('status', sa.String),
                          sa.column('attempts', sa.Integer), sa.column('run_after', sa.DateTime),
                          sa.column('last_error', sa.Text), sa.column('created_at', sa.DateTime))
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        op.bulk_insert(outbox, [
            {"task": IMPORT_TASK, "args": job, "dedupe_key": f"legacy-image:{job['owner']}:{job['owner_id']}:{n}",
             "status": "pending", "attempts": 0, "run_after": now, "last_error": "", "created_at": now}
            for n, job in enumerate(legacy)])


def downgrade():
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_proposals_point_complete'), type_='check')

    with op.batch_alter_table('processes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('image', sa.VARCHAR(length=255), nullable=True))
        batch_op.drop_constraint(batch_op.f('fk_processes_image_id_uploaded_images'), type_='foreignkey')
        batch_op.drop_column('image_id')

    with op.batch_alter_table('communes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('logo', sa.VARCHAR(length=255), nullable=True))
        batch_op.drop_constraint(op.f('ck_communes_map_longitude_range'), type_='check')
        batch_op.drop_constraint(op.f('ck_communes_map_latitude_range'), type_='check')
        batch_op.drop_constraint(op.f('ck_communes_map_centre_complete'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_communes_logo_id_uploaded_images'), type_='foreignkey')
        batch_op.drop_column('map_longitude')
        batch_op.drop_column('map_latitude')
        batch_op.drop_column('logo_id')

    with op.batch_alter_table('uploaded_images', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_uploaded_images_commune_id'))

    op.drop_table('uploaded_images')
