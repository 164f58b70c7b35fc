"""百企评机关: enterprises rate the agencies they dealt with; the centre ranks the agencies.

- **A campaign** (`save`, draft): a period, the agencies rated (the KPI ranking units), who is invited — the
  enterprises with a contact to reach, in the chosen 门类 and scales, all of them or a random sample.
- **Opening** (`open_campaign`) draws the invitations once and sends each contact an SMS. A sample is stratified by
  门类 × scale, each stratum's share of the sample as its share of the pool (largest remainders), drawn with
  the campaign's stored seed: the same pool gives the same draw, so the draw can be checked afterwards.
- **Rating** (`rate`): an invited enterprise, once, while open and up to the closing day: for each agency it
  dealt with, 服务态度 / 办事效率 / 政策落实 / 廉洁自律 on 1–5 and a comment. The ratings are stored without
  the enterprise, the time or a sequence (see `EvaluationRating`); the invitation records only that it answered.
- **Results** (`results`): the response rate; once closed, the agencies ranked by the mean of the four dimension
  means (×20 for a 百分制 score), ties sharing a rank. An agency rated by fewer than `min_shown()` enterprises
  shows no scores or comments to anyone and is not ranked (fewer could be told apart); while open, nobody sees
  scores (watching them move as answers arrive would single one out). The centre sees every agency; an agency
  its own line and place.
- **KPI** (`kpi_scores`): with `JIESU_KPI_EVALUATION_WEIGHT` above 0 (default 0), the department ranking adds
  the latest closed campaign covering the period to each rated unit's 综合得分 with that weight.
"""

import random
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Avg, Count, Exists, OuterRef, Q

from jiesu.core import clock
from jiesu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jiesu.core.validators import is_storable_text, parse_day
from jiesu.directory.models import Department
from jiesu.directory.permissions import department_of, has_perm
from jiesu.directory.services import subtree_ids

from . import industry
from .models import Contact, Enterprise, Evaluation, EvaluationInvite, EvaluationRating, Scale

S = Evaluation.Status
DIMENSIONS = (("attitude", "服务态度"), ("efficiency", "办事效率"), ("policy", "政策落实"), ("integrity", "廉洁自律"))
SCORES = (1, 2, 3, 4, 5)
SCORE_LABELS = {5: "很满意", 4: "满意", 3: "一般", 2: "不满意", 1: "很不满意"}


def min_shown() -> int:
    """An agency sees its scores and comments from this many raters on (JIESU_EVALUATION_MIN_RATERS, default 3):
    one or two could be recognised."""
    return settings.JIESU_EVALUATION_MIN_RATERS

MAX_COMMENT = 500
MAX_SAMPLE = 100_000


# ---------------------------------------------------------------- who may do what

def may_manage(user) -> bool:
    return has_perm(user, "evaluation.manage")


def may_view_all(user) -> bool:
    return has_perm(user, "evaluation.view_all") or may_manage(user)


def visible(user):
    """The campaigns this user may open: all for the centre; the closed ones that rated their agency for a unit."""
    if may_view_all(user):
        return Evaluation.objects.all()
    department = department_of(user)
    if not has_perm(user, "evaluation.view_own") or department is None:
        raise PermissionDenied("您无权查看百企评机关", code="evaluation_forbidden")
    return Evaluation.objects.filter(status=S.CLOSED, agencies__in=_own_and_ancestors(department)).distinct()


def _own_and_ancestors(department: Department) -> list[int]:
    ids, node = [], department
    while node is not None:
        ids.append(node.pk)
        node = node.parent
    return ids


def agency_of(user, evaluation: Evaluation) -> Department | None:
    """The rated agency a unit's user belongs to: their own department or its nearest rated ancestor."""
    department = department_of(user)
    if department is None:
        return None
    rated = {d.pk: d for d in evaluation.agencies.all()}
    for pk in _own_and_ancestors(department):
        if pk in rated:
            return rated[pk]
    return None


def agency_choices() -> list[Department]:
    """The units that can be rated: the units the KPI ranking puts side by side."""
    from jiesu.kpi.services import ranking_units

    return ranking_units()


# ---------------------------------------------------------------- the campaign

def save(actor, data, pk: int | None = None) -> Evaluation:
    """A new campaign, or changes to a draft."""
    if not may_manage(actor):
        raise PermissionDenied("您无权组织百企评机关", code="evaluation_forbidden")
    with transaction.atomic():
        evaluation = _get(pk, lock=True) if pk else Evaluation(created_by=actor, created_at=clock.now(),
                                                               seed=secrets.randbits(48))
        if evaluation.status != S.DRAFT:
            raise Conflict("评议已发布，不能再修改", code="evaluation_state")
        fields, agencies = _clean(data)
        for name, value in fields.items():
            setattr(evaluation, name, value)
        evaluation.save()
        evaluation.agencies.set(agencies)
    return evaluation


