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
from django.db.models import Q
from django.db.models.expressions import RawSQL

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


def narrowing(forms: list[str]) -> Q | None:
    """On PostgreSQL, the tickets that hold every bigram of at least one of these forms of a word (the word, or a
    phone number's other spellings); None where nothing narrows (SQLite, or a form of one character)."""
    if connection.vendor != "postgresql":
        return None
    alternatives = []
    for form in dict.fromkeys(forms):
        codes = sorted({code(g) for g in grams(form)})
        if not codes:
            return None  # this form matches too widely to narrow
        alternatives.append("(" + " & ".join(codes) + ")")
    from .models import Ticket

    return Q(pk__in=RawSQL(
        f"SELECT id FROM {Ticket._meta.db_table} WHERE {PG_VECTOR} @@ to_tsquery('simple', %s)",
        [" | ".join(alternatives)]))


# The GIN index's expression (migration tickets 0008); queries must use the same.
PG_VECTOR = "to_tsvector('simple', search_grams)"
PG_INDEX = f"CREATE INDEX IF NOT EXISTS tickets_ticket_search_grams ON tickets_ticket USING gin ({PG_VECTOR})"
