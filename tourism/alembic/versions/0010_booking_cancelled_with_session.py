"""booking: whether a booking was cancelled with its whole session

Until now a booking was known to have been cancelled with its session by its guest's
e-mail (dedupe key `session-cancelled:<booking id>`). A guest booked by hand at the village
may have no e-mail address, so the booking says it itself; bookings cancelled that way
before are found by their e-mail.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_with_session', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    bookings = sa.table('bookings', sa.column('id', sa.Integer()), sa.column('cancelled_with_session', sa.Boolean()))
    outbox = sa.table('outbox_messages', sa.column('dedupe_key', sa.String()))
    emailed = sa.exists().where(outbox.c.dedupe_key == sa.literal('session-cancelled:')
                                + sa.cast(bookings.c.id, sa.String()))
    op.execute(bookings.update().where(emailed).values(cancelled_with_session=sa.true()))


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('cancelled_with_session')
