"""Alembic, driven from code: the CLI's `db` commands and the tests use the same functions."""

import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config

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


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)
