"""The first revision: the tables as they were when migrations began.

A database made before then (tables, no alembic_version) is stamped here, not created again.

Revision ID: 0001
Revises:
Create Date: 2026-11-28 14:52:20.093519
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('model_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('built_by', sa.String(length=80), nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('baseline_version', sa.String(length=60), nullable=False),
    sa.Column('figures_json', sa.Text(), nullable=False),
    sa.Column('training_json', sa.Text(), nullable=False),
    sa.Column('promotable', sa.Boolean(), nullable=False),
    sa.Column('decision', sa.String(length=500), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('promoted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('promoted_by', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_model_version_version'), 'model_version', ['version'], unique=True)
    op.create_table('team',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('user',
    sa.Column('username', sa.String(length=60), nullable=False),
    sa.Column('full_name', sa.String(length=120), nullable=False),
    sa.Column('role', sa.Enum('practitioner', 'supervisor', 'trainer', 'admin', name='role'), nullable=False),
    sa.Column('locality', sa.String(length=80), nullable=False),
    sa.Column('discipline', sa.String(length=80), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('password_hash', sa.String(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_user_team_id'), 'user', ['team_id'], unique=False)
    op.create_index(op.f('ix_user_username'), 'user', ['username'], unique=True)
    op.create_table('goal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('score_id', sa.String(length=60), nullable=False),
    sa.Column('target', sa.Float(), nullable=True),
    sa.Column('agreed_on', sa.Date(), nullable=False),
    sa.Column('achieved', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['practitioner_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['set_by_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_goal_practitioner_id'), 'goal', ['practitioner_id'], unique=False)
    op.create_table('mi_session',
    sa.Column('session_date', sa.Date(), nullable=False),
    sa.Column('family_ref', sa.String(length=40), nullable=False),
    sa.Column('change_goals', sa.String(length=500), nullable=False),
    sa.Column('setting', sa.Enum('home_visit', 'office', 'phone', 'video', name='setting'), nullable=False),
    sa.Column('visibility', sa.Enum('private', 'shared', 'trainer', name='visibility'), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('scheme_id', sa.String(length=60), nullable=False),
    sa.Column('model_name', sa.String(length=60), nullable=False),
    sa.Column('model_version', sa.String(length=60), nullable=False),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('summary_json', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_mi_session_owner_id'), 'mi_session', ['owner_id'], unique=False)
    op.create_index(op.f('ix_mi_session_team_id'), 'mi_session', ['team_id'], unique=False)
    op.create_table('supervision_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('supervisor_id', sa.Integer(), nullable=False),
    sa.Column('note_date', sa.Date(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['practitioner_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['supervisor_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_supervision_note_practitioner_id'), 'supervision_note', ['practitioner_id'], unique=False)
    op.create_index(op.f('ix_supervision_note_supervisor_id'), 'supervision_note', ['supervisor_id'], unique=False)
    op.create_table('token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_token_token_hash'), 'token', ['token_hash'], unique=True)
    op.create_index(op.f('ix_token_user_id'), 'token', ['user_id'], unique=False)
    op.create_table('human_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('global_id', sa.String(length=60), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('rated_by_id', sa.Integer(), nullable=False),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['rated_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['mi_session.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('session_id', 'global_id')
    )
    op.create_index(op.f('ix_human_rating_session_id'), 'human_rating', ['session_id'], unique=False)
    op.create_table('supervision_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('sections_json', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('edited_by_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('shared_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['edited_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['mi_session.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('session_id')
    )
    op.create_table('turn',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=40), nullable=False),
    sa.Column('speaker', sa.String(length=80), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('coded', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['mi_session.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_turn_session_id'), 'turn', ['session_id'], unique=False)
    op.create_table('utterance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('turn_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('start', sa.Integer(), nullable=False),
    sa.Column('end', sa.Integer(), nullable=False),
    sa.Column('auto_code', sa.String(length=30), nullable=False),
    sa.Column('auto_subtype', sa.String(length=30), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('source', sa.String(length=80), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('human_code', sa.String(length=30), nullable=True),
    sa.Column('human_subtype', sa.String(length=30), nullable=False),
    sa.Column('corrected_by_id', sa.Integer(), nullable=True),
    sa.Column('corrected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('correction_reason', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['corrected_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['mi_session.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['turn_id'], ['turn.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_utterance_session_id'), 'utterance', ['session_id'], unique=False)
    op.create_index(op.f('ix_utterance_turn_id'), 'utterance', ['turn_id'], unique=False)
    op.create_table('correction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('utterance_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('previous_code', sa.String(length=30), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('subtype', sa.String(length=30), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['mi_session.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['utterance_id'], ['utterance.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_correction_session_id'), 'correction', ['session_id'], unique=False)
    op.create_index(op.f('ix_correction_utterance_id'), 'correction', ['utterance_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_correction_utterance_id'), table_name='correction')
    op.drop_index(op.f('ix_correction_session_id'), table_name='correction')
    op.drop_table('correction')
    op.drop_index(op.f('ix_utterance_turn_id'), table_name='utterance')
    op.drop_index(op.f('ix_utterance_session_id'), table_name='utterance')
    op.drop_table('utterance')
    op.drop_index(op.f('ix_turn_session_id'), table_name='turn')
    op.drop_table('turn')
    op.drop_table('supervision_feedback')
    op.drop_index(op.f('ix_human_rating_session_id'), table_name='human_rating')
    op.drop_table('human_rating')
    op.drop_index(op.f('ix_token_user_id'), table_name='token')
    op.drop_index(op.f('ix_token_token_hash'), table_name='token')
    op.drop_table('token')
    op.drop_index(op.f('ix_supervision_note_supervisor_id'), table_name='supervision_note')
    op.drop_index(op.f('ix_supervision_note_practitioner_id'), table_name='supervision_note')
    op.drop_table('supervision_note')
    op.drop_index(op.f('ix_mi_session_team_id'), table_name='mi_session')
    op.drop_index(op.f('ix_mi_session_owner_id'), table_name='mi_session')
    op.drop_table('mi_session')
    op.drop_index(op.f('ix_goal_practitioner_id'), table_name='goal')
    op.drop_table('goal')
    op.drop_index(op.f('ix_user_username'), table_name='user')
    op.drop_index(op.f('ix_user_team_id'), table_name='user')
    op.drop_table('user')
    op.drop_table('team')
    op.drop_index(op.f('ix_model_version_version'), table_name='model_version')
    op.drop_table('model_version')
    for name in ('role', 'setting', 'visibility'):  # PostgreSQL's enum types
        sa.Enum(name=name).drop(op.get_bind(), checkfirst=True)
