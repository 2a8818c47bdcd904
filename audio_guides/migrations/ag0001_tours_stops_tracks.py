"""audio guides: tours, stops, tracks, play counts

Revision ID: ag0001
Revises: 
Create Date: 2026-11-24 07:12:57.762910
"""
from alembic import op
import sqlalchemy as sa


revision = 'ag0001'
down_revision = None
branch_labels = ('audio_guides',)
depends_on = '0006'


def upgrade():
    op.create_table('audio_tours',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', name='publication_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_audio_tours_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audio_tours')),
    sa.UniqueConstraint('slug', name=op.f('uq_audio_tours_slug'))
    )
    with op.batch_alter_table('audio_tours', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audio_tours_village_id'), ['village_id'], unique=False)

    op.create_table('audio_stops',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tour_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('keypad_number', sa.Integer(), nullable=False),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('heritage_asset_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('keypad_number > 0', name=op.f('ck_audio_stops_keypad_number_positive')),
    sa.ForeignKeyConstraint(['tour_id'], ['audio_tours.id'], name=op.f('fk_audio_stops_tour_id_audio_tours')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audio_stops')),
    sa.UniqueConstraint('code', name=op.f('uq_audio_stops_code')),
    sa.UniqueConstraint('tour_id', 'keypad_number', name=op.f('uq_audio_stops_tour_id'))
    )
    with op.batch_alter_table('audio_stops', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audio_stops_tour_id'), ['tour_id'], unique=False)

    op.create_table('audio_tour_experiences',
    sa.Column('tour_id', sa.Integer(), nullable=False),
    sa.Column('experience_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['experience_id'], ['experiences.id'], name=op.f('fk_audio_tour_experiences_experience_id_experiences')),
    sa.ForeignKeyConstraint(['tour_id'], ['audio_tours.id'], name=op.f('fk_audio_tour_experiences_tour_id_audio_tours')),
    sa.PrimaryKeyConstraint('tour_id', 'experience_id', name=op.f('pk_audio_tour_experiences'))
    )
    with op.batch_alter_table('audio_tour_experiences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audio_tour_experiences_experience_id'), ['experience_id'], unique=False)

    op.create_table('audio_tour_texts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tour_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['tour_id'], ['audio_tours.id'], name=op.f('fk_audio_tour_texts_tour_id_audio_tours')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audio_tour_texts')),
    sa.UniqueConstraint('tour_id', 'locale', name=op.f('uq_audio_tour_texts_tour_id'))
    )
    op.create_table('audio_play_counts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stop_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('plays', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['stop_id'], ['audio_stops.id'], name=op.f('fk_audio_play_counts_stop_id_audio_stops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audio_play_counts')),
    sa.UniqueConstraint('stop_id', 'locale', 'day', name=op.f('uq_audio_play_counts_stop_id'))
    )
    with op.batch_alter_table('audio_play_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audio_play_counts_stop_id'), ['stop_id'], unique=False)

    op.create_table('audio_stop_images',
    sa.Column('stop_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('alt', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['stop_id'], ['audio_stops.id'], name=op.f('fk_audio_stop_images_stop_id_audio_stops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audio_stop_images'))
    )
    with op.batch_alter_table('audio_stop_images', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audio_stop_images_stop_id'), ['stop_id'], unique=False)

    op.create_table('audio_stop_texts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stop_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['stop_id'], ['audio_stops.id'], name=op.f('fk_audio_stop_texts_stop_id_audio_stops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audio_stop_texts')),
    sa.UniqueConstraint('stop_id', 'locale', name=op.f('uq_audio_stop_texts_stop_id'))
    )
    op.create_table('audio_tracks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stop_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('audio_key', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('duration_seconds', sa.Double(), nullable=False),
    sa.Column('transcript_html', sa.Text(), nullable=False),
    sa.Column('vtt_key', sa.String(length=80), nullable=True),
    sa.CheckConstraint('duration_seconds > 0', name=op.f('ck_audio_tracks_duration_positive')),
    sa.CheckConstraint('size_bytes > 0', name=op.f('ck_audio_tracks_size_positive')),
    sa.ForeignKeyConstraint(['stop_id'], ['audio_stops.id'], name=op.f('fk_audio_tracks_stop_id_audio_stops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audio_tracks')),
    sa.UniqueConstraint('stop_id', 'locale', name=op.f('uq_audio_tracks_stop_id'))
    )
    with op.batch_alter_table('audio_tracks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audio_tracks_stop_id'), ['stop_id'], unique=False)



def downgrade():
    with op.batch_alter_table('audio_tracks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audio_tracks_stop_id'))

    op.drop_table('audio_tracks')
    op.drop_table('audio_stop_texts')
    with op.batch_alter_table('audio_stop_images', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audio_stop_images_stop_id'))

    op.drop_table('audio_stop_images')
    with op.batch_alter_table('audio_play_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audio_play_counts_stop_id'))

    op.drop_table('audio_play_counts')
    op.drop_table('audio_tour_texts')
    with op.batch_alter_table('audio_tour_experiences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audio_tour_experiences_experience_id'))

    op.drop_table('audio_tour_experiences')
    with op.batch_alter_table('audio_stops', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audio_stops_tour_id'))

    op.drop_table('audio_stops')
    with op.batch_alter_table('audio_tours', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audio_tours_village_id'))

    op.drop_table('audio_tours')
