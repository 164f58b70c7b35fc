"""涉企政策精准推送: the policy library, matching policies and enterprises, pushes with their progress, and 政策问答.

- **Library:** the issuing department (承办人 of that unit; 督办员 and 管理员 for any) writes a policy — title, 文号,
  validity, text, benefits, how to apply, and eligibility as structured conditions — and submits it; the centre
  reviews it (发布 / 退回), as knowledge articles are. Only published policies within their validity are live.
- **Matching** is one rule written twice, and a test holds them equal: `conditions_q` (a database condition on
  enterprises: a policy's matching enterprises in one query, also at 100,000 enterprises) and `eligible` (the
  same rule in Python over one enterprise: its policies from the live ones in memory).
- **Pushes** (`push`): one row per policy and matching enterprise (a second push adds only the new ones), an SMS to
  each of its contacts through the notifications outbox, and the figures 已推送 / 已读 / 已申报 / 已兑现.
- **政策问答** (`ask`): the question's words (the knowledge search's jieba words) against the live policies' words,
  TF-IDF weighted, best first.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Count, Q

from jiesu.core import clock
from jiesu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jiesu.core.validators import parse_day
from jiesu.directory.models import Department, Region
from jiesu.directory.permissions import department_of, has_perm
from jiesu.directory.services import subtree_ids

from . import industry
from .models import Enterprise, Policy, PolicyPush, Qualification, Scale

S = Policy.Status

# ---------------------------------------------------------------- matching


def _divisions(codes) -> set[str]:
    """Section letters and division codes → the divisions they cover."""
    out = set()
    for code in codes or ():
        if code in industry.SECTIONS:
            out |= {d for d in industry.DIVISIONS if industry.section_of(d) == code}
        elif code in industry.DIVISIONS:
            out.add(code)
    return out


def _region_ids(policy: Policy) -> set[int] | None:
    regions = list(policy.regions.all())
    if not regions:
        return None
    ids = set()
    for region in regions:
        ids |= set(subtree_ids(region))
    return ids


def conditions_q(policy: Policy) -> Q:
    """The enterprises that meet every condition of the policy, as a condition on Enterprise."""
    q = Q()
    if policy.industries:
        q &= Q(industry__in=sorted(_divisions(policy.industries)))
    if policy.scales:
        q &= Q(scale__in=policy.scales)
    region_ids = _region_ids(policy)
    if region_ids is not None:
        q &= Q(region_id__in=sorted(region_ids))
    if policy.founded_after:
        q &= Q(founded_on__gte=policy.founded_after)
    if policy.founded_before:
        q &= Q(founded_on__lte=policy.founded_before)
    if policy.min_employees is not None:
        q &= Q(employees__gte=policy.min_employees)
    if policy.max_employees is not None:
        q &= Q(employees__lte=policy.max_employees)
    through = Enterprise.qualifications.through
    for qualification_id in sorted(q.pk for q in policy.qualifications.all()):
        q &= Q(pk__in=through.objects.filter(qualification_id=qualification_id).values("enterprise_id"))
    return q


def matching_enterprises(policy: Policy):
    return Enterprise.objects.filter(conditions_q(policy))


@dataclass
class Rule:
    """A policy's conditions, loaded once, to test enterprises in memory."""

    policy: Policy
    divisions: set[str] | None
    scales: set[str] | None
    regions: set[int] | None
    qualifications: set[int]

    @classmethod
    def of(cls, policy: Policy) -> "Rule":
        return cls(policy, _divisions(policy.industries) if policy.industries else None,
                   set(policy.scales) if policy.scales else None, _region_ids(policy),
                   {q.pk for q in policy.qualifications.all()})

    def admits(self, enterprise: Enterprise, qualification_ids: set[int]) -> bool:
        p = self.policy
        if self.divisions is not None and enterprise.industry not in self.divisions:
            return False
        if self.scales is not None and enterprise.scale not in self.scales:
            return False
        if self.regions is not None and enterprise.region_id not in self.regions:
            return False
        if p.founded_after and (enterprise.founded_on is None or enterprise.founded_on < p.founded_after):
            return False
        if p.founded_before and (enterprise.founded_on is None or enterprise.founded_on > p.founded_before):
            return False
        if p.min_employees is not None and (enterprise.employees is None or enterprise.employees < p.min_employees):
            return False
        if p.max_employees is not None and (enterprise.employees is None or enterprise.employees > p.max_employees):
            return False
        return self.qualifications <= qualification_ids


