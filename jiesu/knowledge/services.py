"""Business actions of the knowledge base: drafting, review and publication in versions, expiry, search
with synonyms and the record of questions that found nothing. Views, the API, commands and tests call these.

An article's owning department drafts (`save_draft`) and submits; a reviewer publishes or sends it back. Every
version is kept; the article shows its published version. Editing a published article starts a new draft and
the published one stays visible until the new one is published. Articles whose 失效日期 has passed drop out of
search (`search`) and are listed for their owners (`expiring`).
"""

import math
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q

from jiesu.core import clock
from jiesu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jiesu.core.masking import mask_text
from jiesu.core.validators import DATE_FORMAT_MESSAGE, in_date_range, parse_day
from jiesu.directory.models import Category, Department, Region
from jiesu.directory.permissions import department_of, has_perm
from jiesu.directory.services import subtree_ids

from . import search as S
from .models import CONTENT_FIELDS, Article, ArticleVersion, SearchMiss, SynonymGroup

MAX_TITLE, MAX_ANSWER, MAX_QUESTIONS, MAX_QUESTION = 200, 10_000, 30, 200
MIN_COVERAGE = 0.6  # share of a question's words an article must contain to be an answer
V = ArticleVersion.Status


def _today() -> date:
    return clock.today()


# ------------------------------------------------------------------ permissions


def can_edit(user, article: Article | None, owner: Department | None = None) -> bool:
    if has_perm(user, "knowledge.edit_all"):
        return True
    department = department_of(user)
    target = article.owner if article else owner
    return has_perm(user, "knowledge.edit") and department is not None and target is not None and \
        target.pk == department.pk


def _check_edit(user, article: Article | None, owner: Department | None = None) -> None:
    if not can_edit(user, article, owner):
        raise PermissionDenied("只能编写本单位的知识", code="knowledge_forbidden")


# ------------------------------------------------------------------ drafting and review


def _clean(data: dict) -> dict:
    errors: dict[str, str] = {}
    clean: dict = {}
    clean["title"] = str(data.get("title") or "").strip()
    if not clean["title"]:
        errors["title"] = "请填写标题"
    elif len(clean["title"]) > MAX_TITLE:
        errors["title"] = f"标题不能超过{MAX_TITLE}字"
    raw = data.get("questions") or []
    if isinstance(raw, str):
        raw = raw.splitlines()
    questions = [str(q).strip() for q in raw if str(q).strip()]
    if len(questions) > MAX_QUESTIONS or any(len(q) > MAX_QUESTION for q in questions):
        errors["questions"] = f"问法最多{MAX_QUESTIONS}条，每条不超过{MAX_QUESTION}字"
    clean["questions"] = list(dict.fromkeys(questions))
    clean["answer"] = str(data.get("answer") or "").strip()
    if not clean["answer"]:
        errors["answer"] = "请填写答复口径"
    elif len(clean["answer"]) > MAX_ANSWER:
        errors["answer"] = f"答复口径不能超过{MAX_ANSWER}字"
    clean["basis"] = str(data.get("basis") or "").strip()[:MAX_ANSWER]
    tags = data.get("tags") or ""
    if isinstance(tags, list | tuple):
        tags = ",".join(str(t) for t in tags)
    clean["tags"] = ",".join(t.strip() for t in str(tags).replace("，", ",").split(",") if t.strip())[:200]
    clean["category"] = None
    if data.get("category"):
        clean["category"] = Category.objects.filter(code=str(data["category"]).strip(), active=True).first()
        if clean["category"] is None:
            errors["category"] = f"诉求分类不存在或已停用：{data['category']}"
    for name, label in (("valid_from", "生效日期"), ("valid_until", "失效日期")):
        value = data.get(name)
        clean[name] = None
        if value in (None, ""):
            continue
        parsed = value if isinstance(value, date) else parse_day(value)
        if parsed is None or not in_date_range(parsed):
            errors[name] = f"{label}{DATE_FORMAT_MESSAGE}"
        clean[name] = parsed
    if clean["valid_from"] and clean["valid_until"] and clean["valid_until"] < clean["valid_from"]:
        errors["valid_until"] = "失效日期不能早于生效日期"
    codes = data.get("regions") or []
    if isinstance(codes, str):
        codes = [c for c in codes.replace("，", ",").split(",") if c.strip()]
    regions = list(Region.objects.filter(code__in=[str(c).strip() for c in codes]))
    if len(regions) != len(set(str(c).strip() for c in codes)):
        errors["regions"] = "适用区划中有不存在的区划编码"
    clean["regions"] = regions
    if errors:
        raise ValidationFailed(errors)
    return clean


def _write_version(version: ArticleVersion, clean: dict) -> None:
    for name in CONTENT_FIELDS:
        setattr(version, name, clean[name])
    version.save()
    version.regions.set(clean["regions"])


