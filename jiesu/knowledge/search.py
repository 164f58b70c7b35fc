"""Chinese search over the knowledge base, the same on SQLite (FTS5) and PostgreSQL (tsvector + GIN).

Texts are cut into words by jieba (search mode: 社会保险 also yields 社会 and 保险), and each word is stored as
an ASCII code (`k` + its CRC32 in hex): both databases then index plain ASCII tokens whatever their locale,
and rank with their own BM25 (FTS5) or cover density (ts_rank_cd). Title and question variants weigh more
than tags and answer. Queries are expanded with the synonym table. The words an article matched are worked
out again in Python, so every result says why it was found.
"""

import re
import zlib

import jieba
from django.db import connection

from jiesu.routing.text import simplify

_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]+")
# Words every question has; they find everything and so nothing.
STOPWORDS = set(
    "的 了 吗 呢 吧 啊 是 在 和 与 及 或 我 你 他 她 我们 怎么 怎样 如何 什么 哪些 哪里 哪个 多少 可以 能否 能不能 "
    "是否 需要 请问 咨询 想 要 办理 一下 有 没有 这个 那个 问题 情况".split()
)
jieba.setLogLevel(60)


def words(text: str) -> list[str]:
    """The searchable words of a text, in order (repeats kept: they weigh)."""
    return [w.lower() for w in jieba.cut_for_search(simplify(text)) if _WORD.fullmatch(w) and w not in STOPWORDS]


def code(word: str) -> str:
    return f"k{zlib.crc32(word.encode('utf-8')):08x}"


def encode(text: str) -> str:
    """The text as index tokens."""
    return " ".join(code(w) for w in words(text))


def alternatives(query_words: list[str], synonyms: list[list[str]]) -> dict[str, set[str]]:
    """Each distinct query word with the words that stand for it: itself, and the other terms of a synonym
    group it is a term of (社保 → 社会保险). Parts do not count: 保险 does not stand for 医疗保险."""
    out = {}
    for word in dict.fromkeys(query_words):
        same = {word}
        for group in synonyms:
            terms = {t.lower() for t in group}
            if word in terms:
                same |= terms
        out[word] = same
    return out


def ranked_ids(query_words: list[str], limit: int) -> list[tuple[int, float]]:
    """(article id, score) of published-index matches for any of the words, best first (score: higher is
    better). Validity and region are filtered by the caller."""
    codes = list(dict.fromkeys(code(w) for w in query_words))
    if not codes:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT id, ts_rank_cd({PG_VECTOR}, to_tsquery('simple', %s)) AS score FROM knowledge_article "
                f"WHERE {PG_VECTOR} @@ to_tsquery('simple', %s) ORDER BY score DESC, id LIMIT %s",
                [" | ".join(codes), " | ".join(codes), limit],
            )
            return [(row[0], float(row[1])) for row in cursor.fetchall()]
        cursor.execute(
            "SELECT rowid, -bm25(knowledge_fts, 3.0, 1.0) AS score FROM knowledge_fts WHERE knowledge_fts MATCH %s "
            "ORDER BY score DESC, rowid LIMIT %s",
            [" OR ".join(codes), limit],
        )
        return [(row[0], float(row[1])) for row in cursor.fetchall()]


# PostgreSQL: the weighted vector the GIN index is built on (migration 0002) and every query uses.
PG_VECTOR = ("(setweight(to_tsvector('simple', search_title), 'A') || "
             "setweight(to_tsvector('simple', search_body), 'B'))")

SQLITE_SETUP = [
    # External-content FTS5 table over knowledge_article's two token columns, kept in step by triggers.
    "CREATE VIRTUAL TABLE knowledge_fts USING fts5(search_title, search_body, content='knowledge_article', "
    "content_rowid='id')",
    "CREATE TRIGGER knowledge_fts_ai AFTER INSERT ON knowledge_article BEGIN "
    "INSERT INTO knowledge_fts(rowid, search_title, search_body) VALUES (new.id, new.search_title, new.search_body); "
    "END",
    "CREATE TRIGGER knowledge_fts_ad AFTER DELETE ON knowledge_article BEGIN "
    "INSERT INTO knowledge_fts(knowledge_fts, rowid, search_title, search_body) "
    "VALUES ('delete', old.id, old.search_title, old.search_body); END",
    "CREATE TRIGGER knowledge_fts_au AFTER UPDATE ON knowledge_article BEGIN "
    "INSERT INTO knowledge_fts(knowledge_fts, rowid, search_title, search_body) "
    "VALUES ('delete', old.id, old.search_title, old.search_body); "
    "INSERT INTO knowledge_fts(rowid, search_title, search_body) VALUES (new.id, new.search_title, new.search_body); "
    "END",
]
SQLITE_TEARDOWN = ["DROP TRIGGER knowledge_fts_au", "DROP TRIGGER knowledge_fts_ad", "DROP TRIGGER knowledge_fts_ai",
                   "DROP TABLE knowledge_fts"]
PG_SETUP = [f"CREATE INDEX knowledge_article_search ON knowledge_article USING gin ({PG_VECTOR})"]
PG_TEARDOWN = ["DROP INDEX knowledge_article_search"]
