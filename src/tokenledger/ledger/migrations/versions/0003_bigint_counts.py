"""Token counts as 64-bit integers.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04

PostgreSQL's INTEGER holds 2**31 - 1, less than a count the usage checks accept and less
than a total some long-running ledgers will reach in a row's sum; SQLite's INTEGER is
64-bit already, so there the tables are rebuilt only so the declared type matches.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COUNTS = (
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "cache_write_1h_tokens",
    "reasoning_tokens",
    "input_audio_tokens",
    "cache_audio_read_tokens",
    "output_audio_tokens",
    "web_searches",
    "total_tokens",
)
TABLES = ("usage_events", "messages")


def upgrade() -> None:
    _retype(sa.Integer(), sa.BigInteger())


def downgrade() -> None:
    _retype(sa.BigInteger(), sa.Integer())


def _retype(old: sa.types.TypeEngine[int], new: sa.types.TypeEngine[int]) -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            for column in COUNTS:
                batch.alter_column(
                    column, existing_type=old, type_=new, existing_nullable=False
                )
