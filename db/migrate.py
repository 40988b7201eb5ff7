"""Alembic, driven from code: the CLI's `db` commands and the tests use the same functions."""

import importlib
from pathlib import Path

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
MODEL_MODULES = (
    "accounts.models",
    "directory.models",
    "directory.version",
    "referrals.models",
    "geo.models",
    "web.models",
    "notify.models",
)


def load_models():
    """Import every package's models so Base.metadata knows all tables."""
    for module in MODEL_MODULES:
        importlib.import_module(module)
    from db.base import Base

    return Base.metadata


def alembic_config(database_url: str):
    from alembic.config import Config  # alembic loads in a third of a second: only for the `db` commands

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(database_url), revision)
