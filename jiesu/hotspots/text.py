"""What makes two requests "the same matter": character bigrams weighted by rarity, place names found in the
text, and the problem words left once the place is taken out. No word list is needed; the only statistics
are document frequencies of common bigrams (`GramStats`), learned from the tickets themselves.
"""

import math
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field

from jiesu.routing.text import normalize

# A place name: a few characters ending in a word that names a place (小区, 路, 村 …), looked for inside chunks
# of text cut at punctuation and at characters that never sit inside a name (的, 和, 在 …).
_PLACE_SUFFIX = (
    "小区|花园|家园|公寓|新城|新村|社区|大厦|广场|公园|大道|大街|街道|胡同|路口|学校|小学|中学|幼儿园|大学|医院|"
    "市场|商场|工业园|园区|新区|车站|地铁站|公交站|村|镇|乡|路|街|巷|苑|院|湾|庄|桥"
)
_PLACE = re.compile(rf"[\u4e00-\u9fffA-Za-z0-9]{{2,6}}?(?:{_PLACE_SUFFIX})")
_CHUNK_BREAK = re.compile(r"[^\u4e00-\u9fffA-Za-z0-9]+|反映|投诉|举报|咨询|希望|要求|建议|位于|家住|关于|请问|附近|周边|旁边|对面|"
                          r"[的了和与及在是对把被给向从到为将让有我你他她们请能都就也还但而因所如这那其该此于或并且又再"
                          r"很太已没不想要说]")
# Provinces, cities, districts and counties are regions, not places to match on (the ticket's region says as
# much); they are cut off the front of a chunk ("A市A3区中海国际社区" → 中海国际社区).
_ADMIN_PREFIX = re.compile(r"^[\u4e00-\u9fffA-Za-z0-9]{1,6}?(?:省|市(?![场民政容])|(?<![社小园城街景校厂新])区|县(?!城))")
_RUN = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]+")


def gram_hash(gram: str) -> int:
    """A stable integer for a bigram (the same in every process and on every database)."""
    return zlib.crc32(gram.encode("utf-8"))


def bigrams(text: str) -> list[str]:
    """Character bigrams inside runs of Chinese letters and digits (never across punctuation)."""
    out = []
    for run in _RUN.findall(text.lower()):
        if len(run) == 1:
            out.append(run)
        out.extend(run[i:i + 2] for i in range(len(run) - 1))
    return out


def _without_regions(chunk: str) -> str:
    while (cut := _ADMIN_PREFIX.sub("", chunk, count=1)) != chunk:
        chunk = cut
    return chunk


def places(text: str) -> list[str]:
    """Place names the text mentions, in order, each once (regions and bare words like 小区 left out)."""
    found: list[str] = []
    for chunk in _CHUNK_BREAK.split(text):
        for match in _PLACE.finditer(_without_regions(chunk)):
            name = match.group(0)
            if name not in found:
                found.append(name)
    return found


def strip_regions(text: str) -> str:
    """The text without province, city, district and county names at the front of its phrases."""
    return "".join(_without_regions(chunk) for chunk in re.split(r"([^\u4e00-\u9fffA-Za-z0-9]+)", text))


@dataclass
class GramStats:
    """Document frequencies of the common bigrams among `docs` texts. A bigram not listed is rare: it gets
    the highest weight and is eligible as a look-up key."""

    docs: int = 0
    df: dict[int, int] = field(default_factory=dict)
    # A bigram in at least this share of texts is too common to find duplicates by.
    common_share: float = 0.002

    # Bigrams in fewer than this share of texts all weigh the most: rarity only down-weights what many texts
    # say (boilerplate), so a burst of requests about one matter keeps its own words' weight.
    rare_share: float = 0.05

    # Below this many texts rarity means nothing yet: every bigram weighs the same.
    min_docs: int = 100

    def idf(self, h: int) -> float:
        if self.docs < self.min_docs:
            return 1.0
        n = self.docs
        return math.log((n + 1) / (max(self.df.get(h, 0), self.rare_share * n) + 1)) + 1.0

    def is_common(self, h: int) -> bool:
        return self.df.get(h, 0) >= max(50, self.common_share * self.docs)


@dataclass
class Signature:
    """One request's text, ready to compare: weighted bigrams of the whole text and of the problem part
    (place names taken out), the places, and its look-up keys."""

    grams: dict[int, float]
    problem: dict[int, float]
    places: list[str]
    keys: list[int]


KEYS_PER_TEXT = 16
HEAD_CHARS = 120


def _weigh(grams: list[str], stats: GramStats) -> dict[int, float]:
    counts = Counter(gram_hash(g) for g in grams)
    vector = {h: (1 + math.log(n)) * stats.idf(h) for h, n in counts.items()}
    norm = math.sqrt(sum(w * w for w in vector.values())) or 1.0
    return {h: w / norm for h, w in vector.items()}


def signature(text: str, stats: GramStats, keys: int = KEYS_PER_TEXT, head: int = HEAD_CHARS) -> Signature:
    clean = normalize(text)
    names = places(clean)
    problem_text = clean
    for name in names:
        problem_text = problem_text.replace(name, " ")
    grams = bigrams(clean)
    vector = _weigh(grams, stats)
    # Keys: the rarest bigrams (rarity first, then a fixed hash order, so two texts sharing many rare
    # bigrams pick the same ones, as in MinHash).
    head_grams = {gram_hash(g) for g in bigrams(clean[:head])}
    rare = sorted(h for h in head_grams if not stats.is_common(h))
    return Signature(vector, _weigh(bigrams(problem_text), stats), names, rare[:keys])


def cosine(a: dict[int, float], b: dict[int, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(h, 0.0) for h, w in a.items())


_COARSE = ("街道", "镇", "乡")  # a 街道 or town names an area, not the spot


def _match(a: list[str], b: list[str]) -> bool:
    return any(x in y or y in x for x in a for y in b)


def same_place(a: list[str], b: list[str]) -> bool | None:
    """True if the texts name a common place (or one name contains the other), False if both name places
    and none match, None if either names none. When both name a spot (小区, 路 …), the spots decide: two
    potholes in one 街道 at different roads are two matters."""
    if not a or not b:
        return None
    fine_a = [x for x in a if not x.endswith(_COARSE)]
    fine_b = [x for x in b if not x.endswith(_COARSE)]
    if fine_a and fine_b:
        return _match(fine_a, fine_b)
    return _match(a, b)


# Weights measured on real messages (docs/hotspots.md): the problem words say more than the whole text, and two
# texts naming different places are about different matters (a different place keeps 30 % of the score).
PROBLEM_WEIGHT = 0.7
OTHER_PLACE_FACTOR = 0.3


def text_similarity(a: Signature, b: Signature) -> float:
    """0–1: mostly the problem words, partly the whole text; cut when the texts name different places."""
    score = (1 - PROBLEM_WEIGHT) * cosine(a.grams, b.grams) + PROBLEM_WEIGHT * cosine(a.problem, b.problem)
    if same_place(a.places, b.places) is False:
        score *= OTHER_PLACE_FACTOR
    return max(0.0, min(1.0, score))
