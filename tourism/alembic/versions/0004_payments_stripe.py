"""payments: stripe attempts, refunds ledger, webhook inbox

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 05:12:57.025870
"""
from alembic import op
import sqlalchemy as sa
import tourism.db


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

OLD_STATUSES = "'pending', 'due_on_site', 'succeeded', 'failed', 'cancelled'"
NEW_STATUSES = OLD_STATUSES + ", 'partially_refunded', 'refunded'"


def upgrade():
    op.create_table('webhook_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('outcome', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('received_at', tourism.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_events')),
    sa.UniqueConstraint('provider', 'event_id', name=op.f('uq_webhook_events_provider'))
    )
    op.create_table('refunds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'succeeded', 'failed', name='refund_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('provider_reference', sa.String(length=120), nullable=True),
    sa.Column('idempotency_key', sa.String(length=120), nullable=True),
    sa.Column('failure_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', tourism.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', tourism.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount > 0', name=op.f('ck_refunds_amount_positive')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_refunds_payment_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_refunds_idempotency_key')),
    sa.UniqueConstraint('provider_reference', name=op.f('uq_refunds_provider_reference'))
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refunds_payment_id'), ['payment_id'], unique=False)

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempt', sa.Integer(), server_default=sa.text('1'), nullable=False))
        batch_op.add_column(sa.Column('failure_reason', sa.String(length=500), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_payments_provider'), ['provider', 'provider_reference'])
        batch_op.create_check_constraint('attempt_positive', 'attempt >= 1')
        # The status enum's CHECK gains the refund states.
        batch_op.drop_constraint(op.f('ck_payments_payment_status'), type_='check')
        batch_op.create_check_constraint('payment_status', f'status IN ({NEW_STATUSES})')


def downgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_payments_payment_status'), type_='check')
        batch_op.create_check_constraint('payment_status', f'status IN ({OLD_STATUSES})')
        batch_op.drop_constraint(op.f('ck_payments_attempt_positive'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_payments_provider'), type_='unique')
        batch_op.drop_column('failure_reason')
        batch_op.drop_column('attempt')

    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refunds_payment_id'))

    op.drop_table('refunds')
    op.drop_table('webhook_events')
