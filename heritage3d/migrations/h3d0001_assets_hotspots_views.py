"""3d heritage: assets, texts, hotspots, guided views, links

Revision ID: h3d0001
Revises: 
Create Date: 2026-11-24 09:06:39.839431
"""
from alembic import op
import sqlalchemy as sa


revision = 'h3d0001'
down_revision = None
branch_labels = ('heritage3d',)
depends_on = '0006'


def upgrade():
    op.create_table('heritage_assets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', name='publication_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('model_key', sa.String(length=80), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('triangle_count', sa.Integer(), nullable=False),
    sa.Column('vertex_count', sa.Integer(), nullable=False),
    sa.Column('poster_key', sa.String(length=80), nullable=False),
    sa.Column('poster_width', sa.Integer(), nullable=False),
    sa.Column('poster_height', sa.Integer(), nullable=False),
    sa.Column('creator', sa.String(length=200), nullable=False),
    sa.Column('licence', sa.Enum('CC-BY-4.0', 'CC-BY-SA-4.0', 'CC0-1.0', 'public-domain', 'all-rights-reserved', name='heritage_licence', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('attribution', sa.String(length=400), nullable=False),
    sa.Column('provenance', sa.Text(), nullable=False),
    sa.Column('width_m', sa.Double(), nullable=True),
    sa.Column('height_m', sa.Double(), nullable=True),
    sa.Column('depth_m', sa.Double(), nullable=True),
    sa.CheckConstraint('poster_width > 0 AND poster_height > 0', name=op.f('ck_heritage_assets_poster_size_positive')),
    sa.CheckConstraint('size_bytes > 0', name=op.f('ck_heritage_assets_size_positive')),
    sa.CheckConstraint('triangle_count >= 0', name=op.f('ck_heritage_assets_triangles_not_negative')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_heritage_assets_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_heritage_assets')),
    sa.UniqueConstraint('slug', name=op.f('uq_heritage_assets_slug'))
    )
    with op.batch_alter_table('heritage_assets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_heritage_assets_village_id'), ['village_id'], unique=False)

    op.create_table('heritage_asset_experiences',
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('experience_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['heritage_assets.id'], name=op.f('fk_heritage_asset_experiences_asset_id_heritage_assets')),
    sa.ForeignKeyConstraint(['experience_id'], ['experiences.id'], name=op.f('fk_heritage_asset_experiences_experience_id_experiences')),
    sa.PrimaryKeyConstraint('asset_id', 'experience_id', name=op.f('pk_heritage_asset_experiences'))
    )
    with op.batch_alter_table('heritage_asset_experiences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_heritage_asset_experiences_experience_id'), ['experience_id'], unique=False)

    op.create_table('heritage_asset_stops',
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('stop_code', sa.String(length=12), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['heritage_assets.id'], name=op.f('fk_heritage_asset_stops_asset_id_heritage_assets')),
    sa.PrimaryKeyConstraint('asset_id', 'stop_code', name=op.f('pk_heritage_asset_stops'))
    )
    with op.batch_alter_table('heritage_asset_stops', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_heritage_asset_stops_stop_code'), ['stop_code'], unique=False)

    op.create_table('heritage_asset_texts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('alt', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['heritage_assets.id'], name=op.f('fk_heritage_asset_texts_asset_id_heritage_assets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_heritage_asset_texts')),
    sa.UniqueConstraint('asset_id', 'locale', name=op.f('uq_heritage_asset_texts_asset_id'))
    )
    op.create_table('heritage_hotspots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('x', sa.Double(), nullable=False),
    sa.Column('y', sa.Double(), nullable=False),
    sa.Column('z', sa.Double(), nullable=False),
    sa.Column('normal_x', sa.Double(), nullable=False),
    sa.Column('normal_y', sa.Double(), nullable=False),
    sa.Column('normal_z', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['heritage_assets.id'], name=op.f('fk_heritage_hotspots_asset_id_heritage_assets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_heritage_hotspots'))
    )
    with op.batch_alter_table('heritage_hotspots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_heritage_hotspots_asset_id'), ['asset_id'], unique=False)

    op.create_table('heritage_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('orbit', sa.String(length=80), nullable=False),
    sa.Column('target', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['heritage_assets.id'], name=op.f('fk_heritage_views_asset_id_heritage_assets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_heritage_views'))
    )
    with op.batch_alter_table('heritage_views', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_heritage_views_asset_id'), ['asset_id'], unique=False)

    op.create_table('heritage_hotspot_texts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hotspot_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['hotspot_id'], ['heritage_hotspots.id'], name=op.f('fk_heritage_hotspot_texts_hotspot_id_heritage_hotspots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_heritage_hotspot_texts')),
    sa.UniqueConstraint('hotspot_id', 'locale', name=op.f('uq_heritage_hotspot_texts_hotspot_id'))
    )
    op.create_table('heritage_view_texts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('view_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('caption', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['view_id'], ['heritage_views.id'], name=op.f('fk_heritage_view_texts_view_id_heritage_views')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_heritage_view_texts')),
    sa.UniqueConstraint('view_id', 'locale', name=op.f('uq_heritage_view_texts_view_id'))
    )


def downgrade():
    op.drop_table('heritage_view_texts')
    op.drop_table('heritage_hotspot_texts')
    with op.batch_alter_table('heritage_views', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_heritage_views_asset_id'))

    op.drop_table('heritage_views')
    with op.batch_alter_table('heritage_hotspots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_heritage_hotspots_asset_id'))

    op.drop_table('heritage_hotspots')
    op.drop_table('heritage_asset_texts')
    with op.batch_alter_table('heritage_asset_stops', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_heritage_asset_stops_stop_code'))

    op.drop_table('heritage_asset_stops')
    with op.batch_alter_table('heritage_asset_experiences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_heritage_asset_experiences_experience_id'))

    op.drop_table('heritage_asset_experiences')
    with op.batch_alter_table('heritage_assets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_heritage_assets_village_id'))

    op.drop_table('heritage_assets')
