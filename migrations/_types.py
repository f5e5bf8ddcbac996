"""Column types of the migrations: a frozen copy of ``bot.db.types`` as the revisions up to 0011 used it.

Revisions are history: they must create the same tables whatever the application's code becomes, so they
never import the application. This copy gives the same DDL on both backends (``TIMESTAMP WITH TIME ZONE``
on PostgreSQL, ``DATETIME`` on SQLite) and converts values the same way in the data migrations
(``tests/migrations`` checks both). Do not change it: a revision that needs another type gets its own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    PostgreSQL stores ``timestamptz``. SQLite has no time zones: values are stored as naive UTC text in a
    fixed format (so comparisons in SQL stay correct) and come back aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not accepted; use an aware UTC datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
