"""Storage: SQLAlchemy Core on an async engine. Only bound parameters, atomic writes in one transaction."""

from bot.platform.db.engine import Database, DatabaseError, mask_url
from bot.schema import metadata

__all__ = ["Database", "DatabaseError", "mask_url", "metadata"]
