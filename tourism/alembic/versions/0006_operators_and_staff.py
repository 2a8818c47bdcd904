"""accounts: operators own villages; users belong to one operator as owner or staff;
sign-in failures for throttling

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 06:17:50.297434
"""
from alembic import op
import sqlalchemy as sa
import tourism.db


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('operators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operators')),
    sa.UniqueConstraint('slug', name=op.f('uq_operators_slug'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('operator_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('operator_role', sa.Enum('owner', 'staff', name='operator_role', native_enum=False, create_constraint=True, length=20), nullable=True))
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))
        batch_op.create_index(batch_op.f('ix_users_operator_id'), ['operator_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_operator_id_operators'), 'operators', ['operator_id'], ['id'])
        batch_op.create_check_constraint(op.f('ck_users_operator_has_role'), '(operator_id IS NULL) = (operator_role IS NULL)')

    op.create_table('sign_in_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('failed_at', tourism.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_failures'))
    )
    with op.batch_alter_table('sign_in_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_failures_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_failures_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_failures_failed_at'), ['failed_at'], unique=False)

    with op.batch_alter_table('villages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('operator_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_villages_operator_id'), ['operator_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_villages_operator_id_operators'), 'operators', ['operator_id'], ['id'])



def downgrade():
    with op.batch_alter_table('villages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_villages_operator_id_operators'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_villages_operator_id'))
        batch_op.drop_column('operator_id')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_operator_has_role'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_users_operator_id_operators'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_operator_id'))
        batch_op.drop_column('session_version')
        batch_op.drop_column('operator_role')
        batch_op.drop_column('operator_id')

    with op.batch_alter_table('sign_in_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_failures_failed_at'))
        batch_op.drop_index(batch_op.f('ix_sign_in_failures_email'))
        batch_op.drop_index(batch_op.f('ix_sign_in_failures_address'))

    op.drop_table('sign_in_failures')
    op.drop_table('operators')
