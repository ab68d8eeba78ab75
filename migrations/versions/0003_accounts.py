"""Server-side sessions (logout and password changes end them) and role invitations

Revision ID: 0003_accounts
Revises: 0002
Create Date: 2026-11-24 00:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0003_accounts'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('account_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_sessions')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_account_sessions_key_hash'))
    )
    with op.batch_alter_table('account_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_sessions_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('role_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.Enum('resident', 'moderator', 'reviewer', 'administrator', name='role', native_enum=False, length=16), nullable=False),
    sa.Column('status', sa.Enum('pending', 'accepted', 'declined', 'withdrawn', name='invitationstatus', native_enum=False, length=16), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_role_invitations_answered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_role_invitations_commune_id_communes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_role_invitations_invited_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_invitations'))
    )
    with op.batch_alter_table('role_invitations', schema=None) as batch_op:
        batch_op.create_index('ix_role_invitations_commune_status', ['commune_id', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('role_invitations', schema=None) as batch_op:
        batch_op.drop_index('ix_role_invitations_commune_status')
    op.drop_table('role_invitations')
    with op.batch_alter_table('account_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_sessions_user_id'))
        batch_op.drop_index(batch_op.f('ix_account_sessions_expires_at'))
    op.drop_table('account_sessions')