def _clean(data) -> tuple[dict, list[Department]]:
    errors: dict[str, str] = {}
    getlist = data.getlist if hasattr(data, "getlist") else (lambda name: data.get(name) or [])
    title = (data.get("title") or "").strip()
    if not title:
        errors["title"] = "请填写评议名称"
    elif len(title) > 100 or not is_storable_text(title):
        errors["title"] = "评议名称过长或含有无法保存的字符"
    days = {}
    for name, label in (("period_start", "评议期间起始日期"), ("period_end", "评议期间截止日期"),
                        ("closes_on", "评价截止日期")):
        days[name] = parse_day(data.get(name))
        if days[name] is None:
            errors[name] = f"请填写有效的{label}"
    if days["period_start"] and days["period_end"] and days["period_start"] > days["period_end"]:
        errors["period_end"] = "评议期间的截止日期不能早于起始日期"
    if days["period_start"] and days["period_start"] > clock.today():
        errors["period_start"] = "评议期间尚未开始：请评议已经过去（或正在进行）的期间"
    if days["closes_on"] and days["closes_on"] < clock.today():
        errors["closes_on"] = "评价截止日期不能早于今天"
    elif days["closes_on"] and days["period_end"] and days["closes_on"] < days["period_end"]:
        errors["closes_on"] = "评价截止日期不能早于评议期间的截止日期"
    choices = {d.code: d for d in agency_choices()}
    chosen = [str(c) for c in getlist("agencies")]
    agencies = [choices[c] for c in chosen if c in choices]
    if len(agencies) != len(set(chosen)) or not agencies:
        errors["agencies"] = "请选择被评议单位" if not chosen else "被评议单位须从列表中选择"
    sections = [str(s) for s in getlist("industries")]
    if any(s not in industry.SECTIONS for s in sections):
        errors["industries"] = "行业门类须从列表中选择"
    scales = [str(s) for s in getlist("scales")]
    if any(s not in Scale.values for s in scales):
        errors["scales"] = "企业规模须从列表中选择"
    sampling = data.get("sampling") or Evaluation.Sampling.ALL
    size = None
    if sampling not in Evaluation.Sampling.values:
        errors["sampling"] = "请选择邀请方式"
    elif sampling == Evaluation.Sampling.SAMPLE:
        raw = str(data.get("sample_size") or "").strip()
        size = int(raw) if raw.isdecimal() else None
        if size is None or not 1 <= size <= MAX_SAMPLE:
            errors["sample_size"] = f"抽取企业数须为 1–{MAX_SAMPLE} 之间的整数"
    if errors:
        raise ValidationFailed(errors)
    return ({"title": title, **days, "industries": sorted(set(sections)), "scales": sorted(set(scales)),
             "sampling": sampling, "sample_size": size}, agencies)


def _get(pk, *, lock: bool = False) -> Evaluation:
    rows = Evaluation.objects.select_for_update() if lock else Evaluation.objects
    found = rows.filter(pk=pk).first() if str(pk).isdecimal() else None
    if found is None:
        raise NotFound("评议不存在", code="evaluation_not_found")
    return found


def pool(evaluation: Evaluation):
    """The enterprises that could be invited: those with a contact to reach, in the campaign's 门类 and scales."""
    rows = Enterprise.objects.filter(Exists(Contact.objects.filter(enterprise=OuterRef("pk"))))
    if evaluation.industries:
        rows = rows.filter(industry__in=[d for d in industry.DIVISIONS
                                         if industry.section_of(d) in evaluation.industries])
    if evaluation.scales:
        rows = rows.filter(scale__in=evaluation.scales)
    return rows


def draw(evaluation: Evaluation) -> list[int]:
    """The enterprises invited (ids, ascending): the whole pool, or a sample stratified by 门类 × scale."""
    rows = list(pool(evaluation).order_by("pk").values_list("pk", "industry", "scale"))
    size = evaluation.sample_size or 0
    if evaluation.sampling == Evaluation.Sampling.ALL or size >= len(rows):
        return [pk for pk, _, _ in rows]
    strata: dict[tuple[str, str], list[int]] = defaultdict(list)
    for pk, division, scale in rows:
        strata[(industry.section_of(division), scale)].append(pk)
    quotas = allocate(size, {key: len(members) for key, members in strata.items()})
    rng = random.Random(evaluation.seed)
    chosen = []
    for key in sorted(strata):
        chosen.extend(rng.sample(strata[key], quotas[key]))
    return sorted(chosen)


