"""The migration history is frozen and linear at the top: one head, and nothing under migrations/ imports the
application (bot, cogs), so a revision runs the same whatever the application's code becomes. The column type
the revisions use (migrations/_types.py) is the application's, copied: same DDL, same conversions."""

from __future__ import annotations

import ast
import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Column, MetaData, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateTable

import bot.platform.db.types
import migrations._types
from bot.platform.db import migrate

APP_PACKAGES = {"bot", "cogs"}
MIGRATIONS = migrate.MIGRATIONS_DIR


def app_imports(source: str) -> list[str]:
    """Every module of the application that ``source`` imports, anywhere in it (also inside functions, and
    through ``importlib.import_module`` / ``__import__`` with a literal name)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                names = [node.args[0].value]
        found += [name for name in names if name.split(".")[0] in APP_PACKAGES]
    return found


def test_the_import_check_finds_application_imports() -> None:
    source = ("import bot.platform.db.types\nfrom cogs.admin import X\nimport sqlalchemy as sa\nfrom migrations import _types\n"
              "def f():\n    from bot.ledger.stages import replay\n"
              "    importlib.import_module('bot.schema')\n")
    assert app_imports(source) == ["bot.platform.db.types", "cogs.admin", "bot.ledger.stages", "bot.schema"]


def test_no_file_under_migrations_imports_the_application() -> None:
    files = sorted(MIGRATIONS.rglob("*.py"))
    assert MIGRATIONS / "env.py" in files and len([f for f in files if f.parent.name == "versions"]) > 10
    offenders = {str(f.relative_to(MIGRATIONS)): app_imports(f.read_text()) for f in files}
    assert {f: names for f, names in offenders.items() if names} == {}


def test_the_history_has_one_head() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    heads = script.get_heads()
    assert len(heads) == 1, f"several heads: {sorted(heads)}; add a merge revision (alembic merge heads)"
    assert migrate.head_revisions() == tuple(heads), (
        f"bot.platform.db.migrate.HEAD_REVISIONS is {migrate.head_revisions()}, the history's head {tuple(heads)}: "
        "update HEAD_REVISIONS with the new revision")
    # every revision leads to it: no revision is left out of the merge
    assert {r.revision for r in script.walk_revisions()} == {r.revision for r in script.iterate_revisions(
        heads[0], "base")}


def _ddl(column_type: type, dialect: object) -> str:
    table = Table("t", MetaData(), Column("at", column_type(timezone=True), nullable=False),
                  Column("maybe", column_type(timezone=True), nullable=True))
    return str(CreateTable(table).compile(dialect=dialect))


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "postgresql"])
def test_the_copied_time_type_is_the_applications(dialect: object) -> None:
    app, frozen = bot.platform.db.types.UTCDateTime, migrations._types.UTCDateTime
    assert _ddl(frozen, dialect) == _ddl(app, dialect)
    assert frozen.cache_ok and repr(frozen(timezone=True)) == repr(app(timezone=True))
    plus_two = timezone(timedelta(hours=2))
    values = [None, datetime(2026, 1, 1, 12, tzinfo=UTC), datetime(2026, 1, 1, 14, 30, 5, 123456, tzinfo=plus_two),
              datetime(2026, 6, 1, 8, tzinfo=UTC).replace(tzinfo=None)]  # naive: refused as a bind, made UTC as a result
    for value in values:
        if value is not None and value.tzinfo is None:
            for kind in (app, frozen):
                with pytest.raises(ValueError, match="naive datetimes"):
                    kind().process_bind_param(value, dialect)
        else:
            bound = frozen().process_bind_param(value, dialect)
            assert repr(bound) == repr(app().process_bind_param(value, dialect))  # the same instant and zone
            assert bound is None or (bound.tzinfo is None) == (dialect.name == "sqlite")  # naive UTC on SQLite
        result = frozen().process_result_value(value, dialect)
        assert repr(result) == repr(app().process_result_value(value, dialect))
        assert result is None or result.tzinfo == UTC


def _copy_of_migrations(tmp_path: Path, *, without: tuple[str, ...] = ()) -> Path:
    copy = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    for name in without:
        (copy / "versions" / name).unlink()
    return copy


def test_a_new_revision_does_not_import_the_application(tmp_path: Path) -> None:
    """The revision template imports the frozen types, not the application's."""
    cfg = migrate.alembic_config()
    cfg.set_main_option("script_location", str(_copy_of_migrations(tmp_path)))
    script = command.revision(cfg, "probe", rev_id="probe")
    assert script is not None and not isinstance(script, list)
    source = Path(script.path).read_text()
    assert app_imports(source) == [] and "import migrations._types" in source


def test_autogenerate_renders_the_frozen_types(tmp_path: Path) -> None:
    """``alembic revision --autogenerate`` compares with the application's tables (``target_metadata`` named in
    alembic.ini) and writes the time type as ``migrations._types.UTCDateTime``: the new revision imports no
    application code. Here the ladder tables of 0011 are missing from the database, so autogenerate adds them."""
    # 0011 and every revision after it (which revise it, directly or through 0012)
    later = tuple(sorted(p.name for p in (MIGRATIONS / "versions").glob("0*.py") if p.name >= "0011"))
    copy = _copy_of_migrations(tmp_path, without=later)
    cfg = migrate.alembic_config()
    cfg.set_main_option("script_location", str(copy))
    cfg.set_main_option("sqlalchemy.url", f"sqlite+aiosqlite:///{tmp_path / 'auto.db'}")
    ini = (Path(migrate.MIGRATIONS_DIR).parent / "alembic.ini").read_text()
    assert "target_metadata = bot.schema:metadata" in ini
    cfg.set_main_option("target_metadata", "bot.schema:metadata")
    command.upgrade(cfg, "heads")
    script = command.revision(cfg, "probe", rev_id="probe", autogenerate=True, head="0010")
    assert script is not None and not isinstance(script, list)
    source = Path(script.path).read_text()
    assert "op.create_table('member_stages'" in source
    assert "sa.Column('since', migrations._types.UTCDateTime(timezone=True), nullable=False)" in source
    assert app_imports(source) == [] and "bot." not in source