@transaction.atomic
def save_draft(*, actor, data: dict, code: str = "", owner: str = "") -> ArticleVersion:
    """Create an article (with `owner`, a department code) or edit one (by `code`). Edits go to its open draft,
    or start a new draft version when the latest is published; not while a version awaits review."""
    now = clock.now()
    if code:
        article = Article.objects.select_for_update().filter(code=code).first()
        if article is None:
            raise NotFound("知识不存在", code="article_not_found")
        _check_edit(actor, article)
    else:
        department = Department.objects.filter(code=(owner or "").strip(), active=True).first() if owner \
            else department_of(actor)
        if department is None:
            raise ValidationFailed({"owner": "请选择主管单位"})
        _check_edit(actor, None, department)
        article = Article.objects.create(code=f"new-{uuid.uuid4().hex[:16]}", owner=department, created_at=now,
                                         updated_at=now)
        article.code = f"ZS{article.pk:06d}"  # from the id: unique under concurrent creation
        article.save(update_fields=["code"])
    clean = _clean(data)
    latest = article.versions.order_by("-number").first()
    if latest is not None and latest.status == V.SUBMITTED:
        raise Conflict("该知识的新版本正在审核，审核完成后再修改", code="under_review")
    if latest is not None and latest.status in (V.DRAFT, V.REJECTED):
        version = latest
        version.status, version.author, version.created_at = V.DRAFT, actor, now
        version.review_note = ""
    else:
        version = ArticleVersion(article=article, number=(latest.number + 1) if latest else 1, author=actor,
                                 created_at=now)
    _write_version(version, clean)
    Article.objects.filter(pk=article.pk).update(updated_at=now)
    return version


def _latest(article: Article) -> ArticleVersion | None:
    return article.versions.order_by("-number").first()


def _locked(code: str) -> Article:
    article = Article.objects.select_for_update().filter(code=code).first()
    if article is None:
        raise NotFound("知识不存在", code="article_not_found")
    return article


@transaction.atomic
def submit(*, actor, code: str) -> ArticleVersion:
    article = _locked(code)
    _check_edit(actor, article)
    version = _latest(article)
    if version is None or version.status != V.DRAFT:
        raise Conflict("没有待提交的草稿", code="no_draft")
    version.status, version.submitted_at = V.SUBMITTED, clock.now()
    version.save(update_fields=["status", "submitted_at"])
    return version


@transaction.atomic
def review(*, actor, code: str, approve: bool, note: str = "") -> ArticleVersion:
    """Publish the submitted version (the previous published one becomes history) or send it back."""
    if not has_perm(actor, "knowledge.review"):
        raise PermissionDenied("您无权审核知识", code="knowledge_forbidden")
    article = _locked(code)
    version = _latest(article)
    if version is None or version.status != V.SUBMITTED:
        raise Conflict("没有待审核的版本", code="no_submitted_version")
    note = (note or "").strip()[:1000]
    if not approve and not note:
        raise ValidationFailed({"note": "退回时请填写审核意见"})
    now = clock.now()
    version.reviewer, version.reviewed_at, version.review_note = actor, now, note
    if not approve:
        version.status = V.REJECTED
        version.save(update_fields=["status", "reviewer", "reviewed_at", "review_note"])
        return version
    article.versions.filter(status=V.PUBLISHED).update(status=V.SUPERSEDED)
    version.status = V.PUBLISHED
    version.save(update_fields=["status", "reviewer", "reviewed_at", "review_note"])
    _show(article, version, now)
    return version


def _show(article: Article, version: ArticleVersion, now) -> None:
    """Make `version` the article's published content and its search index."""
    for name in CONTENT_FIELDS:
        setattr(article, name, getattr(version, name))
    article.published, article.status, article.updated_at = version, Article.Status.PUBLISHED, now
    article.search_title = S.encode("\n".join([version.title, *version.questions]))
    article.search_body = S.encode(f"{version.tags.replace(',', ' ')}\n{version.answer}")
    article.save()
    article.regions.set(version.regions.all())


@transaction.atomic
def withdraw(*, actor, code: str) -> Article:
    """Take an article out of search (a reviewer's call: e.g. a policy repealed before its 失效日期)."""
    if not has_perm(actor, "knowledge.review"):
        raise PermissionDenied("您无权撤回知识", code="knowledge_forbidden")
    article = _locked(code)
    if article.status != Article.Status.PUBLISHED:
        raise Conflict("该知识未发布", code="not_published")
    article.status, article.updated_at = Article.Status.WITHDRAWN, clock.now()
    article.search_title = article.search_body = ""
    article.save()
    return article


def live_articles(on: date | None = None):
    """Published articles in force on the day."""
    on = on or _today()
    return Article.objects.filter(status=Article.Status.PUBLISHED).filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=on), Q(valid_until__isnull=True) | Q(valid_until__gte=on)
    )


def expiring(department: Department | None = None, *, within_days: int = 30):
    """Published articles that have expired or expire within `within_days` (the owners' reminder list)."""
    today = _today()
    queryset = Article.objects.filter(status=Article.Status.PUBLISHED, valid_until__isnull=False,
                                      valid_until__lte=today + timedelta(days=within_days))
    if department is not None:
        queryset = queryset.filter(owner=department)
    return queryset.select_related("owner").order_by("valid_until")


# ------------------------------------------------------------------ search


