"""Users, gateway keys and usage events.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Types are spelled out here rather than imported from the models, so later model
changes cannot rewrite what this migration did. Money: NUMERIC without a declared
precision on PostgreSQL (exact, any scale); exact decimal text on SQLite, where
Numeric would be a binary float.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
MONEY = sa.Numeric().with_variant(sa.Text(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint("name", name="uq_users_name"),
    )
    _create_api_keys()
    _create_usage_events()


def _create_api_keys() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
    )
    op.create_index("ix_api_keys_user_id", "api_keys", ["user_id"])
    op.create_index("ix_api_keys_prefix", "api_keys", ["prefix"])


def _create_usage_events() -> None:
    counts = [
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
    ]
    op.create_table(
        "usage_events",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("ts", TIMESTAMP, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("user_name", sa.String(200), nullable=True),
        sa.Column("key_id", sa.String(32), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("api", sa.String(64), nullable=False),
        sa.Column("model_requested", sa.String(200), nullable=True),
        sa.Column("model", sa.String(200), nullable=True),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in counts],
        sa.Column("cost_usd", MONEY, nullable=True),
        sa.Column("cost_source", sa.String(16), nullable=False),
        sa.Column("price_entry", sa.String(200), nullable=True),
        sa.Column("price_version", sa.String(100), nullable=True),
        sa.Column("estimated", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("flags", sa.Text(), nullable=False),
    )
    op.create_index("ix_usage_events_ts", "usage_events", ["ts"])
    op.create_index("ix_usage_events_user_name_ts", "usage_events", ["user_name", "ts"])
    op.create_index("ix_usage_events_model_ts", "usage_events", ["model", "ts"])


def downgrade() -> None:
    op.drop_table("usage_events")
    op.drop_table("api_keys")
    op.drop_table("users")
