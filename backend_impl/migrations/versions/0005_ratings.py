"""Ranked play: seasons per game, clan and player ratings per season, each war's result per clan

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 06:00:00

Wars settled before this revision have no ratings: their results are not replayed (the
first season of each game starts when the backend next runs), and their glory stays.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seasons",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("game_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("provisional_wars", sa.Integer(), nullable=False),
        sa.Column("farming_window_hours", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("clans", sa.Integer(), nullable=False),
        sa.Column("ranked_clans", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["game_id"], ["games.id"], name=op.f("fk_seasons_game_id_games")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seasons")),
        sa.UniqueConstraint("game_id", "number", name=op.f("uq_seasons_game_id")),
    )
    op.create_index("ix_seasons_game_status", "seasons", ["game_id", "status"])

    op.create_table(
        "clan_ratings",
        sa.Column("season_id", sa.Integer(), nullable=False),
        sa.Column("clan_id", sa.Integer(), nullable=False),
        sa.Column("mu", sa.Float(), nullable=False),
        sa.Column("sigma", sa.Float(), nullable=False),
        sa.Column("ordinal", sa.Float(), nullable=False),
        sa.Column("start_mu", sa.Float(), nullable=False),
        sa.Column("start_sigma", sa.Float(), nullable=False),
        sa.Column("played", sa.Integer(), nullable=False),
        sa.Column("won", sa.Integer(), nullable=False),
        sa.Column("lost", sa.Integer(), nullable=False),
        sa.Column("drawn", sa.Integer(), nullable=False),
        sa.Column("glory", sa.Integer(), nullable=False),
        sa.Column("streak", sa.Integer(), nullable=False),
        sa.Column("ranked", sa.Boolean(), nullable=False),
        sa.Column("last_ordinal_before", sa.Float(), nullable=True),
        sa.Column("last_ranked_before", sa.Boolean(), nullable=False),
        sa.Column("final_rank", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["clan_id"], ["clans.id"], name=op.f("fk_clan_ratings_clan_id_clans")),
        sa.ForeignKeyConstraint(["season_id"], ["seasons.id"], name=op.f("fk_clan_ratings_season_id_seasons")),
        sa.PrimaryKeyConstraint("season_id", "clan_id", name=op.f("pk_clan_ratings")),
    )
    op.create_index("ix_clan_ratings_board", "clan_ratings", ["season_id", "ranked", "ordinal", "clan_id"])
    op.create_index("ix_clan_ratings_clan", "clan_ratings", ["clan_id", "season_id"])

    op.create_table(
        "rating_buckets",
        sa.Column("season_id", sa.Integer(), nullable=False),
        sa.Column("ranked", sa.Boolean(), nullable=False),
        sa.Column("bucket", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("clans", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["season_id"], ["seasons.id"], name=op.f("fk_rating_buckets_season_id_seasons")),
        sa.PrimaryKeyConstraint("season_id", "ranked", "bucket", name=op.f("pk_rating_buckets")),
    )

    op.create_table(
        "player_ratings",
        sa.Column("season_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("mu", sa.Float(), nullable=False),
        sa.Column("sigma", sa.Float(), nullable=False),
        sa.Column("ordinal", sa.Float(), nullable=False),
        sa.Column("start_mu", sa.Float(), nullable=False),
        sa.Column("start_sigma", sa.Float(), nullable=False),
        sa.Column("played", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["season_id"], ["seasons.id"], name=op.f("fk_player_ratings_season_id_seasons")),
        sa.PrimaryKeyConstraint("season_id", "platform", "user_id", name=op.f("pk_player_ratings")),
    )
    op.create_index("ix_player_ratings_board", "player_ratings", ["season_id", "ordinal"])
    op.create_index("ix_player_ratings_player", "player_ratings", ["platform", "user_id", "season_id"])

    op.create_table(
        "war_results",
        sa.Column("war_id", sa.String(length=12), nullable=False),
        sa.Column("clan_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("season_id", sa.Integer(), nullable=False),
        sa.Column("game_id", sa.Integer(), nullable=False),
        sa.Column("opponent_clan_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("settled_at", sa.DateTime(), nullable=False),
        sa.Column("glory", sa.Integer(), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column("factor", sa.Float(), nullable=False),
        sa.Column("mu_before", sa.Float(), nullable=False),
        sa.Column("sigma_before", sa.Float(), nullable=False),
        sa.Column("mu_after", sa.Float(), nullable=False),
        sa.Column("sigma_after", sa.Float(), nullable=False),
        sa.Column("played_before", sa.Integer(), nullable=False),
        sa.Column("won_before", sa.Integer(), nullable=False),
        sa.Column("lost_before", sa.Integer(), nullable=False),
        sa.Column("drawn_before", sa.Integer(), nullable=False),
        sa.Column("glory_before", sa.Integer(), nullable=False),
        sa.Column("streak_before", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["clan_id"], ["clans.id"], name=op.f("fk_war_results_clan_id_clans")),
        sa.ForeignKeyConstraint(["season_id"], ["seasons.id"], name=op.f("fk_war_results_season_id_seasons")),
        sa.ForeignKeyConstraint(["war_id"], ["wars.id"], name=op.f("fk_war_results_war_id_wars")),
        sa.PrimaryKeyConstraint("war_id", "clan_id", name=op.f("pk_war_results")),
    )
    op.create_index("ix_war_results_clan_seq", "war_results", ["clan_id", "seq"])
    op.create_index("ix_war_results_clan_opponent_seq", "war_results", ["clan_id", "opponent_clan_id", "seq"])
    op.create_index("ix_war_results_season_seq", "war_results", ["season_id", "seq"])
    op.create_index("ix_war_results_seq", "war_results", ["seq"])

    with op.batch_alter_table("war_players") as batch:
        for name in ("mu_before", "sigma_before", "mu_after", "sigma_after"):
            batch.add_column(sa.Column(name, sa.Float(), nullable=True))
        batch.add_column(sa.Column("played_before", sa.Integer(), nullable=True))

    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE war_result_seq")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE war_result_seq")
    with op.batch_alter_table("war_players") as batch:
        for name in ("mu_before", "sigma_before", "played_before", "mu_after", "sigma_after"):
            batch.drop_column(name)
    op.drop_table("war_results")
    op.drop_table("player_ratings")
    op.drop_table("rating_buckets")
    op.drop_table("clan_ratings")
    op.drop_table("seasons")
