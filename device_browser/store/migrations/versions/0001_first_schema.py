"""The first store schema: recordings, tags and blocks of samples (encoding 1).

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "recordings",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("operator", sa.Text, nullable=False, server_default=""),
        sa.Column("started_ns", sa.BigInteger),
        sa.Column("ended_ns", sa.BigInteger),
        sa.Column("devices", sa.JSON, nullable=False),
        sa.Column("notes", sa.Text, nullable=False, server_default=""),
    )
    op.create_table(
        "tags",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("recording_id", Id, sa.ForeignKey("recordings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("unit", sa.Text, nullable=False, server_default=""),
        sa.Column("device", sa.Text, nullable=False, server_default=""),
        sa.Column("point", sa.Text, nullable=False, server_default=""),
        sa.Column("ref", sa.Text, nullable=False, server_default=""),
        sa.UniqueConstraint("recording_id", "name", name="uq_tags_recording_name"),
    )
    op.create_table(
        "blocks",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("tag_id", Id, sa.ForeignKey("tags.id", ondelete="CASCADE"), nullable=False),
        sa.Column("recording_id", Id, sa.ForeignKey("recordings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("t_first", sa.BigInteger, nullable=False),
        sa.Column("t_last", sa.BigInteger, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("v_min", sa.Double),
        sa.Column("v_max", sa.Double),
        sa.Column("encoding", sa.SmallInteger, nullable=False),
        sa.Column("t_width", sa.SmallInteger, nullable=False),
        sa.Column("t_data", sa.LargeBinary, nullable=False),
        sa.Column("v_data", sa.LargeBinary, nullable=False),
        sa.Column("q_data", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_blocks_tag_first", "blocks", ["tag_id", "t_first"])
    op.create_index("ix_blocks_tag_last", "blocks", ["tag_id", "t_last"])
    if op.get_context().dialect.name == "postgresql":
        # The arrays are compressed already: TOAST's own compression would only cost time.
        for column in ("t_data", "v_data", "q_data"):
            op.execute(f"ALTER TABLE blocks ALTER COLUMN {column} SET STORAGE EXTERNAL")
