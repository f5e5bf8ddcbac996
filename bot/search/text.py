"""Words as the similarity score sees them: lower case, English stop words out, a light suffix stemmer.

The databases stem with their own tokenizers (FTS5 ``porter``, PostgreSQL's text search configuration) to
find candidates; this module scores them the same way on both, so a threshold means the same everywhere.
"""

from __future__ import annotations

import re

WORD = re.compile(r"[a-z0-9]+")

STOP_WORDS = frozenset("""
a about after again all also am an and any are as at be been before being both but by can cant could did
didnt do does doesnt doing dont down during each few for from further get gets getting got had has have
having he her here hers him his how i if im in into is isnt it its ive just me more most my no nor not now
of off on once only or other our out over own please same she should so some still such than that the their
them then there these they this those through to too under until up very was wasnt we were what when where
which while who whom why will with wont would you your yours anyone anybody something thing things really
""".split())


def words(text: str) -> list[str]:
    """The text's words, lower case, apostrophes folded (``doesn't`` -> ``doesnt``), stop words kept."""
    return WORD.findall(text.casefold().replace("'", "").replace("\u2019", ""))


def stem(word: str) -> str:
    """A light English suffix stripper (``drains``/``draining``/``drained`` -> ``drain``,
    ``batteries`` -> ``battery``): enough to compare, not a linguist."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, repl in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("ly", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: len(word) - len(suffix)] + repl
            break
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "slz":  # "stopp(ing)" -> "stop"
        word = word[:-1]
    return word.rstrip("e") if len(word) > 4 else word


def terms(text: str) -> list[str]:
    """Stemmed content words, in order, each once."""
    return list(dict.fromkeys(stem(w) for w in words(text) if w not in STOP_WORDS and len(w) > 1))