def visible(user):
    """The policies this staff member may read: the centre every one; everyone else the published and withdrawn
    ones, and their own unit's drafts and those waiting for review."""
    if has_perm(user, "policy.review"):
        return Policy.objects.all()
    own = department_of(user)
    mine = Q(department_id__in=subtree_ids(own)) if own is not None and has_perm(user, "policy.edit") else Q(pk__in=[])
    return Policy.objects.filter(Q(status__in=[S.PUBLISHED, S.WITHDRAWN]) | mine)


def live(today: date | None = None):
    """Published policies in force today (a local day)."""
    today = today or clock.today()
    return (Policy.objects.filter(status=S.PUBLISHED)
            .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=today))
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today)))


def eligible(enterprise: Enterprise, *, policies=None) -> list[Policy]:
    """The live policies this enterprise meets every condition of (免申即享 first, then the newest)."""
    rows = policies if policies is not None else live().prefetch_related("regions", "qualifications")
    quals = set(enterprise.qualifications.values_list("pk", flat=True))
    found = [p for p in rows if Rule.of(p).admits(enterprise, quals)]
    return sorted(found, key=lambda p: (not p.automatic, -(p.valid_from or date.min).toordinal(), p.code))


def describe(policy: Policy) -> list[str]:
    """The conditions in words, for the pages."""
    out = []
    if policy.industries:
        out.append("行业：" + "、".join(
            f"{c} {industry.SECTIONS[c]}" if c in industry.SECTIONS else industry.label(c) for c in policy.industries))
    if policy.scales:
        out.append("规模：" + "、".join(Scale(s).label for s in policy.scales))
    regions = [r.name for r in policy.regions.all()]
    if regions:
        out.append("区划：" + "、".join(regions))
    quals = [q.name for q in policy.qualifications.all()]
    if quals:
        out.append("资质：" + "、".join(quals))
    if policy.founded_after or policy.founded_before:
        out.append("成立日期：" + (f"{policy.founded_after} 起" if policy.founded_after else "")
                   + (f"至 {policy.founded_before}" if policy.founded_before else ""))
    if policy.min_employees is not None or policy.max_employees is not None:
        low = policy.min_employees if policy.min_employees is not None else 0
        out.append(f"从业人数：{low}–{policy.max_employees if policy.max_employees is not None else '不限'} 人")
    return out or ["不限"]


# ---------------------------------------------------------------- the library

TEXT_FIELDS = ("title", "document_number", "summary", "text", "steps", "link")


def may_edit(user, policy: Policy | None, department: Department | None) -> bool:
    if not has_perm(user, "policy.edit"):
        return False
    if has_perm(user, "policy.review"):  # the centre edits any department's policies
        return True
    own = department_of(user)
    unit = policy.department if policy is not None else department
    return own is not None and unit is not None and unit.pk in subtree_ids(own)


