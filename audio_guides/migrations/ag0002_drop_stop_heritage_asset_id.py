"""audio guides: drop audio_stops.heritage_asset_id (3D assets link to stops by code, from heritage3d)

Revision ID: ag0002
Revises: ag0001
Create Date: 2026-11-24 09:11:41.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'ag0002'
down_revision = 'ag0001'
branch_labels = None
depends_on = None


def upgrade():
    # Batch mode: SQLite drops a column by recreating the table.
    with op.batch_alter_table('audio_stops', schema=None) as batch_op:
        batch_op.drop_column('heritage_asset_id')


def downgrade():
    with op.batch_alter_table('audio_stops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heritage_asset_id', sa.Integer(), nullable=True))
