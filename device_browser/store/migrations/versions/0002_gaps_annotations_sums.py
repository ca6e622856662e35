"""Gaps (device outages) and annotations; blocks keep their count of values and sum for means.

The sums of the blocks already stored are computed from their data here, so statistics of an
upgraded store come from block metadata like those of a new one.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from device_browser.store.codec import decode_values, value_stats

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
BATCH = 256  # blocks decoded per round trip while filling the sums


def upgrade() -> None:
    op.create_table(
        "gaps",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("recording_id", Id, sa.ForeignKey("recordings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("device", sa.Text, nullable=False, server_default=""),
        sa.Column("start_ns", sa.BigInteger, nullable=False),
        sa.Column("end_ns", sa.BigInteger),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_gaps_recording_start", "gaps", ["recording_id", "start_ns"])
    op.create_table(
        "annotations",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("recording_id", Id, sa.ForeignKey("recordings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("start_ns", sa.BigInteger, nullable=False),
        sa.Column("end_ns", sa.BigInteger, nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("author", sa.Text, nullable=False, server_default=""),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("created_ns", sa.BigInteger),
    )
    op.create_index("ix_annotations_label", "annotations", ["label"])
    op.create_index("ix_annotations_recording_start", "annotations", ["recording_id", "start_ns"])
    with op.batch_alter_table("blocks") as batch:
        batch.add_column(sa.Column("n_values", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("v_sum", sa.Double))
    _fill_sums(op.get_bind())


def _fill_sums(connection: sa.Connection) -> None:
    blocks = sa.table("blocks", sa.column("id"), sa.column("count"), sa.column("v_data"),
                      sa.column("n_values"), sa.column("v_sum"))
    last = -1
    while True:
        rows = connection.execute(sa.select(blocks.c.id, blocks.c.count, blocks.c.v_data)
                                  .where(blocks.c.id > last).order_by(blocks.c.id).limit(BATCH)).all()
        if not rows:
            return
        updates = []
        for row in rows:
            n_values, _, _, v_sum = value_stats(decode_values(row.count, row.v_data))
            updates.append({"b_id": row.id, "n_values": n_values, "v_sum": v_sum})
        connection.execute(blocks.update().where(blocks.c.id == sa.bindparam("b_id"))
                           .values(n_values=sa.bindparam("n_values"), v_sum=sa.bindparam("v_sum")), updates)
        last = rows[-1].id
