"""booking: the village's products added to a booking, their fulfilment and delivery address

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 10:43:10.140372
"""
from alembic import op
import sqlalchemy as sa
import tourism.db


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('booking_product_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Integer(), nullable=False),
    sa.Column('handed_over_at', tourism.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('quantity BETWEEN 1 AND 99', name=op.f('ck_booking_product_lines_quantity_range')),
    sa.CheckConstraint('unit_price >= 0', name=op.f('ck_booking_product_lines_unit_price_not_negative')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_booking_product_lines_booking_id_bookings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_booking_product_lines_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_product_lines')),
    sa.UniqueConstraint('booking_id', 'product_id', name=op.f('uq_booking_product_lines_booking_id'))
    )
    with op.batch_alter_table('booking_product_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_product_lines_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_product_lines_product_id'), ['product_id'], unique=False)

    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fulfilment', sa.Enum('pickup', 'delivery', name='fulfilment', native_enum=False, create_constraint=True, length=20), nullable=True))
        batch_op.add_column(sa.Column('shipping_fee', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('delivery_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('delivery_phone', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('delivery_street', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('delivery_ward', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('delivery_district', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('delivery_province', sa.String(length=100), nullable=True))
        batch_op.create_check_constraint('shipping_fee_not_negative', 'shipping_fee >= 0')
        batch_op.create_check_constraint(
            'delivery_has_address',
            "fulfilment IS NULL OR fulfilment <> 'delivery' OR delivery_street IS NOT NULL")



def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_bookings_delivery_has_address'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_bookings_shipping_fee_not_negative'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_bookings_fulfilment'), type_='check')
        batch_op.drop_column('delivery_province')
        batch_op.drop_column('delivery_district')
        batch_op.drop_column('delivery_ward')
        batch_op.drop_column('delivery_street')
        batch_op.drop_column('delivery_phone')
        batch_op.drop_column('delivery_name')
        batch_op.drop_column('shipping_fee')
        batch_op.drop_column('fulfilment')

    with op.batch_alter_table('booking_product_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_product_lines_product_id'))
        batch_op.drop_index(batch_op.f('ix_booking_product_lines_booking_id'))

    op.drop_table('booking_product_lines')
