"""The catalogues (docs/languages.md): complete in every language, with the same placeholders, and up to date
with the code; the translation function, plurals, numbers, and the language each reader gets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.platform import i18n
from bot.platform.config import parse_config
from bot.platform.config.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z_]+)\}(?!\})")
TRANSLATED = [lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT]
KEYWORDS = {"tr": None, "ngettext": (1, 2), "N_": None}  # as in the Makefile's `make i18n`


def catalog(lang: str):  # type: ignore[no-untyped-def]
    with i18n.po_path(lang).open("rb") as f:
        return read_po(f, locale=lang)


def template():  # type: ignore[no-untyped-def]
    with (i18n.LOCALE_DIR / "kudos.pot").open("rb") as f:
        return read_po(f)


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_the_template_holds_every_message_the_code_says() -> None:
    """``make i18n`` was run: each message wrapped in the code (tr, ngettext, N_) and in the dashboard's
    templates (``{{ tr("…") }}``) is in kudos.pot."""
    in_code = set()
    for method in ("bot", "cogs"):
        for _file, _line, message, _comments, _context in extract_from_dir(
                ROOT / method, method_map=[("**.py", "python")], keywords=KEYWORDS):
            in_code.add(message)
    for _file, _line, message, _comments, _context in extract_from_dir(  # the dashboard's templates
            ROOT / "bot" / "web" / "templates", method_map=[("**.html", "jinja2")], keywords=KEYWORDS):
        in_code.add(message)
    pot = {m.id for m in template() if m.id and not m.context}
    missing = sorted(str(m) for m in in_code - pot)
    assert not missing, f"run `make i18n`: messages missing from bot/locale/kudos.pot: {missing[:5]}"
    assert len(in_code) > 100  # the extraction found the converted cogs


def problems_of(cat, pot) -> list[str]:  # type: ignore[no-untyped-def]
    """What a catalogue lacks against the template: a message, a plural form, or the same placeholders."""
    by_key = {(m.id, m.context): m for m in cat if m.id}
    problems = []
    for msg in pot:
        if not msg.id:
            continue
        got = by_key.get((msg.id, msg.context))
        name = msg.id[0] if isinstance(msg.id, tuple) else msg.id
        if got is None or got.fuzzy:
            problems.append(f"missing or fuzzy: {name!r}")
            continue
        if isinstance(msg.id, tuple):
            forms = list(got.string)
            if len(forms) != cat.num_plurals or not all(forms):
                problems.append(f"{name!r}: {sum(map(bool, forms))} of the language's {cat.num_plurals} plural forms")
                continue
            want = placeholders(msg.id[1])
            problems += [f"{name!r} form {n}: placeholders {sorted(placeholders(f))} != {sorted(want)}"
                         for n, f in enumerate(forms) if placeholders(f) != want]
        elif not got.string:
            problems.append(f"untranslated: {name!r}")
        elif placeholders(got.string) != placeholders(msg.id):
            problems.append(f"{name!r}: placeholders {sorted(placeholders(got.string))} != "
                            f"{sorted(placeholders(msg.id))}")
    return problems


def test_no_message_hides_from_extraction() -> None:
    """``pybabel extract`` finds ``tr("…")``, ``tr.ngettext("…", "…", n)`` and ``N_("…")``; a literal handed
    straight to a translator expression (``for_reader(i)("…")``) would be shown untranslated, so none is."""
    hidden = re.compile(r"""(translator\([^)]*\)|for_reader\([^)]*\)|for_guild\([^)]*\))\)?\(\s*[rf]?["']""")
    found = [f"{path.relative_to(ROOT)}:{n}" for top in ("bot", "cogs") for path in sorted((ROOT / top).rglob("*.py"))
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if hidden.search(line)]
    assert not found, f"call tr(...) on a name pybabel knows: {found}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_catalogue_translates_every_message_with_the_same_placeholders(lang: str) -> None:
    problems = problems_of(catalog(lang), template())
    assert not problems, f"{lang}: {len(problems)} problem(s): {problems[:8]}"


@pytest.mark.parametrize("lang", [*TRANSLATED, i18n.DEFAULT])
def test_every_catalogue_passes_pybabel_compile_s_checks(lang: str) -> None:
    """`make mo` (pybabel compile, run by `make test`) refuses a catalogue its checkers reject: a message
    pybabel takes for a %-format ("below 90% of" reads as "% o") whose translation has other "placeholders"
    stopped CI once. The same checkers, on every catalogue."""
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog(lang).check()]
    assert not problems, f"{lang}: {problems[:5]}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_a_catalogue_with_no_compiled_file_is_compiled_from_its_po(lang: str) -> None:
    """A fresh clone has no .mo: the loader compiles the .po (here straight from the source)."""
    import gettext
    import io

    compiled = gettext.GNUTranslations(io.BytesIO(i18n.compile_catalogue(lang)))
    assert compiled.gettext("Me too") != "Me too"
    assert compiled.gettext("Me too") == i18n.translator(lang)("Me too")