def allocate(size: int, strata: dict) -> dict:
    """Proportional allocation of `size` over strata of these sizes (Hamilton's largest remainders; equal
    remainders go to the larger stratum, then in key order)."""
    total = sum(strata.values())
    exact = {key: size * n / total for key, n in strata.items()}
    quotas = {key: int(value) for key, value in exact.items()}
    left = size - sum(quotas.values())
    for key in sorted(strata, key=lambda k: (-(exact[k] - quotas[k]), -strata[k], k))[:left]:
        quotas[key] += 1
    return quotas


def open_campaign(actor, pk) -> int:
    """发布: draw the invitations and tell each invited contact by SMS. Returns how many enterprises."""
    from jiesu.notifications.models import Channel, Delivery
    from jiesu.notifications.services import MOBILE, outbox

    if not may_manage(actor):
        raise PermissionDenied("您无权组织百企评机关", code="evaluation_forbidden")
    with transaction.atomic():
        evaluation = _get(pk, lock=True)
        if evaluation.status != S.DRAFT:
            raise Conflict("评议已经发布", code="evaluation_state")
        if evaluation.closes_on < clock.today():
            raise Conflict("评价截止日期已过，请先修改", code="evaluation_expired")
        invited = draw(evaluation)
        if not invited:
            raise Conflict("没有符合条件的企业可邀请（须有登记的联系人）", code="evaluation_no_enterprises")
        now = clock.now()
        EvaluationInvite.objects.bulk_create([EvaluationInvite(evaluation=evaluation, enterprise_id=e)
                                              for e in invited], batch_size=2000)
        evaluation.status, evaluation.opened_at = S.OPEN, now
        evaluation.save(update_fields=["status", "opened_at"])
        data = {"title": evaluation.title, "closes_on": f"{evaluation.closes_on.month}月{evaluation.closes_on.day}日"}
        Delivery.objects.bulk_create(
            [outbox(Channel.SMS, phone, "evaluation_invite", data, now=now)
             # by a subquery: a list of every invited id could pass SQLite's limit on query parameters
             for phone in Contact.objects.filter(enterprise__evaluation_invites__evaluation=evaluation)
             .values_list("phone", flat=True)
             if MOBILE.match(phone)], batch_size=2000)
    return len(invited)


def close_campaign(actor, pk) -> Evaluation:
    """结束评议: no more answers; the results become final and the agencies may read theirs."""
    if not may_manage(actor):
        raise PermissionDenied("您无权组织百企评机关", code="evaluation_forbidden")
    with transaction.atomic():
        evaluation = _get(pk, lock=True)
        if evaluation.status != S.OPEN:
            raise Conflict("只有评价中的评议可以结束", code="evaluation_state")
        evaluation.status, evaluation.closed_at = S.CLOSED, clock.now()
        evaluation.save(update_fields=["status", "closed_at"])
    return evaluation


def get_for(user, pk) -> Evaluation:
    found = visible(user).filter(pk=pk).first() if str(pk).isdecimal() else None
    if found is None:
        raise NotFound("评议不存在", code="evaluation_not_found")
    return found


# ---------------------------------------------------------------- the enterprise's side

def answering(evaluation: Evaluation) -> bool:
    return evaluation.status == S.OPEN and clock.today() <= evaluation.closes_on


def invitations(enterprise: Enterprise) -> list[EvaluationInvite]:
    """The campaigns this enterprise is invited to that are open, answered or not (newest first)."""
    rows = (EvaluationInvite.objects.filter(enterprise=enterprise, evaluation__status=S.OPEN)
            .select_related("evaluation").order_by("-evaluation__opened_at"))
    return [r for r in rows if r.responded_at or answering(r.evaluation)]


def _invite(enterprise: Enterprise, pk, *, lock: bool = False) -> EvaluationInvite:
    rows = EvaluationInvite.objects.select_related("evaluation")
    if lock:
        rows = rows.select_for_update(of=("self",))
    found = rows.filter(enterprise=enterprise, evaluation_id=pk).first() if str(pk).isdecimal() else None
    if found is None:
        raise NotFound("本企业未受邀参加该评议", code="evaluation_not_invited")
    return found


@dataclass
class AgencyToRate:
    department: Department
    dealt: bool  # it handled one of the enterprise's requests in the period
    chosen: dict = field(default_factory=dict)  # dimension → the score chosen (a form sent back with an error)
    comment: str = ""
    error: str = ""

    @property
    def complete(self) -> bool:
        return len(self.chosen) == len(DIMENSIONS)


