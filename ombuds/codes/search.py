"""Searching a code's provisions by the database engine.

PostgreSQL: full-text search in the configuration of the body's language (English and Spanish
stem: "complaints" finds "complaint"; a language PostgreSQL has no configuration for is searched
with 'simple', words as written), every word required, ranked by `ts_rank` over the heading
(weight A) and the text (weight B), a heading that matches and the phrase as written ranking
higher; when no provision has every word, trigram word similarity (pg_trgm) finds the words
typed with a slip ("complants"). SQLite: an FTS5 table (`codes_provision_fts`, Porter stemmer,
kept in step by triggers), ranked by bm25 with the heading weighing more, the phrase bonus the
same. Either way the provision's matching words come back marked by the engine itself
(`ts_headline`, FTS5 `highlight`), and `Hit` has the same shape.

A lead-in ("Members shall:") is searched on its own words; its clauses are found as themselves.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, Exists, F, FloatField, OuterRef, Q, TextField, Value, When
from django.db.models.functions import Coalesce, NullIf

from ombuds.codes.models import Provision

# Where the engine marks a matching word; characters codes do not use.
START, STOP = "\u27e6", "\u27e7"
# Body languages and the PostgreSQL text search configuration that stems them.
PG_CONFIGS = {
    "en": "english",
    "es": "spanish",
    "fr": "french",
    "de": "german",
    "pt": "portuguese",
    "it": "italian",
    "nl": "dutch",
}
SNIPPET_WIDTH = 240
_TOKEN = re.compile(r"[\w’']+", re.UNICODE)
_MAX_QUERY_TERMS = 12
# How alike a word typed with a slip must be to a word of the text (pg_trgm's word_similarity).
TYPO_SIMILARITY = 0.5


@dataclass
class Hit:
    provision: Provision
    score: float
    snippet: list[tuple[str, bool]]  # (text, is_match) runs, for highlighting without |safe


def terms(query: str) -> list[str]:
    found = [t.lower().strip("'’") for t in _TOKEN.findall(query)]
    return [t for t in found if t][:_MAX_QUERY_TERMS]


def _body(provision: Provision, is_parent: bool) -> str:
    return provision.text if is_parent else provision.full_text or provision.text


def runs(marked: str, *, width: int = SNIPPET_WIDTH) -> list[tuple[str, bool]]:
    """A window of the text marked by the engine (START word STOP), as (text, is_match) runs: from
    a dozen words before the first match, about `width` characters."""
    words = marked.split()
    first = next((i for i, w in enumerate(words) if START in w), 0)
    start = max(0, first - 12)
    out: list[tuple[str, bool]] = [("… ", False)] if start else []
    length = 0
    for word in words[start:]:
        if length > width:
            out.append((" …", False))
            break
        plain = word.replace(START, "").replace(STOP, "")
        out.append((plain + " ", START in word))
        length += len(plain) + 1
    return out


def _similar_runs(text: str, typed: list[str]) -> list[tuple[str, bool]]:
    """Marks the words of the text close to a word typed (for the trigram fallback)."""

    def close(word: str) -> bool:
        clean = word.lower().strip(".,;:()[]\"“”‘’'!?")
        return any(difflib.SequenceMatcher(None, clean, t).ratio() >= 0.75 for t in typed)

    return runs(" ".join(f"{START}{w}{STOP}" if close(w) else w for w in text.split()))


def search(version_ids: list[int], query: str, *, language: str, limit: int) -> list[Hit]:
    """The provisions of these versions matching every word of the query, best first."""
    words = terms(query)
    if not words or not version_ids:
        return []
    if connection.vendor == "postgresql":
        config = PG_CONFIGS.get(language.split("-")[0].lower(), "simple")
        hits = _pg_search(version_ids, " ".join(words), config, limit)
        return hits or _pg_similar(version_ids, words, limit)
    return _fts5_search(version_ids, words, limit)


def _with_body(provisions):
    """Provisions with `is_parent` and `body` (what is searched: a lead-in's own words, else its
    full text)."""
    return provisions.annotate(
        is_parent=Exists(Provision.objects.filter(parent_id=OuterRef("pk"))),
    ).annotate(
        body=Case(
            When(is_parent=True, then=F("text")),
            default=Coalesce(NullIf(F("full_text"), Value("")), F("text")),
            output_field=TextField(),
        )
    )


def _ordered(hits: Iterable[Hit], limit: int) -> list[Hit]:
    return sorted(hits, key=lambda h: (-h.score, h.provision.version_id, h.provision.position))[
        :limit
    ]


# --- PostgreSQL -----------------------------------------------------------------------------------


def _pg_search(version_ids: list[int], text: str, config: str, limit: int) -> list[Hit]:
    from django.contrib.postgres.search import (
        SearchHeadline,
        SearchQuery,
        SearchRank,
        SearchVector,
    )

    query = SearchQuery(text, config=config, search_type="plain")
    phrase = SearchQuery(text, config=config, search_type="phrase")
    heading = SearchVector("heading", config=config, weight="A")
    vector = heading + SearchVector("body", config=config, weight="B")
    found = (
        _with_body(Provision.objects.filter(version_id__in=version_ids))
        .annotate(vector=vector, in_heading=heading)
        .filter(vector=query)
        .annotate(
            score=SearchRank(F("vector"), query)
            + Case(When(in_heading=query, then=Value(1.0)), default=Value(0.0))
            + Case(When(vector=phrase, then=Value(1.0)), default=Value(0.0))
            + Case(When(~Q(text=""), then=Value(0.1)), default=Value(0.0)),
            marked=SearchHeadline(
                Coalesce(NullIf(F("body"), Value("")), F("heading"), output_field=TextField()),
                query,
                config=config,
                start_sel=START,
                stop_sel=STOP,
                highlight_all=True,
            ),
        )
        .select_related("version__code")
        .order_by(F("score").desc(), "version_id", "position")[:limit]
    )
    return [Hit(p, float(p.score), runs(p.marked)) for p in found]


def _pg_similar(version_ids: list[int], words: list[str], limit: int) -> list[Hit]:
    """Provisions with a word like each word typed, for a query with a slip in it."""
    from django.contrib.postgres.search import TrigramWordSimilarity

    typed = [w for w in words if len(w) >= 4]
    if not typed:
        return []
    provisions = _with_body(Provision.objects.filter(version_id__in=version_ids))
    score = Value(0.0, output_field=FloatField())
    for i, word in enumerate(typed):
        name = f"similar_{i}"
        provisions = provisions.annotate(
            **{
                name: TrigramWordSimilarity(
                    Value(word), Coalesce(F("body"), F("heading"), output_field=TextField())
                )
            }
        ).filter(**{f"{name}__gte": TYPO_SIMILARITY})
        score = score + F(name)
    found = (
        provisions.annotate(score=score)
        .select_related("version__code")
        .order_by(F("score").desc(), "version_id", "position")[:limit]
    )
    return [Hit(p, float(p.score), _similar_runs(p.body or p.heading, typed)) for p in found]


# --- SQLite ---------------------------------------------------------------------------------------

FTS_TABLE = "codes_provision_fts"


def _fts_query(words: list[str], columns: str = "") -> str:
    phrases = " AND ".join('"{}"'.format(w.replace('"', '""')) for w in words)
    return f"{{{columns}}} : ({phrases})" if columns else phrases


def _fts5_search(version_ids: list[int], words: list[str], limit: int) -> list[Hit]:
    """Every word in the heading or the searched text (a lead-in's own words), bm25 ranking with
    the heading five times the text, the phrase as written ranking higher."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid, bm25({FTS_TABLE}, 5.0, 1.0, 1.0), "
            f"highlight({FTS_TABLE}, 0, %s, %s), highlight({FTS_TABLE}, 1, %s, %s), "
            f"highlight({FTS_TABLE}, 2, %s, %s) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s",
            [START, STOP] * 3 + [_fts_query(words)],
        )
        matched = {row[0]: row[1:] for row in cursor.fetchall()}
        if not matched:
            return []
        cursor.execute(
            f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s",
            [_fts_query(words, "heading text")],
        )
        own_words = {row[0] for row in cursor.fetchall()}
        phrase = set()
        if len(words) > 1:
            quoted = " ".join(w.replace('"', '""') for w in words)
            cursor.execute(
                f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [f'"{quoted}"']
            )
            phrase = {row[0] for row in cursor.fetchall()}
    provisions = _with_body(
        Provision.objects.filter(version_id__in=version_ids, pk__in=list(matched))
    ).select_related("version__code")
    hits = []
    for p in provisions:
        if p.is_parent and p.pk not in own_words:
            continue  # its words are its clauses'
        bm25, heading, text, full_text = matched[p.pk]
        score = -bm25 + (1.0 if p.pk in phrase else 0.0) + (0.1 if p.text else 0.0)
        marked = text if p.is_parent else full_text or text
        hits.append(Hit(p, score, runs(marked or heading)))
    return _ordered(hits, limit)


