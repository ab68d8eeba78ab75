"""moderation: audit entries in words (actor role, params), blocks with an end, one consistent proposal status

Revision ID: 0005_moderation
Revises: 0004_places
Create Date: 2026-11-24 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0005_moderation'
down_revision = '0004_places'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor_role', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.create_index('ix_audit_entries_commune_created', ['commune_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_actor_id'), ['actor_id'], unique=False)
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.alter_column('params', server_default=None)

    with op.batch_alter_table('commune_blocks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ends_at', sa.DateTime(), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_commune_blocks_ends_after_start'),
                                         'ends_at IS NULL OR ends_at > created_at')

    # Proposals saved before one status ruled them: a link to an original means "duplicate", unless the
    # proposal was accepted (then the link goes: an accepted proposal may already be a budget project).
    op.execute("UPDATE proposals SET duplicate_of_id = NULL WHERE duplicate_of_id = id "
               "OR (duplicate_of_id IS NOT NULL AND status IN ('accepted', 'withdrawn'))")
    op.execute("UPDATE proposals SET status = 'duplicate' WHERE duplicate_of_id IS NOT NULL")
    # A rejection always had to carry its answer; should one not, it goes back to evaluation rather than
    # blocking the upgrade.
    op.execute("UPDATE proposals SET status = 'evaluating' WHERE status = 'rejected' AND answer = ''")
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_check_constraint(batch_op.f('ck_proposals_duplicate_consistent'),
                                         "duplicate_of_id IS NULL OR (status = 'duplicate' AND duplicate_of_id <> id)")
        batch_op.create_check_constraint(batch_op.f('ck_proposals_rejection_answered'),
                                         "status <> 'rejected' OR answer <> ''")


def downgrade():
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_proposals_rejection_answered'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_proposals_duplicate_consistent'), type_='check')
    op.execute("UPDATE proposals SET status = 'rejected' WHERE status = 'duplicate' AND answer <> ''")
    op.execute("UPDATE proposals SET status = 'evaluating' WHERE status = 'duplicate'")
    with op.batch_alter_table('commune_blocks', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_commune_blocks_ends_after_start'), type_='check')
        batch_op.drop_column('ends_at')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entries_actor_id'))
        batch_op.drop_index('ix_audit_entries_commune_created')
        batch_op.drop_column('params')
        batch_op.drop_column('actor_role')
