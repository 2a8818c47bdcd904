"""tickets: admissions taken back by "Undo this check-in"

An undone admission leaves `admissions` (so every count of admitted people drops it) and
is kept here, so that undoing twice, or the same scan sent again, changes nothing.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import tourism.db


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('undone_admissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('scan_id', sa.String(length=64), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('admitted_at', tourism.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_at', tourism.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('device', sa.String(length=64), nullable=True),
    sa.Column('undone_at', tourism.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_undone_admissions_booking_id_bookings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_undone_admissions')),
    sa.UniqueConstraint('scan_id', name=op.f('uq_undone_admissions_scan_id'))
    )
    with op.batch_alter_table('undone_admissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_undone_admissions_booking_id'), ['booking_id'], unique=False)


def downgrade():
    with op.batch_alter_table('undone_admissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_undone_admissions_booking_id'))

    op.drop_table('undone_admissions')