def form_for(enterprise: Enterprise, pk, data=None, errors=None) -> tuple[EvaluationInvite, list[AgencyToRate]]:
    """The agencies to rate, those the enterprise dealt with in the period first; with `data` (a form sent back)
    what was chosen, and `errors` per agency."""
    from jiesu.tickets.models import Ticket

    invite = _invite(enterprise, pk)
    evaluation = invite.evaluation
    low, high = clock.day_range(evaluation.period_start, evaluation.period_end)
    handled = set(Ticket.objects.filter(credit_code=enterprise.credit_code, created_at__gte=low, created_at__lt=high,
                                        department__isnull=False).values_list("department_id", flat=True))
    data, errors = data or {}, errors or {}
    rows = []
    for a in evaluation.agencies.order_by("code"):
        chosen = {name: int(data[f"a{a.pk}_{name}"]) for name, _ in DIMENSIONS
                  if str(data.get(f"a{a.pk}_{name}", "")) in {str(s) for s in SCORES}}
        rows.append(AgencyToRate(a, bool(handled & set(subtree_ids(a))), chosen,
                                 str(data.get(f"a{a.pk}_comment", ""))[:MAX_COMMENT], errors.get(f"a{a.pk}", "")))
    rows.sort(key=lambda r: not r.dealt)
    return invite, rows


def rate(enterprise: Enterprise, pk, data) -> int:
    """The enterprise's answer: for each agency either all four scores (and a comment) or none (not dealt
    with). At least one agency. Once. Returns how many agencies it rated."""
    with transaction.atomic():
        invite = _invite(enterprise, pk, lock=True)
        evaluation = invite.evaluation
        if invite.responded_at is not None:
            raise Conflict("贵企业已经提交过本次评价，不能重复提交", code="evaluation_answered")
        if not answering(evaluation):
            raise Conflict("本次评议已结束，不再接受评价", code="evaluation_closed")
        ratings, errors = [], {}
        for agency in evaluation.agencies.all():
            scores = {}
            for name, _ in DIMENSIONS:
                raw = str(data.get(f"a{agency.pk}_{name}") or "").strip()
                if raw:
                    scores[name] = int(raw) if raw in {str(s) for s in SCORES} else 0
            comment = str(data.get(f"a{agency.pk}_comment") or "").replace("\r\n", "\n").strip()
            if not scores and not comment:
                continue
            if len(scores) < len(DIMENSIONS) or 0 in scores.values():
                errors[f"a{agency.pk}"] = f"请为{agency.name}的四项都选择 1–5 分，或全部留空（本期未打交道）"
            elif len(comment) > MAX_COMMENT or not is_storable_text(comment):
                errors[f"a{agency.pk}"] = f"对{agency.name}的意见建议不超过{MAX_COMMENT}字"
            else:
                ratings.append(EvaluationRating(evaluation=evaluation, department=agency, comment=comment, **scores))
        if errors:
            raise ValidationFailed(errors)
        if not ratings:
            raise ValidationFailed({"form": "请至少评价一个与贵企业打过交道的单位"})
        random.shuffle(ratings)
        EvaluationRating.objects.bulk_create(ratings)
        invite.responded_at = clock.now()
        invite.save(update_fields=["responded_at"])
    return len(ratings)


# ---------------------------------------------------------------- results

@dataclass
class AgencyResult:
    department: Department
    raters: int
    means: dict[str, float | None]
    overall: float | None  # 1–5: the mean of the four dimension means
    rank: int | None = None
    comments: list[str] = field(default_factory=list)

    @property
    def score(self) -> float | None:
        """百分制 (×20)."""
        return None if self.overall is None else self.overall * 20


@dataclass
class Results:
    evaluation: Evaluation
    invited: int
    responded: int
    by_scale: list[tuple[str, int, int]]  # (scale label, invited, responded)
    agencies: list[AgencyResult]
    ranked: int = 0  # how many agencies have a rank

    @property
    def has_comments(self) -> bool:
        return any(r.comments for r in self.agencies)

    @property
    def response_rate(self) -> float | None:
        return self.responded / self.invited if self.invited else None


