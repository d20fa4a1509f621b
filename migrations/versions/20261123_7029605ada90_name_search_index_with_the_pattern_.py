"""name search index with the pattern operator class on PostgreSQL

Revision ID: 7029605ada90
Revises: 1c06bf18d705
Create Date: 2026-11-23 05:52:22.759392

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7029605ada90'
down_revision = '1c06bf18d705'
branch_labels = None
depends_on = None


def upgrade():
    # LIKE 'prefix%' on PostgreSQL needs varchar_pattern_ops to use an index (its collation is
    # not C); SQLite keeps a plain index, which its GLOB prefix search uses.
    with op.batch_alter_table('jobseekers', schema=None) as batch_op:
        batch_op.drop_index('ix_jobseekers_search_name')
        batch_op.create_index('ix_jobseekers_search_name', ['search_name'], unique=False,
                              postgresql_ops={'search_name': 'varchar_pattern_ops'})


def downgrade():
    with op.batch_alter_table('jobseekers', schema=None) as batch_op:
        batch_op.drop_index('ix_jobseekers_search_name')
        batch_op.create_index('ix_jobseekers_search_name', ['search_name'], unique=False)
