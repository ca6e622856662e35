"""The store's tables at the newest revision (SQLAlchemy Core; the migrations hold each older one).

``recordings`` (sessions) own ``tags``; each tag's samples are ``blocks`` (see
:mod:`device_browser.store.codec`) with their time range and value statistics, indexed by
``(tag_id, t_first)`` and ``(tag_id, t_last)`` so a time-range query reads only the blocks that
overlap it. ``gaps`` are device outages recorded as such and ``annotations`` labelled time ranges.
Times are int64 nanoseconds since the epoch (UTC). Deleting a recording deletes what it owns.
"""

from __future__ import annotations

import sqlalchemy as sa

VERSION_TABLE = "millwright_store_version"  # Alembic's version table, named so it cannot clash in a shared database

metadata = sa.MetaData()
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # an INTEGER PRIMARY KEY is SQLite's rowid

recordings = sa.Table(
    "recordings", metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("operator", sa.Text, nullable=False, server_default=""),
    sa.Column("started_ns", sa.BigInteger),
    sa.Column("ended_ns", sa.BigInteger),
    sa.Column("devices", sa.JSON, nullable=False),
    sa.Column("notes", sa.Text, nullable=False, server_default=""),
)

tags = sa.Table(
    "tags", metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("recording_id", Id, sa.ForeignKey("recordings.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("unit", sa.Text, nullable=False, server_default=""),
    sa.Column("device", sa.Text, nullable=False, server_default=""),
    sa.Column("point", sa.Text, nullable=False, server_default=""),
    sa.Column("ref", sa.Text, nullable=False, server_default=""),
    sa.UniqueConstraint("recording_id", "name", name="uq_tags_recording_name"),
)

blocks = sa.Table(
    "blocks", metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("tag_id", Id, sa.ForeignKey("tags.id", ondelete="CASCADE"), nullable=False),
    sa.Column("recording_id", Id, sa.ForeignKey("recordings.id", ondelete="CASCADE"), nullable=False),
    sa.Column("t_first", sa.BigInteger, nullable=False),
    sa.Column("t_last", sa.BigInteger, nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("n_values", sa.Integer, nullable=False),
    sa.Column("v_min", sa.Double),
    sa.Column("v_max", sa.Double),
    sa.Column("v_sum", sa.Double),
    sa.Column("encoding", sa.SmallInteger, nullable=False),
    sa.Column("t_width", sa.SmallInteger, nullable=False),
    sa.Column("t_data", sa.LargeBinary, nullable=False),
    sa.Column("v_data", sa.LargeBinary, nullable=False),
    sa.Column("q_data", sa.LargeBinary, nullable=False),
    sa.Index("ix_blocks_tag_first", "tag_id", "t_first"),
    sa.Index("ix_blocks_tag_last", "tag_id", "t_last"),
)

gaps = sa.Table(
    "gaps", metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("recording_id", Id, sa.ForeignKey("recordings.id", ondelete="CASCADE"), nullable=False),
    sa.Column("device", sa.Text, nullable=False, server_default=""),
    sa.Column("start_ns", sa.BigInteger, nullable=False),
    sa.Column("end_ns", sa.BigInteger),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Index("ix_gaps_recording_start", "recording_id", "start_ns"),
)

annotations = sa.Table(
    "annotations", metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("recording_id", Id, sa.ForeignKey("recordings.id", ondelete="CASCADE"), nullable=False),
    sa.Column("start_ns", sa.BigInteger, nullable=False),
    sa.Column("end_ns", sa.BigInteger, nullable=False),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("author", sa.Text, nullable=False, server_default=""),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("created_ns", sa.BigInteger),
    sa.Index("ix_annotations_label", "label"),
    sa.Index("ix_annotations_recording_start", "recording_id", "start_ns"),
)
