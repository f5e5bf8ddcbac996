"""Column types shared by the schema."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.types import TypeDecorator, UserDefinedType

# Snowflakes fit a signed 64-bit integer. Surrogate keys use INTEGER on SQLite so that AUTOINCREMENT works.
Snowflake = BigInteger
SurrogateKey = BigInteger().with_variant(Integer(), "sqlite")


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


class _PostgresName(UserDefinedType[Any]):
    """A PostgreSQL type named in DDL and casts by its SQL name only, so that a bot on SQLite never imports
    SQLAlchemy's PostgreSQL dialect (2.2 MB of RSS; docs/scaling.md, "Memory"). Nothing is converted: the values
    stay in the database (a ``tsvector`` column is written and searched in SQL, a ``regconfig`` is a cast)."""

    cache_ok = True
    sql_name = ""

    def get_col_spec(self, **kw: Any) -> str:
        return self.sql_name


class TSVector(_PostgresName):
    cache_ok = True  # SQLAlchemy reads it from each class itself
    sql_name = "TSVECTOR"


class RegConfig(_PostgresName):
    cache_ok = True
    sql_name = "REGCONFIG"