def _clean(data: dict) -> tuple[dict, list, list]:
    errors, fields = {}, {}
    for name in TEXT_FIELDS:
        fields[name] = (data.get(name) or "").strip()
    if not fields["title"]:
        errors["title"] = "请填写政策名称"
    if not fields["summary"]:
        errors["summary"] = "请填写政策要点"
    for name, limit in (("title", 200), ("document_number", 100), ("summary", 2000)):
        if len(fields[name]) > limit:
            errors[name] = f"不超过{limit}字"
    if fields["link"]:
        try:
            URLValidator(schemes=["http", "https"])(fields["link"])
        except DjangoValidationError:
            errors["link"] = "申报链接应为以 https:// 或 http:// 开头的完整网址"
    form = (data.get("benefit_form") or "").strip()
    if form not in Policy.Form.values:
        errors["benefit_form"] = "请选择兑现方式"
    fields["benefit_form"] = form
    amount = (data.get("benefit_amount") or "").strip()
    fields["benefit_amount"] = Decimal(amount) if re.fullmatch(r"\d{1,10}(\.\d{1,2})?", amount) else None
    if amount and fields["benefit_amount"] is None:
        errors["benefit_amount"] = "金额应为不超过10位整数、最多两位小数的万元数，例如 20 或 12.5"
    for name in ("valid_from", "valid_until", "founded_after", "founded_before"):
        text = (data.get(name) or "").strip()
        fields[name] = parse_day(text) if text else None
        if text and fields[name] is None:
            errors[name] = "日期格式应为 YYYY-MM-DD"
    if fields["valid_from"] and fields["valid_until"] and fields["valid_until"] < fields["valid_from"]:
        errors["valid_until"] = "有效期不能早于施行日期"
    for name in ("min_employees", "max_employees"):
        text = str(data.get(name) or "").strip()
        fields[name] = int(text) if text.isdecimal() else None
        if text and fields[name] is None:
            errors[name] = "应为非负整数"
    if fields["min_employees"] is not None and fields["max_employees"] is not None and (
            fields["max_employees"] < fields["min_employees"]):
        errors["max_employees"] = "从业人数上限不能小于下限"
    if fields["founded_after"] and fields["founded_before"] and fields["founded_before"] < fields["founded_after"]:
        errors["founded_before"] = "成立日期的“不晚于”不能早于“不早于”"
    fields["automatic"] = str(data.get("automatic") or "").lower() in ("1", "true", "on", "yes")
    industries = _list(data, "industries")
    unknown = [c for c in industries if c not in industry.SECTIONS and c not in industry.DIVISIONS]
    if unknown:
        errors["industries"] = "未知行业代码：" + "、".join(unknown)
    fields["industries"] = industries
    scales = _list(data, "scales")
    if any(s not in Scale.values for s in scales):
        errors["scales"] = "未知企业规模"
    fields["scales"] = scales
    regions = list(Region.objects.filter(code__in=_list(data, "regions")))
    if len(regions) != len(set(_list(data, "regions"))):
        errors["regions"] = "区划不存在"
    quals = list(Qualification.objects.filter(code__in=_list(data, "qualifications")))
    if len(quals) != len(set(_list(data, "qualifications"))):
        errors["qualifications"] = "资质不存在"
    if errors:
        raise ValidationFailed(errors)
    return fields, regions, quals


def _list(data, name) -> list[str]:
    value = data.getlist(name) if hasattr(data, "getlist") else data.get(name) or []
    if isinstance(value, str):
        value = value.replace("，", ",").replace("、", ",").split(",")
    return [v.strip() for v in value if v and v.strip()]


def _words(policy: Policy) -> str:
    from jiesu.knowledge.search import words

    return " ".join(words(f"{policy.title} {policy.title} {policy.summary} {policy.text}"))


@transaction.atomic
def save(actor, data: dict, code: str = "") -> Policy:
    """A new policy (a draft of the actor's unit, or of `department` for the centre), or changes to one; a
    published policy edited goes back to 待审核."""
    policy = Policy.objects.select_for_update().filter(code=code).first() if code else None
    if code and policy is None:
        raise NotFound("政策不存在", code="policy_not_found")
    department = policy.department if policy else None
    if policy is None:
        chosen = (data.get("department") or "").strip()
        department = (Department.objects.filter(code=chosen).first() if chosen and has_perm(actor, "policy.review")
                      else department_of(actor))
        if department is None:
            raise ValidationFailed({"department": "请选择发文单位"})
    if not may_edit(actor, policy, department):
        raise PermissionDenied("您无权编写该单位的政策", code="policy_forbidden")
    fields, regions, quals = _clean(data)
    now = clock.now()
    new = policy is None
    if new:
        policy = Policy(department=department, created_by=actor, created_at=now)
    for name, value in fields.items():
        setattr(policy, name, value)
    if policy.status == S.PUBLISHED:
        policy.status = S.PENDING
    policy.updated_at = now
    policy.search_words = _words(policy)
    if new:
        _insert_numbered(policy)
    else:
        policy.save()
    policy.regions.set(regions)
    policy.qualifications.set(quals)
    return policy


