"""shop: products, texts, images, store links, batches, experience links

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 10:20:21.879915
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', name='publication_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('price', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('unit', sa.Enum('box', 'piece', 'kg', name='product_unit', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=False),
    sa.Column('ocop_stars', sa.Integer(), nullable=True),
    sa.Column('producer', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=200), nullable=False),
    sa.Column('certifications', sa.JSON(), nullable=False),
    sa.CheckConstraint('ocop_stars IS NULL OR ocop_stars BETWEEN 3 AND 5', name=op.f('ck_products_ocop_stars_range')),
    sa.CheckConstraint('price > 0', name=op.f('ck_products_price_positive')),
    sa.CheckConstraint('stock >= 0', name=op.f('ck_products_stock_not_negative')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_products_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('slug', name=op.f('uq_products_slug'))
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_products_village_id'), ['village_id'], unique=False)

    op.create_table('experience_products',
    sa.Column('experience_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('reason', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['experience_id'], ['experiences.id'], name=op.f('fk_experience_products_experience_id_experiences'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_experience_products_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('experience_id', 'product_id', name=op.f('pk_experience_products'))
    )
    with op.batch_alter_table('experience_products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_experience_products_product_id'), ['product_id'], unique=False)

    op.create_table('product_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('made_on', sa.Date(), nullable=False),
    sa.Column('notes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_batches_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_batches')),
    sa.UniqueConstraint('code', name=op.f('uq_product_batches_code'))
    )
    with op.batch_alter_table('product_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_batches_product_id'), ['product_id'], unique=False)

    op.create_table('product_images',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('alt', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_images_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_images'))
    )
    with op.batch_alter_table('product_images', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_images_product_id'), ['product_id'], unique=False)

    op.create_table('product_store_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('marketplace', sa.Enum('shopee', 'tiktok_shop', 'lazada', 'etsy', 'amazon', 'own_site', name='marketplace', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_store_links_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_store_links')),
    sa.UniqueConstraint('product_id', 'marketplace', name=op.f('uq_product_store_links_product_id'))
    )
    with op.batch_alter_table('product_store_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_store_links_product_id'), ['product_id'], unique=False)

    op.create_table('product_texts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_texts_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_texts')),
    sa.UniqueConstraint('product_id', 'locale', name=op.f('uq_product_texts_product_id'))
    )


def downgrade():
    op.drop_table('product_texts')
    with op.batch_alter_table('product_store_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_store_links_product_id'))

    op.drop_table('product_store_links')
    with op.batch_alter_table('product_images', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_images_product_id'))

    op.drop_table('product_images')
    with op.batch_alter_table('product_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_batches_product_id'))

    op.drop_table('product_batches')
    with op.batch_alter_table('experience_products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_experience_products_product_id'))

    op.drop_table('experience_products')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_village_id'))

    op.drop_table('products')