def test_the_completeness_check_catches_a_missing_message_and_a_changed_placeholder() -> None:
    """The check above is not hollow: a catalogue with one message dropped and one placeholder renamed fails."""
    cat = catalog("de")
    assert problems_of(cat, template()) == []
    cat.delete("Me too")
    cat["Status: {status}"].string = "Status: {zustand}"
    cat[("{count} vote", "{count} votes")].string = ("{count} Stimme", "")
    assert sorted(problems_of(cat, template())) == [
        "'Status: {status}': placeholders ['zustand'] != ['status']",
        "'{count} vote': 1 of the language's 2 plural forms",
        "missing or fuzzy: 'Me too'",
    ]


@pytest.mark.parametrize(("locale", "lang"), [
    ("de", "de"), ("fr", "fr"), ("es-ES", "es"), ("es-419", "es"), ("pt-BR", "pt_BR"), ("ja", "ja"),
    ("en-US", "en"), ("en-GB", "en"), ("ko", "en"), (None, "en"), ("", "en"), ("pt_BR", "pt_BR"),
])
def test_discord_locales_map_to_catalogues(locale: str | None, lang: str) -> None:
    assert i18n.language(locale) == lang


def test_named_placeholders_plurals_and_numbers() -> None:
    de, fr, ja, en = (i18n.translator(x) for x in ("de", "fr", "ja", "en-US"))
    assert de("Reported by {member}", member="<@1>") == "Gemeldet von <@1>"
    assert de.ngettext("{count} vote", "{count} votes", 1) == "1 Stimme"
    assert de.ngettext("{count} vote", "{count} votes", 1234) == "1.234 Stimmen"
    assert fr.ngettext("{count} vote", "{count} votes", 0) == "0 vote"  # French: 0 is singular
    assert ja.ngettext("{count} vote", "{count} votes", 3) == "3 票"
    assert en.ngettext("{count} vote", "{count} votes", 2) == "2 votes"
    assert fr.number(1234.5) == "1\u202f234,5"
    assert en("Reported by {member}", member="{code}") == "Reported by {code}"  # values are never parsed


def test_dates_are_written_the_language_s_way() -> None:
    from datetime import date

    assert i18n.translator("de").date(date(2026, 3, 1), "long") == "1. März 2026"
    assert i18n.translator("ja").date(date(2026, 3, 1), "long") == "2026年3月1日"


def test_public_and_dm_languages() -> None:
    assert i18n.public_language("fr", "de") == "fr"  # the guild's setting wins
    assert i18n.public_language(None, "de") == "de"  # else the server's preferred locale
    assert i18n.dm_language("ja", "de") == "ja"  # a member's last interaction
    assert i18n.dm_language(None, "es-ES") == "es"  # else the server's


def test_guild_language_setting_is_checked_and_names_the_key() -> None:
    cfg = parse_config({"guilds": {"default": {"language": "pt-BR"}}})
    assert cfg.guild(1).language == "pt_BR"
    with pytest.raises(ConfigError, match=r"guilds\.default\.language.*unknown language 'klingon'"):
        parse_config({"guilds": {"default": {"language": "klingon"}}})
