"""The one MetaData every feature's tables are defined on, with the naming convention migrations rely on."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import MetaData
from sqlalchemy.sql.base import DialectKWArgs

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Item = TypeVar("Item", bound=DialectKWArgs)
_postgresql_options: list[tuple[DialectKWArgs, dict[str, Any]]] = []


def on_postgresql(item: Item, **options: Any) -> Item:
    """``item`` (an index, say) with PostgreSQL's options (``where=``, ``using=``), set when a PostgreSQL database
    is opened (``use_postgresql_options``). Written in the definition (``postgresql_where=``), SQLAlchemy would
    import its PostgreSQL dialect to check them in every bot, on SQLite too (2.2 MB of RSS; docs/scaling.md)."""
    _postgresql_options.append((item, options))
    return item


def use_postgresql_options() -> None:
    """Give every ``on_postgresql`` item its options (again: idempotent). ``bot.platform.db.Database`` calls it for
    a PostgreSQL URL, before anything creates or compares the schema there."""
    for item, options in _postgresql_options:
        for name, value in options.items():
            item.dialect_options["postgresql"][name] = value