def _insert_numbered(policy: Policy) -> None:
    """Give a new policy the next free number ZC00001, ZC00002…; two saved at once each get their own (the
    unique code decides, the loser takes the next)."""
    number = Policy.objects.count() + 1
    for _ in range(20):
        policy.code = f"ZC{number:05d}"
        try:
            with transaction.atomic():
                policy.save(force_insert=True)
            return
        except IntegrityError:
            number += 1
    raise Conflict("政策编号分配冲突，请重试", code="concurrent_update")


def _get(code: str, *, lock: bool = False) -> Policy:
    rows = Policy.objects.select_related("department")
    policy = (rows.select_for_update() if lock else rows).filter(code=code).first()
    if policy is None:
        raise NotFound("政策不存在", code="policy_not_found")
    return policy


@transaction.atomic
def submit(actor, code: str) -> Policy:
    policy = _get(code, lock=True)
    if not may_edit(actor, policy, None):
        raise PermissionDenied("您无权提交该政策", code="policy_forbidden")
    if policy.status not in (S.DRAFT, S.WITHDRAWN):
        raise Conflict(f"政策当前为“{policy.get_status_display()}”，不能提交审核", code="policy_state")
    policy.status, policy.updated_at = S.PENDING, clock.now()
    policy.save(update_fields=["status", "updated_at"])
    return policy


@transaction.atomic
def review(actor, code: str, *, approve: bool, note: str = "") -> Policy:
    """发布 or 退回 (back to 草稿 with the note), by the centre."""
    if not has_perm(actor, "policy.review"):
        raise PermissionDenied("您无权审核政策", code="policy_forbidden")
    policy = _get(code, lock=True)
    if policy.status != S.PENDING:
        raise Conflict("该政策不在待审核状态", code="policy_state")
    if not approve and not note.strip():
        raise ValidationFailed({"note": "退回时请写明理由"})
    now = clock.now()
    policy.status = S.PUBLISHED if approve else S.DRAFT
    policy.reviewed_by, policy.reviewed_at, policy.review_note, policy.updated_at = actor, now, note.strip()[:500], now
    policy.save()
    return policy


@transaction.atomic
def withdraw(actor, code: str) -> Policy:
    policy = _get(code, lock=True)
    if not (has_perm(actor, "policy.review") or may_edit(actor, policy, None)):
        raise PermissionDenied("您无权撤回该政策", code="policy_forbidden")
    if policy.status != S.PUBLISHED:
        raise Conflict("只有已发布的政策可以撤回", code="policy_state")
    policy.status, policy.updated_at = S.WITHDRAWN, clock.now()
    policy.save(update_fields=["status", "updated_at"])
    return policy


# ---------------------------------------------------------------- pushes

@transaction.atomic
def push(actor, code: str) -> int:
    """Push a live policy to every matching enterprise it has not reached yet: one row each, and an SMS to each
    of its contacts with a mobile number. Returns how many enterprises were new."""
    from jiesu.notifications.models import Channel
    from jiesu.notifications.services import MOBILE, outbox

    policy = _get(code, lock=True)
    if not (has_perm(actor, "policy.review") or may_edit(actor, policy, None)):
        raise PermissionDenied("您无权推送该政策", code="policy_forbidden")
    if not live().filter(pk=policy.pk).exists():
        raise Conflict("只有已发布且在有效期内的政策可以推送", code="policy_not_live")
    now = clock.now()
    already = PolicyPush.objects.filter(policy=policy).values("enterprise_id")
    new = list(matching_enterprises(policy).exclude(pk__in=already).values_list("pk", flat=True))
    PolicyPush.objects.bulk_create([PolicyPush(policy=policy, enterprise_id=e, pushed_at=now) for e in new],
                                   ignore_conflicts=True, batch_size=2000)
    from .models import Contact

    how = "，免申即享，无需申报" if policy.automatic else "，可按申报流程申报"
    messages = [outbox(Channel.SMS, phone, "policy_push", {"title": policy.title, "how": how}, now=now)
                # the rows just written, by a subquery (a list of ids could pass SQLite's parameter limit)
                for phone in Contact.objects.filter(enterprise__policy_pushes__policy=policy,
                                                    enterprise__policy_pushes__pushed_at=now)
                .values_list("phone", flat=True)
                if new and MOBILE.match(phone)]
    from jiesu.notifications.models import Delivery

    Delivery.objects.bulk_create(messages, batch_size=2000)
    return len(new)


