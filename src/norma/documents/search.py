"""Full-text search over documents: SQLite FTS5 or PostgreSQL full-text search.

Both index `DocumentText` (title plus the text of the revision in force): on SQLite an FTS5
table kept in step by triggers, on PostgreSQL a GIN index on the same expression the query
uses. Results are ranked, limited to what the person may read, and come with highlighted
snippets. People type words, not query syntax: every word must match, the last as a prefix.
"""

import re
from dataclasses import dataclass

from django.db import connection
from django.utils.html import escape
from django.utils.safestring import mark_safe

from norma.core.scope import KINDS
from norma.documents.models import Document

LIMIT = 50
MAX_WORDS = 12
START, STOP = "\ue000", "\ue001"  # private-use marks, turned into <mark> after escaping
# Exactly the indexed expression (documents migration 0002), so the GIN index answers.
PG_VECTOR = (
    "(setweight(to_tsvector('english', translate(title, '-', ' ')), 'A') "
    "|| setweight(to_tsvector('english', body), 'B'))"
)
PG_MATCH = " WHERE " + PG_VECTOR + " @@ q"
PG_ORDER = " ORDER BY ts_rank(" + PG_VECTOR + ", q) DESC, t.document_id LIMIT %s"


@dataclass
class Hit:
    document: Document
    title: str
    snippet: str
    obsolete: bool


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text or "")[:MAX_WORDS]


def highlighted(text: str) -> str:
    html = escape(text or "").replace(START, "<mark>").replace(STOP, "</mark>")
    return mark_safe(html)  # noqa: S308  (escaped just above; only our own marks added)


def search(person, text: str, include_obsolete: bool = False, limit: int = LIMIT) -> list[Hit]:
    terms = words(text)
    if not terms:
        return []
    scope = person.scope
    if connection.vendor == "postgresql":
        rows = _postgresql(terms, scope, include_obsolete, limit)
    else:
        rows = _sqlite(terms, scope, include_obsolete, limit)
    # Archived documents leave the results here; scope was applied inside the ranked query.
    documents = (
        Document.objects.live()
        .select_related("document_type", "owner")
        .in_bulk([row[0] for row in rows])
    )
    return [
        Hit(documents[pk], highlighted(title), highlighted(snippet), bool(obsolete))
        for pk, title, snippet, obsolete in rows
        if pk in documents
    ]


def _scope_clause(scope, column: str) -> tuple[str, list]:
    """Limit a scoped person to the documents that apply at one of their sites (departments),
    or at none, inside the ranked query: checked on the link tables for each match, so hidden
    rows never take a place and nobody pays for listing every visible document first."""
    if scope.unlimited:
        return "", []
    sql, params = "", []
    for kind in KINDS:
        limits = scope.limits(kind)
        if not limits:
            continue
        table = Document._meta.get_field(f"{kind}s").remote_field.through._meta.db_table
        # Table and column names come from our models; the ids are parameters.
        linked = f"SELECT 1 FROM {table} l WHERE l.document_id = {column}"  # noqa: S608
        marks = ", ".join(["%s"] * len(limits))
        sql += f" AND (NOT EXISTS ({linked}) OR EXISTS ({linked} AND l.{kind}_id IN ({marks})))"
        params += sorted(limits)
    return sql, params


def _sqlite(terms, scope, include_obsolete, limit):
    """Documents whose title holds every word come first; then the others whose text does.

    The title tier is cheap (few titles match) and often fills the page, so the costly
    ranking of body matches runs only for what is left. Four queries (a count and the rows,
    per tier, the second empty when the titles fill the page), whatever the documents.
    """
    phrases = [f'"{w}"' for w in terms[:-1]] + [f'"{terms[-1]}"*']
    anywhere = " ".join(phrases)
    # Matched in the title; the words again on their own so the text's snippet marks them too.
    in_titles = " AND ".join(f"title : {phrase}" for phrase in phrases) + f" AND {anywhere}"
    rows = _sqlite_ranked(in_titles, scope, include_obsolete, limit, exclude=[])
    rest = _sqlite_ranked(
        anywhere, scope, include_obsolete, limit - len(rows), [r[0] for r in rows]
    )
    return rows + rest


RANKED_AT_MOST = 1000  # more matches than this: ranking them all costs more than it tells


def _sqlite_ranked(match, scope, include_obsolete, limit, exclude):
    """The best `limit` matches by bm25, titles weighing eight times the text; a word found in
    more than RANKED_AT_MOST documents (a type's name, in half the titles) lists the newest
    first instead, which FTS5 reads in index order without ranking every match."""
    scope_sql, scope_params = _scope_clause(scope, "documents_fts.rowid")
    # "+rowid": without the +, FTS5 would run the match once per listed id.
    excluded = f" AND +rowid NOT IN ({', '.join(['%s'] * len(exclude))})" if exclude else ""
    matches = " FROM documents_fts WHERE documents_fts MATCH %s" + (
        "" if include_obsolete else " AND obsolete = 0"
    )
    with connection.cursor() as cursor:
        # How common the words are, whoever asks: counted without the scope's checks.
        cursor.execute(
            f"SELECT count(*) FROM (SELECT rowid{matches} LIMIT %s)",  # noqa: S608
            [match, RANKED_AT_MOST + 1],
        )
        common = cursor.fetchone()[0] > RANKED_AT_MOST
        order = "rowid DESC" if common else "bm25(documents_fts, 8.0, 1.0)"
        cursor.execute(
            "SELECT rowid, highlight(documents_fts, 0, %s, %s), "
            "snippet(documents_fts, 1, %s, %s, ' … ', 24), obsolete"
            + matches
            + scope_sql
            + excluded
            + f" ORDER BY {order} LIMIT %s",
            [START, STOP, START, STOP, match, *scope_params, *exclude, limit],
        )
        return cursor.fetchall()


def _postgresql(terms, scope, include_obsolete, limit):
    query = " & ".join([*terms[:-1], f"{terms[-1]}:*"])
    scope_sql, scope_params = _scope_clause(scope, "t.document_id")
    options = f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=10, MaxFragments=2"
    sql = (
        "SELECT t.document_id, "
        "ts_headline('english', t.title, q, %s), "
        "ts_headline('english', t.body, q, %s), t.obsolete "
        "FROM documents_documenttext t, to_tsquery('english', %s) q"
        + PG_MATCH
        + ("" if include_obsolete else " AND NOT t.obsolete")
        + scope_sql
        + PG_ORDER
    )
    params = [
        f"HighlightAll=true, StartSel={START}, StopSel={STOP}",
        options,
        query,
        *scope_params,
        limit,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