def sqlite_ensure(cursor, *, rebuild: bool = False) -> None:
    """The FTS5 table of provisions and its triggers on SQLite, refilled when a trigger was
    missing (SQLite drops a table's triggers when a migration rebuilds the table)."""
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    existing = {row[0] for row in cursor.fetchall()}
    cursor.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(heading, text, full_text, "
        "tokenize = 'porter unicode61 remove_diacritics 2')"
    )
    table = "codes_provision"
    triggers = {
        f"{FTS_TABLE}_ai": f"AFTER INSERT ON {table} BEGIN INSERT INTO {FTS_TABLE}"
        "(rowid, heading, text, full_text) VALUES (new.id, new.heading, new.text, new.full_text); "
        "END",
        f"{FTS_TABLE}_ad": f"AFTER DELETE ON {table} BEGIN "
        f"DELETE FROM {FTS_TABLE} WHERE rowid = old.id; END",
        f"{FTS_TABLE}_au": f"AFTER UPDATE OF heading, text, full_text ON {table} BEGIN "
        f"UPDATE {FTS_TABLE} SET heading = new.heading, text = new.text, "
        "full_text = new.full_text WHERE rowid = new.id; END",
    }
    missing = [name for name in triggers if name not in existing]
    for name in missing:
        cursor.execute(f"CREATE TRIGGER {name} {triggers[name]}")
    if rebuild or missing:
        cursor.execute(f"DELETE FROM {FTS_TABLE}")
        cursor.execute(
            f"INSERT INTO {FTS_TABLE}(rowid, heading, text, full_text) "
            f"SELECT id, heading, text, full_text FROM {table}"
        )


def sqlite_drop(cursor) -> None:
    for suffix in ("ai", "ad", "au"):
        cursor.execute(f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{suffix}")
    cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