@dataclass
class Hit:
    article: Article
    score: float
    matched: list[str]  # the query's words (or their synonyms) the article contains
    coverage: float  # share of the question's words the article contains (directly or by a synonym)


def _synonyms() -> list[list[str]]:
    return [g.word_list() for g in SynonymGroup.objects.all()]


def search(query: str, *, region: Region | None = None, limit: int = 5, actor=None, record_miss: bool = False,
           category: Category | None = None) -> list[Hit]:
    """The published, in-force articles that answer `query`, best first, each with the words it matched; an
    article must contain most of the question's words (MIN_COVERAGE, directly or by a synonym). With
    `record_miss` (an explicit search: the knowledge page, the API), a question that finds nothing is recorded,
    masked, as a search miss for the departments to write it; what an operator types on a call never is."""
    query = (query or "").strip()[:500]
    asked = S.words(query)
    if not asked:
        return []
    standing_for = S.alternatives(asked, _synonyms())
    wanted = list(dict.fromkeys(w for same in standing_for.values() for w in same))
    ranked = S.ranked_ids(wanted, limit=limit * 5)
    live = live_articles()
    if region is not None:
        live = live.filter(Q(regions__isnull=True) | Q(regions=region) | Q(regions=region.parent_id)).distinct()
    articles = {a.pk: a for a in live.filter(pk__in=[pk for pk, _ in ranked]).select_related("owner", "category")}
    hits = []
    for pk, score in ranked:
        article = articles.get(pk)
        if article is None:
            continue
        words = set(S.words("\n".join([article.title, *article.questions, article.tags, article.answer])))
        covered = [q for q, same in standing_for.items() if same & words]
        # Most of the question's words (or their synonyms): one shared word is not an answer.
        if len(covered) < math.ceil(MIN_COVERAGE * len(standing_for)):
            continue
        hits.append(Hit(article, score, [w for w in wanted if w in words], len(covered) / len(standing_for)))
    # More of the question answered first, then the database's rank (which on PostgreSQL ignores rarity).
    hits = sorted(hits, key=lambda h: (-h.coverage, -h.score))[:limit]
    if not hits and record_miss:
        masked = mask_text(query)
        SearchMiss.objects.create(query=masked[:200], normalized=" ".join(S.words(masked))[:200], user=actor,
                                  category=category, created_at=clock.now())
    return hits


def can_see_misses(user) -> bool:
    return has_perm(user, "knowledge.edit") or has_perm(user, "knowledge.review")


def misses(*, actor, since: date | None = None, limit: int = 50) -> list[dict]:
    """The questions that found nothing, most asked first: for the people who write and review articles."""
    if not can_see_misses(actor):
        raise PermissionDenied("只有知识编写和审核人员可以查看未命中的问题", code="knowledge_forbidden")
    queryset = SearchMiss.objects.all()
    if not (has_perm(actor, "knowledge.review") or has_perm(actor, "knowledge.edit_all")):
        # A unit's staff search with their own tickets' words: another unit's editors see the hotline
        # centre's questions (the public's) and their own unit's, never a third unit's.
        own = department_of(actor)
        asked_by = Q(user__staff__department__kind=Department.Kind.HOTLINE_CENTER)
        if own is not None:
            asked_by |= Q(user__staff__department_id__in=subtree_ids(own))
        queryset = queryset.filter(asked_by)
    if since is not None:
        queryset = queryset.filter(created_at__date__gte=since)
    return list(queryset.values("normalized").annotate(times=Count("id"), last=Max("created_at"),
                                                        example=Max("query")).order_by("-times", "-last")[:limit])


def purge_misses(*, now=None) -> int:
    """Forget search misses older than JIESU_KNOWLEDGE_MISS_RETENTION_DAYS (run nightly: `jiesu knowledge
    purge-misses`). Returns how many were deleted."""
    cutoff = (now or clock.now()) - timedelta(days=settings.JIESU_KNOWLEDGE_MISS_RETENTION_DAYS)
    deleted, _ = SearchMiss.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# ------------------------------------------------------------------ reading one article


def can_see_drafts(user, article: Article) -> bool:
    """Drafts and versions under review are for the owning department's editors and the reviewers."""
    return has_perm(user, "knowledge.review") or can_edit(user, article)


def readable(user, code: str) -> tuple[Article, list[ArticleVersion]]:
    """An article and the versions this user may read: everything for its editors and reviewers; for everyone
    else only what was published (NotFound for an article never published)."""
    if not has_perm(user, "knowledge.search"):
        raise PermissionDenied("您无权查阅知识库", code="knowledge_forbidden")
    article = Article.objects.select_related("owner", "category", "published").filter(code=code).first()
    if article is None:
        raise NotFound("知识不存在", code="article_not_found")
    versions = article.versions.select_related("author", "reviewer")  # newest first
    if can_see_drafts(user, article):
        return article, list(versions)
    if article.published_id is None and article.status != Article.Status.WITHDRAWN:
        raise NotFound("知识不存在", code="article_not_found")
    return article, list(versions.filter(status__in=(V.PUBLISHED, V.SUPERSEDED)))
