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


# Words that say how people ask, not what about.
_FILLER = set(
    "反映 投诉 举报 咨询 希望 请问 要求 建议 请求 关于 问题 何时 什么 为什么 怎么 如何 是否 能否 可以 严重 相关 有关 "
    "部门 政府 领导 我们 业主 居民 市民 群众 情况 事情 解决 处理 尽快 一直 现在 已经 还是 没有 不能 再次 多次 强烈 "
    "恳请 请 A市 小区 社区 附近 周边 诉求 来电 来电人 市民 反映".split()
)


def _problem(texts: list[str], place: str, stats: T.GramStats, phrases: int = 2) -> str:
    """What most of the texts are about once the place is taken out: words (jieba) and word pairs shared by at
    least 30 % of them, rare and long ones first."""
    import jieba

    floor = max(2, math.ceil(0.3 * len(texts)))
    df: Counter = Counter()
    for text in texts:
        clean = T.strip_regions(T.normalize(text))
        if place:
            clean = clean.replace(place, " ")
        words = [w for w in jieba.lcut(clean) if T._RUN.fullmatch(w) and not w.isdigit()]
        grams = {w for w in words if len(w) >= 2 and w not in _FILLER}
        grams.update(a + b for a, b in zip(words, words[1:], strict=False)
                     if a not in _FILLER and b not in _FILLER and len(a) >= 2 and len(b) >= 2)
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
        found.append(Found(
            topic=" ".join(p for p in (place, problem) if p) or members[0].text[:30],
            place=place, problem=problem, members=sorted(members, key=lambda m: m.at), baseline=baseline,
            expected=expected,
            growth=(len(now) - expected) / expected if expected else None,
            support=support, heat=heat(len(now), expected, support), regions=regions,
            first_seen=min(m.at for m in members), last_seen=max(m.at for m in members),
            representatives=[pool[i] for i in typical[:3]],
        ))
    found.sort(key=lambda f: (-f.heat, -f.count, f.first_seen))
    return found[:limit]
