"""Hotspot detection: clusters of requests about the same matter in a period, compared with the weeks before,
named from their own texts (place + problem) and ranked by a documented heat score. Pure functions over
`Item`s, so the same code runs on tickets (services.detect) and on any data set (benchmarks).
"""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from . import text as T

# Two requests are linked (same matter) from this similarity, and only if their problem words alone are this
# similar too: single linkage chains, and requests about one place but different problems must not chain.
LINK = 0.35
PROBLEM_LINK = 0.35
NEIGHBOURS = 30  # candidates per request, by shared look-up keys
MIN_COUNT = 3  # requests in the period for a cluster to be a hotspot
# Heat (docs/hotspots.md): every request counts 1, every request above the expected number 2 more, public
# support log-scaled.
GROWTH_WEIGHT = 2.0
SUPPORT_WEIGHT = 3.0


@dataclass
class Item:
    key: object  # ticket id, message id …
    text: str
    at: datetime
    ref: str = ""  # what people call it: the ticket number
    region: str = ""
    support: int = 0
    caller: str = ""  # who asked (a phone number, a user id), only to tell one caller's many requests from many


@dataclass
class Found:
    topic: str
    place: str
    problem: str
    members: list[Item]  # in the period
    baseline: int  # in the weeks before
    expected: float
    growth: float | None
    support: int
    heat: float
    regions: list[str]
    first_seen: datetime
    last_seen: datetime
    representatives: list[Item] = field(default_factory=list)
    callers: int = 0  # distinct callers among the members (0: not known)
    one_caller: bool = False  # most of it is one caller's repeated requests: marked, and ranked by callers

    @property
    def count(self) -> int:
        return len(self.members)


class _Sets:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def cluster(signatures: list[T.Signature], link: float = LINK) -> tuple[list[list[int]], dict[int, int]]:
    """Groups of indexes whose requests are linked (directly or through each other) at `link` or above, and
    how many links each request has (its degree: the most linked are the most typical)."""
    postings: dict[int, list[int]] = defaultdict(list)
    for i, sig in enumerate(signatures):
        for k in sig.keys:
            postings[k].append(i)
    sets, degree = _Sets(len(signatures)), Counter()
    for i, sig in enumerate(signatures):
        shared = Counter(j for k in sig.keys for j in postings[k] if j < i)
        for j, _ in shared.most_common(NEIGHBOURS):
            other = signatures[j]
            if T.text_similarity(sig, other) >= link and T.cosine(sig.problem, other.problem) >= PROBLEM_LINK:
                sets.union(i, j)
                degree[i] += 1
                degree[j] += 1
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(signatures)):
        groups[sets.find(i)].append(i)
    return list(groups.values()), degree


def _headline(text: str) -> str:
    return text.split("\n", 1)[0]


def _place(texts: list[str]) -> str:
    """The place most of the texts name (the shortest form among equally frequent ones), if at least 30 % do."""
    counts = Counter(name for text in texts for name in set(T.places(T.normalize(text))))
    if not counts:
        return ""
    best = max(counts.values())
    if best < max(2, len(texts) * 0.3):
        return ""
    return min((n for n, c in counts.items() if c == best), key=lambda n: (len(n), n))


# Words that say how people ask (or how big it is), not what about.
_FILLER = set(
    "反映 投诉 举报 咨询 希望 请问 要求 建议 请求 关于 问题 何时 什么 为什么 怎么 如何 是否 能否 可以 严重 相关 有关 "
    "部门 政府 领导 我们 业主 居民 市民 群众 情况 事情 解决 处理 尽快 一直 现在 已经 还是 没有 不能 再次 多次 强烈 "
    "恳请 请 A市 小区 社区 附近 周边 诉求 来电 来电人 市民 反映 时候 得到 坚决 出现 存在 导致 影响 发现 进行 表示 "
    "认为 知道 需要 应该 的话 不了 一下 直径 直径约 长约 宽约 深约 高约 大约 左右 面积".split()
)


# Parts of speech that name a problem (jieba tags): nouns, verbs, adjectives, abbreviations, which also pair up
# (路面 + 塌陷); set phrases (安全隐患) stand alone. Numerals, measure words, pronouns and particles never name one
# ("一个直径约" is not a topic).
_CONTENT_TAGS = ("n", "v", "a", "j")
_PHRASE_TAGS = ("i", "l")
_NOT_CONTENT = ("nr", "ns", "nt", "vshi", "vyou")  # people, place and organisation names: the place says where


def _content_words(text: str) -> list[tuple[str, int]]:
    """(word, 2: a content word that pairs, 1: a set phrase on its own, 0: neither) for each jieba word, in order."""
    import jieba.posseg

    def kind(word: str, flag: str) -> int:
        if len(word) < 2 or word in _FILLER or flag.startswith(_NOT_CONTENT):
            return 0
        return 2 if flag.startswith(_CONTENT_TAGS) else 1 if flag.startswith(_PHRASE_TAGS) else 0

    return [(p.word, kind(p.word, p.flag)) for p in jieba.posseg.lcut(text)
            if T._RUN.fullmatch(p.word) and not p.word.isdigit()]


