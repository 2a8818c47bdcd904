"""accounts: password links (reset, invitation), reset requests counted for throttling, and on
users the e-mail language, the last sign-in and whether an owner removed them

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 13:28:40.462860
"""
from alembic import op
import sqlalchemy as sa
import tourism.db


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('password_reset_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('requested_at', tourism.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset_requests'))
    )
    with op.batch_alter_table('password_reset_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_reset_requests_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_password_reset_requests_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_password_reset_requests_requested_at'), ['requested_at'], unique=False)

    op.create_table('password_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.Enum('reset', 'invite', name='token_purpose', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('created_at', tourism.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', tourism.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', tourism.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_password_tokens_token_hash'))
    )
    with op.batch_alter_table('password_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_tokens_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('last_sign_in_at', tourism.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deactivated_at', tourism.db.UTCDateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('deactivated_at')
        batch_op.drop_column('last_sign_in_at')
        batch_op.drop_column('locale')

    with op.batch_alter_table('password_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_tokens_user_id'))

    op.drop_table('password_tokens')
    with op.batch_alter_table('password_reset_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_reset_requests_requested_at'))
        batch_op.drop_index(batch_op.f('ix_password_reset_requests_email'))
        batch_op.drop_index(batch_op.f('ix_password_reset_requests_address'))

    op.drop_table('password_reset_requests')
