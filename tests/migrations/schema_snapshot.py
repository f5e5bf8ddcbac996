"""What the database says about its schema, as plain values to compare two databases with."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, text

from bot.platform.db import Database


def schema(sync_conn: Any) -> dict[str, Any]:
    """Everything the database says about its tables: columns (in order, with types, nullability, server
    defaults), keys, indexes (with their predicates and methods), constraints; the sequences on PostgreSQL."""
    insp = inspect(sync_conn)
    out: dict[str, Any] = {}
    for table in sorted(insp.get_table_names()):
        out[table] = {
            "columns": [(c["name"], str(c["type"]), c["nullable"], str(c.get("default")), c.get("autoincrement"))
                        for c in insp.get_columns(table)],
            "pk": insp.get_pk_constraint(table),
            "fks": sorted((fk["name"] or "", fk["constrained_columns"], fk["referred_table"], fk["referred_columns"],
                           sorted(fk.get("options", {}).items())) for fk in insp.get_foreign_keys(table)),
            # dialect_options: a partial index's predicate and PostgreSQL's index method (gin) too
            "indexes": sorted((i["name"] or "", i["column_names"], bool(i["unique"]),
                               sorted((k, " ".join(str(v).split())) for k, v in i.get("dialect_options", {}).items()))
                              for i in insp.get_indexes(table)),
            "unique": sorted((u["name"] or "", u["column_names"]) for u in insp.get_unique_constraints(table)),
            "checks": sorted((c["name"] or "", " ".join(c["sqltext"].split())) for c in insp.get_check_constraints(table)),
        }
    if sync_conn.dialect.name == "postgresql":
        out["sequences"] = sorted(insp.get_sequence_names())
    return out


async def schema_of(db: Database) -> dict[str, Any]:
    """:func:`schema` of ``db``, with the revisions stamped in ``alembic_version``."""
    async with db.connect() as conn:
        out = await conn.run_sync(schema)
        out["alembic_version"]["rows"] = sorted(await conn.scalars(text("SELECT version_num FROM alembic_version")))
    return out