def _problem(texts: list[str], place: str, stats: T.GramStats, phrases: int = 2) -> str:
    """What most of the texts are about once the place is taken out: content words (jieba, by part of speech) and
    adjacent pairs of them (路面 + 塌陷) shared by at least 30 % of them, rare and long ones first."""
    floor = max(2, math.ceil(0.3 * len(texts)))
    df: Counter = Counter()
    for text in texts:
        clean = T.strip_regions(T.normalize(text))
        if place:
            clean = clean.replace(place, " ")
        words = _content_words(clean)
        grams = {w for w, kind in words if kind}
        grams.update(a + b for (a, ka), (b, kb) in zip(words, words[1:], strict=False) if ka == kb == 2)
        df.update(grams)

    def weight(gram: str) -> float:
        rarity = sum(stats.idf(T.gram_hash(gram[i:i + 2])) for i in range(len(gram) - 1)) / (len(gram) - 1)
        return df[gram] * rarity * min(len(gram), 6)

    chosen: list[str] = []
    for gram in sorted((g for g, c in df.items() if c >= floor), key=lambda g: (-weight(g), g)):
        if any(gram in c or c in gram for c in chosen) or (place and (gram in place or place in gram)):
            continue
        chosen.append(gram)
        if len(chosen) == phrases:
            break
    return " ".join(chosen)


def short(text: str, limit: int = 30) -> str:
    """The text's first clause, cut at a sentence or comma, else at `limit` with "…" (never mid-word silently)."""
    line = " ".join(text.split())
    for i, ch in enumerate(line[: limit + 1]):
        if ch in "。！？；，,;!?" and i >= 4:
            return line[:i]
    return line if len(line) <= limit else line[:limit] + "…"


# A cluster is one caller's when one caller sent at least this share of it, and at least ONE_CALLER_MIN requests:
# it is marked and ranked by its distinct callers, so thirty templated messages from one person are not a city's
# hotspot (two of four from one caller are just a caller who called again).
ONE_CALLER_SHARE = 0.5
ONE_CALLER_MIN = 3


def heat(count: int, expected: float, support: int) -> float:
    return count + GROWTH_WEIGHT * max(0.0, count - expected) + SUPPORT_WEIGHT * math.log1p(max(support, 0))


def detect(items: list[Item], start: datetime, end: datetime, baseline_start: datetime | None,
           stats: T.GramStats, *, min_count: int = MIN_COUNT, limit: int = 50) -> list[Found]:
    """Hotspots among `items` created in [start, end), each compared with its requests in
    [baseline_start, start). `items` may hold both periods; others are ignored."""
    period = [it for it in items if start <= it.at < end]
    before = [it for it in items if baseline_start is not None and baseline_start <= it.at < start]
    pool = period + before
    signatures = [T.signature(it.text, stats) for it in pool]
    groups, degree = cluster(signatures)
    span = (end - start).total_seconds()
    base_span = (start - baseline_start).total_seconds() if baseline_start else 0
    found = []
    for group in groups:
        now = [i for i in group if i < len(period)]
        if len(now) < min_count:
            continue
        baseline = len(group) - len(now)
        expected = baseline * span / base_span if base_span else 0.0
        members = [pool[i] for i in now]
        headlines = [_headline(m.text) for m in members]
        place = _place(headlines)
        problem = _problem(headlines, place, stats) or _problem([m.text for m in members], place, stats)
        support = sum(m.support for m in members)
        regions = [r for r, _ in Counter(m.region for m in members if m.region).most_common()]
        typical = sorted(now, key=lambda i: (-degree[i], -pool[i].support, pool[i].at))
        by_caller = Counter(m.caller for m in members if m.caller)
        known = sum(by_caller.values())
        top = by_caller.most_common(1)[0][1] if by_caller else 0
        one_caller = top >= ONE_CALLER_MIN and top >= ONE_CALLER_SHARE * len(members)
        # Requests from unknown callers count as distinct ones.
        voices = len(by_caller) + len(members) - known
        found.append(Found(
            topic=" ".join(p for p in (place, problem) if p) or short(_headline(members[0].text)),
            place=place, problem=problem, members=sorted(members, key=lambda m: m.at), baseline=baseline,
            expected=expected,
            growth=(len(now) - expected) / expected if expected else None,
            support=support, heat=heat(voices if one_caller else len(now), expected, support), regions=regions,
            first_seen=min(m.at for m in members), last_seen=max(m.at for m in members),
            representatives=[pool[i] for i in typical[:3]], callers=len(by_caller) + len(members) - known,
            one_caller=one_caller,
        ))
    found.sort(key=lambda f: (-f.heat, -f.count, f.first_seen))
    return found[:limit]
