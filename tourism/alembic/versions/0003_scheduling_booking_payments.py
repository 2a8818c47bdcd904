"""scheduling booking payments

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 04:42:01.337140
"""
from alembic import op
import sqlalchemy as sa
import tourism.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('resources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.CheckConstraint('capacity > 0', name=op.f('ck_resources_capacity_positive')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_resources_village_id_villages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resources'))
    )
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resources_village_id'), ['village_id'], unique=False)

    op.create_table('closures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('experience_id', sa.Integer(), nullable=True),
    sa.Column('village_id', sa.Integer(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.CheckConstraint('(experience_id IS NULL) <> (village_id IS NULL)', name=op.f('ck_closures_one_target')),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_closures_date_range')),
    sa.ForeignKeyConstraint(['experience_id'], ['experiences.id'], name=op.f('fk_closures_experience_id_experiences'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_closures_village_id_villages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_closures'))
    )
    with op.batch_alter_table('closures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_closures_experience_id'), ['experience_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_closures_village_id'), ['village_id'], unique=False)

    op.create_table('experience_resources',
    sa.Column('experience_id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['experience_id'], ['experiences.id'], name=op.f('fk_experience_resources_experience_id_experiences'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], name=op.f('fk_experience_resources_resource_id_resources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('experience_id', 'resource_id', name=op.f('pk_experience_resources'))
    )
    op.create_table('resource_slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', tourism.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('seats_taken', sa.Integer(), nullable=False),
    sa.CheckConstraint('seats_taken <= capacity', name=op.f('ck_resource_slots_within_capacity')),
    sa.CheckConstraint('seats_taken >= 0', name=op.f('ck_resource_slots_seats_taken_not_negative')),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], name=op.f('fk_resource_slots_resource_id_resources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resource_slots')),
    sa.UniqueConstraint('resource_id', 'starts_at', name=op.f('uq_resource_slots_resource_id'))
    )
    op.create_table('schedule_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('experience_id', sa.Integer(), nullable=False),
    sa.Column('rrule', sa.String(length=500), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.CheckConstraint('capacity > 0', name=op.f('ck_schedule_rules_capacity_positive')),
    sa.CheckConstraint('valid_until IS NULL OR valid_until >= valid_from', name=op.f('ck_schedule_rules_valid_range')),
    sa.ForeignKeyConstraint(['experience_id'], ['experiences.id'], name=op.f('fk_schedule_rules_experience_id_experiences'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule_rules'))
    )
    with op.batch_alter_table('schedule_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schedule_rules_experience_id'), ['experience_id'], unique=False)

    op.create_table('experience_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('experience_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', tourism.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', tourism.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('seats_booked', sa.Integer(), nullable=False),
    sa.Column('seats_held', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('open', 'cancelled', name='session_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('is_one_off', sa.Boolean(), nullable=False),
    sa.Column('ever_booked', sa.Boolean(), nullable=False),
    sa.Column('closure_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('capacity >= 0', name=op.f('ck_experience_sessions_capacity_not_negative')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_experience_sessions_ends_after_start')),
    sa.CheckConstraint('seats_booked + seats_held <= capacity', name=op.f('ck_experience_sessions_no_overbooking')),
    sa.CheckConstraint('seats_booked >= 0', name=op.f('ck_experience_sessions_seats_booked_not_negative')),
    sa.CheckConstraint('seats_held >= 0', name=op.f('ck_experience_sessions_seats_held_not_negative')),
    sa.ForeignKeyConstraint(['closure_id'], ['closures.id'], name=op.f('fk_experience_sessions_closure_id_closures'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['experience_id'], ['experiences.id'], name=op.f('fk_experience_sessions_experience_id_experiences'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_id'], ['schedule_rules.id'], name=op.f('fk_experience_sessions_rule_id_schedule_rules'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_experience_sessions')),
    sa.UniqueConstraint('experience_id', 'starts_at', name=op.f('uq_experience_sessions_experience_id'))
    )
    with op.batch_alter_table('experience_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_experience_sessions_closure_id'), ['closure_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_experience_sessions_rule_id'), ['rule_id'], unique=False)

    op.create_table('bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=12), nullable=False),
    sa.Column('experience_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('held', 'confirmed', 'cancelled', 'expired', name='booking_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('total_amount', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('contact_phone', sa.String(length=40), nullable=False),
    sa.Column('contact_country', sa.String(length=2), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('hold_expires_at', tourism.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', tourism.db.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('confirmed_at', tourism.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', tourism.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('payment_provider', sa.String(length=20), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('form_key', sa.String(length=64), nullable=True),
    sa.CheckConstraint('seats > 0', name=op.f('ck_bookings_seats_positive')),
    sa.CheckConstraint('total_amount >= 0', name=op.f('ck_bookings_total_not_negative')),
    sa.ForeignKeyConstraint(['experience_id'], ['experiences.id'], name=op.f('fk_bookings_experience_id_experiences')),
    sa.ForeignKeyConstraint(['session_id'], ['experience_sessions.id'], name=op.f('fk_bookings_session_id_experience_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings')),
    sa.UniqueConstraint('form_key', name=op.f('uq_bookings_form_key')),
    sa.UniqueConstraint('reference', name=op.f('uq_bookings_reference'))
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bookings_contact_email'), ['contact_email'], unique=False)
        batch_op.create_index(batch_op.f('ix_bookings_experience_id'), ['experience_id'], unique=False)
        batch_op.create_index('ix_bookings_session_holds', ['session_id', 'status', 'hold_expires_at'], unique=False)

    op.create_table('booking_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('tier_code', sa.String(length=20), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_booking_lines_quantity_positive')),
    sa.CheckConstraint('unit_price >= 0', name=op.f('ck_booking_lines_unit_price_not_negative')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_booking_lines_booking_id_bookings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_lines'))
    )
    with op.batch_alter_table('booking_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_lines_booking_id'), ['booking_id'], unique=False)

    op.create_table('booking_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', tourism.db.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_booking_tokens_booking_id_bookings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_booking_tokens_token_hash'))
    )
    with op.batch_alter_table('booking_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_tokens_booking_id'), ['booking_id'], unique=False)

    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.Enum('pending', 'due_on_site', 'succeeded', 'failed', 'cancelled', name='payment_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('refunded_amount', sa.Integer(), nullable=False),
    sa.Column('provider_reference', sa.String(length=120), nullable=True),
    sa.Column('created_at', tourism.db.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', tourism.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_payments_amount_not_negative')),
    sa.CheckConstraint('refunded_amount >= 0 AND refunded_amount <= amount', name=op.f('ck_payments_refund_within_amount')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_payments_booking_id_bookings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_booking_id'), ['booking_id'], unique=False)

    with op.batch_alter_table('experiences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('booking_cutoff_minutes', sa.Integer(), nullable=False, server_default='120'))
        batch_op.add_column(sa.Column('children_need_adult', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('daily_capacity', sa.Integer(), nullable=True))
        batch_op.create_check_constraint('cutoff_not_negative', 'booking_cutoff_minutes >= 0')
        batch_op.create_check_constraint('daily_capacity_positive', 'daily_capacity IS NULL OR daily_capacity > 0')




def downgrade():

    with op.batch_alter_table('experiences', schema=None) as batch_op:
        batch_op.drop_column('daily_capacity')
        batch_op.drop_column('children_need_adult')
        batch_op.drop_column('booking_cutoff_minutes')

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_booking_id'))

    op.drop_table('payments')
    with op.batch_alter_table('booking_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_tokens_booking_id'))

    op.drop_table('booking_tokens')
    with op.batch_alter_table('booking_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_lines_booking_id'))

    op.drop_table('booking_lines')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_session_holds')
        batch_op.drop_index(batch_op.f('ix_bookings_experience_id'))
        batch_op.drop_index(batch_op.f('ix_bookings_contact_email'))

    op.drop_table('bookings')
    with op.batch_alter_table('experience_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_experience_sessions_rule_id'))
        batch_op.drop_index(batch_op.f('ix_experience_sessions_closure_id'))

    op.drop_table('experience_sessions')
    with op.batch_alter_table('schedule_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_schedule_rules_experience_id'))

    op.drop_table('schedule_rules')
    op.drop_table('resource_slots')
    op.drop_table('experience_resources')
    with op.batch_alter_table('closures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_closures_village_id'))
        batch_op.drop_index(batch_op.f('ix_closures_experience_id'))

    op.drop_table('closures')
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resources_village_id'))

    op.drop_table('resources')

