"""An index for 工单查询's words at scale: each ticket's searchable text as the codes of its character bigrams.

A word found in a ticket (title, content, address, number, and the caller's name and phone for those who may
search them) contains all of its bigrams, so "every bigram of the word is in the ticket" is a superset of the
matches: on PostgreSQL a GIN index over these codes narrows a million tickets to a few candidates, and the exact
condition (`queries.search_q`, the same on both databases) decides. No word is missed for not being a jieba word
(幸福里 is found in 幸福里小区): the index only ever narrows. Words of one character are not narrowed. SQLite, the
embedded default's size, scans. Codes are ASCII (`g` + a hash of the bigram), so any locale tokenizes them.
"""

import zlib

from django.db import connection
from django.db.models import BooleanField, F, Func, Q, Value

FIELDS = ("number", "title", "content", "address", "caller_name", "caller_phone")


def grams(text: str) -> set[str]:
    out = set()
    for run in (text or "").lower().split():
        out.update(run[i:i + 2] for i in range(len(run) - 1))
    return out


def code(gram: str) -> str:
    return f"g{zlib.crc32(gram.encode('utf-8')) & 0xFFFFFF:06x}"  # 24 bits: a collision only widens the narrowing


def document(ticket) -> str:
    """The index text of a ticket (stored in Ticket.search_grams when it is registered)."""
    found = set()
    for name in FIELDS:
        found |= grams(getattr(ticket, name, "") or "")
    return " ".join(sorted(code(g) for g in found))


def term(forms: list[str]) -> str | None:
    """The index query for one word: every bigram of at least one of its forms (the word, or a phone number's other
    spellings); None when a form has no bigram (one character: it cannot narrow)."""
    alternatives = []
    for form in dict.fromkeys(forms):
        codes = sorted({code(g) for g in grams(form)})
        if not codes:
            return None
        alternatives.append("(" + " & ".join(codes) + ")")
    return "(" + " | ".join(alternatives) + ")"


class _Matches(Func):
    """`to_tsvector('simple', <search_grams>) @@ to_tsquery('simple', %s)`: the GIN index's own expression, on the
    query's own alias of the ticket table."""

    output_field = BooleanField()
    conditional = True

    def as_sql(self, compiler, connection, **extra):
        column, column_params = compiler.compile(self.source_expressions[0])
        query, query_params = compiler.compile(self.source_expressions[1])
        return f"to_tsvector('simple', {column}) @@ to_tsquery('simple', {query})", [*column_params, *query_params]


def narrowing(terms: list[str | None]) -> Q | None:
    """On PostgreSQL, one index condition for all the words (those that can narrow); None where nothing narrows
    (SQLite, or only one-character words)."""
    terms = [t for t in terms if t]
    if connection.vendor != "postgresql" or not terms:
        return None
    return Q(_Matches(F("search_grams"), Value(" & ".join(terms))))


# The GIN index's expression (migration tickets 0008); queries must use the same.
PG_VECTOR = "to_tsvector('simple', search_grams)"
PG_INDEX = f"CREATE INDEX IF NOT EXISTS tickets_ticket_search_grams ON tickets_ticket USING gin ({PG_VECTOR})"
