"""Storage: SQLAlchemy Core on an async engine. Only bound parameters, atomic writes in one transaction.

Every table is on the one MetaData of :mod:`bot.platform.db.metadata`; :mod:`bot.schema` imports them all."""

from bot.platform.db.engine import Database, DatabaseError, mask_url

__all__ = ["Database", "DatabaseError", "mask_url"]