def figures(policy: Policy) -> dict:
    """How far the pushes went: matching now, pushed, read, applied, granted."""
    counts = PolicyPush.objects.filter(policy=policy).aggregate(
        pushed=Count("pk"), read=Count("pk", filter=Q(read_at__isnull=False)),
        applied=Count("pk", filter=Q(applied_at__isnull=False)), granted=Count("pk", filter=Q(granted_at__isnull=False)))
    counts["matching"] = matching_enterprises(policy).count()
    return counts


def _push_of(enterprise: Enterprise, code: str) -> PolicyPush | None:
    return PolicyPush.objects.filter(policy__code=code, enterprise=enterprise).first()


def opened(enterprise: Enterprise, code: str) -> tuple[Policy, PolicyPush | None]:
    """An enterprise opens a policy (live, or one pushed to it): its push is marked 已读."""
    policy = live().filter(code=code).first() or Policy.objects.filter(code=code, pushes__enterprise=enterprise).first()
    if policy is None:
        raise NotFound("政策不存在或已失效", code="policy_not_found")
    record = _push_of(enterprise, code)
    if record is not None and record.read_at is None:
        PolicyPush.objects.filter(pk=record.pk, read_at__isnull=True).update(read_at=clock.now())
        record.refresh_from_db()
    return policy, record


def applied(enterprise: Enterprise, code: str) -> PolicyPush:
    """我已申报: the enterprise says it applied (only where the policy asks for an application)."""
    policy, record = opened(enterprise, code)
    if policy.automatic:
        raise Conflict("该政策免申即享，无需申报", code="policy_automatic")
    now = clock.now()
    if record is None and policy not in eligible(enterprise):
        raise Conflict("根据企业库登记的信息，本企业不符合该政策的申报条件", code="policy_not_eligible")
    if record is None:  # found it itself (eligible, never pushed): counted as reached now
        try:
            with transaction.atomic():
                record = PolicyPush.objects.create(policy=policy, enterprise=enterprise, pushed_at=now, read_at=now)
        except IntegrityError:
            record = _push_of(enterprise, code)
    PolicyPush.objects.filter(pk=record.pk, applied_at__isnull=True).update(applied_at=now)
    record.refresh_from_db()
    return record


def granted(actor, code: str, credit_code: str) -> PolicyPush:
    """已兑现, recorded by the issuing department (or the centre)."""
    policy = _get(code)
    if not (has_perm(actor, "policy.review") or may_edit(actor, policy, None)):
        raise PermissionDenied("您无权登记兑现", code="policy_forbidden")
    record = PolicyPush.objects.filter(policy=policy, enterprise__credit_code=credit_code).first()
    if record is None:
        raise NotFound("该政策没有推送给这家企业", code="policy_push_not_found")
    PolicyPush.objects.filter(pk=record.pk, granted_at__isnull=True).update(granted_at=clock.now())
    record.refresh_from_db()
    return record


# ---------------------------------------------------------------- 政策问答


def ask(question: str, *, limit: int = 3) -> list[tuple[Policy, float]]:
    """The live policies that answer a free-text question, best first (TF-IDF over jieba words, cosine)."""
    from jiesu.knowledge.models import SynonymGroup
    from jiesu.knowledge.search import alternatives, words

    # The question's words with their synonyms (社保 → 社会保险), as the knowledge search expands a query.
    groups = [g.split(",") for g in SynonymGroup.objects.values_list("words", flat=True)]
    asked = " ".join(w for same in alternatives(words(question or ""), groups).values() for w in sorted(same))
    rows = list(live().exclude(search_words=""))
    if not asked or not rows:
        return []
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=str.split, sublinear_tf=True)
    matrix = vectorizer.fit_transform([p.search_words for p in rows])
    scores = (matrix @ vectorizer.transform([asked]).T).toarray().ravel()
    ranked = sorted(((score, i) for i, score in enumerate(scores) if score > 0.05), reverse=True)[:limit]
    # A policy far below the best one matched on a common word only (补贴): not an answer.
    ranked = [(score, i) for score, i in ranked if score >= 0.5 * ranked[0][0]] if ranked else []
    return [(rows[i], float(score)) for score, i in ranked]