def results(evaluation: Evaluation, *, comments: bool = True) -> Results:
    """The response, and — once the campaign is closed — the agencies' figures. Below `min_shown()` raters an
    agency's scores and comments are withheld from everyone (the centre too) and it is not ranked; while the
    campaign is open nobody sees scores, so watching them move as answers come in cannot single one out."""
    invites = EvaluationInvite.objects.filter(evaluation=evaluation)
    order = {value: i for i, value in enumerate(Scale.values)}
    scales = dict(Scale.choices)
    by_scale = sorted(((scales.get(row["enterprise__scale"], row["enterprise__scale"]), row["n"], row["answered"],
                        order.get(row["enterprise__scale"], 99))
                       for row in invites.values("enterprise__scale").annotate(
                           n=Count("pk"), answered=Count("pk", filter=Q(responded_at__isnull=False))).order_by()),
                      key=lambda r: r[3])
    shown = evaluation.status == S.CLOSED
    figures = {row["department_id"]: row for row in EvaluationRating.objects.filter(evaluation=evaluation)
               .values("department_id").annotate(raters=Count("pk"), **{n: Avg(n) for n, _ in DIMENSIONS})
               .order_by()}
    floor = min_shown()
    rows = []
    for agency in evaluation.agencies.all():
        row = figures.get(agency.pk)
        raters = row["raters"] if row else 0
        enough = shown and raters >= floor
        means = {n: (row[n] if enough else None) for n, _ in DIMENSIONS}
        overall = sum(means.values()) / len(DIMENSIONS) if enough else None
        rows.append(AgencyResult(agency, raters, means, overall))
    rows.sort(key=lambda r: (r.overall is None, -round(r.overall or 0, 9), r.department.code))
    rank, previous = 0, None
    for position, row in enumerate(rows, start=1):
        if row.overall is None:
            continue
        if previous is None or round(row.overall, 9) != previous:
            rank, previous = position, round(row.overall, 9)
        row.rank = rank
    if comments:
        found: dict[int, list[str]] = defaultdict(list)
        for department_id, text in (EvaluationRating.objects.filter(evaluation=evaluation).exclude(comment="")
                                    .order_by("pk").values_list("department_id", "comment")):
            found[department_id].append(text)
        for row in rows:
            row.comments = found.get(row.department.pk, []) if row.overall is not None else []
    return Results(evaluation, invites.count(), invites.filter(responded_at__isnull=False).count(),
                   [r[:3] for r in by_scale], rows, sum(1 for r in rows if r.rank is not None))


def results_for(user, evaluation: Evaluation) -> tuple[Results, AgencyResult | None]:
    """What this reader may see: the whole result for the centre; for an agency, its own line only, once the
    campaign is closed, and how many agencies were ranked."""
    found = results(evaluation)
    if may_view_all(user):
        return found, None
    agency = agency_of(user, evaluation)
    own = next((r for r in found.agencies if agency and r.department.pk == agency.pk), None)
    if own is None or evaluation.status != S.CLOSED:
        raise NotFound("评议不存在", code="evaluation_not_found")
    found.agencies = []
    found.by_scale = []
    return found, own


def kpi_scores(start: date, end: date) -> dict[int, float]:
    """department id → its 百分制 score in the latest closed campaign whose period overlaps [start, end] (the
    departments rated by enough enterprises only)."""
    evaluation = (Evaluation.objects.filter(status=S.CLOSED, period_start__lte=end, period_end__gte=start)
                  .order_by("-period_end", "-closed_at").first())
    if evaluation is None:
        return {}
    return {r.department.pk: r.score for r in results(evaluation, comments=False).agencies if r.score is not None}


def workbook(found: Results) -> bytes:
    """The result as offices exchange it: 排名 (the agencies), 意见建议 (comments, without who wrote them),
    参评情况 (the response by scale)."""
    from openpyxl import Workbook

    from jiesu.kpi import excel

    book = Workbook()
    ws = book.active
    ws.title = "排名"
    excel.sheet(ws, ["排名", "被评议单位", "评价企业数", *[label for _, label in DIMENSIONS], "平均分（5分制）",
                     "百分制得分"],
                [[r.rank, r.department.name, r.raters, *[_round(r.means[n]) for n, _ in DIMENSIONS],
                  _round(r.overall), _round(r.score)] for r in found.agencies],
                {3 + i: "0.00" for i in range(len(DIMENSIONS) + 2)}, widths={1: 30})
    excel.sheet(book.create_sheet("意见建议"), ["被评议单位", "意见建议"],
                [[r.department.name, text] for r in found.agencies for text in r.comments], widths={1: 80})
    excel.sheet(book.create_sheet("参评情况"), ["企业规模", "受邀企业", "已评价", "参评率"],
                [*[[label, n, answered, answered / n if n else None] for label, n, answered in found.by_scale],
                 ["合计", found.invited, found.responded, found.response_rate]], {3: excel.PERCENT})
    return excel.save(book)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
