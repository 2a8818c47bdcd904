"""tickets: admissions, one row per check-in scan

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 02:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import tourism.db


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('admissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('scan_id', sa.String(length=64), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('admitted_at', tourism.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_at', tourism.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('device', sa.String(length=64), nullable=True),
    sa.CheckConstraint('people > 0', name=op.f('ck_admissions_people_positive')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_admissions_booking_id_bookings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admissions')),
    sa.UniqueConstraint('scan_id', name=op.f('uq_admissions_scan_id'))
    )
    with op.batch_alter_table('admissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admissions_booking_id'), ['booking_id'], unique=False)


def downgrade():
    with op.batch_alter_table('admissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_admissions_booking_id'))

    op.drop_table('admissions')
