"""The knowledge base over the API: search, articles with their versions, drafting and review, misses."""

from datetime import date, datetime

from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from jiesu.core.errors import PermissionDenied
from jiesu.core.schemas import InputSchema, choice, required
from jiesu.directory.models import Region
from jiesu.directory.permissions import has_perm
from jiesu.kpi.excel import xlsx_response
from jiesu.tickets import access

from . import cases, excel, services
from .models import Article, ArticleVersion

router = Router(tags=["知识库"])


class SearchIn(Schema):
    q: str = ""
    region: str | None = None
    limit: int = Field(5, ge=1, le=20)


class ArticleOut(Schema):
    code: str
    title: str
    questions: list[str]
    answer: str
    basis: str
    tags: list[str]
    owner: str
    category: str | None
    regions: list[str]
    valid_from: date | None
    valid_until: date | None
    status: choice(Article.Status)
    version: int | None


class HitOut(Schema):
    article: ArticleOut
    score: float
    coverage: float
    matched: list[str]


class VersionOut(Schema):
    number: int
    status: choice(ArticleVersion.Status)
    title: str
    questions: list[str]
    answer: str
    basis: str
    author: str
    created_at: datetime
    reviewer: str | None
    reviewed_at: datetime | None
    review_note: str


class ArticleDetailOut(ArticleOut):
    versions: list[VersionOut]


class DraftIn(InputSchema):
    # The whole content of the draft: title and answer are always required (services._clean).
    title: required(str) = None
    questions: list[str] | None = None
    answer: required(str) = None
    basis: str | None = None
    tags: list[str] | None = None
    category: str | None = None
    regions: list[str] | None = None
    valid_from: str | None = None
    valid_until: str | None = None
    owner: str | None = None  # 主管单位编码 (new articles; defaults to the author's unit)


class ReviewIn(Schema):
    approve: bool
    note: str | None = None


class ImportOut(Schema):
    created: int
    updated: int
    published: int


class MissOut(Schema):
    normalized: str
    example: str
    times: int
    last: datetime


def _can_read(user) -> None:
    if not has_perm(user, "knowledge.search"):
        raise PermissionDenied("您无权查阅知识库", code="knowledge_forbidden")


def article_out(a: Article) -> dict:
    return {
        "code": a.code, "title": a.title, "questions": a.questions, "answer": a.answer, "basis": a.basis,
        "tags": [t for t in a.tags.split(",") if t], "owner": a.owner.code,
        "category": a.category.code if a.category_id else None, "regions": [r.code for r in a.regions.all()],
        "valid_from": a.valid_from, "valid_until": a.valid_until, "status": a.status,
        "version": a.published.number if a.published_id else None,
    }


def _detail(user, code: str) -> dict:
    """An article with the versions this user may read (drafts only for its editors and the reviewers)."""
    a, versions = services.readable(user, code)
    return {**article_out(a), "versions": [
        {"number": v.number, "status": v.status, "title": v.title, "questions": v.questions, "answer": v.answer,
         "basis": v.basis, "author": v.author.username, "created_at": v.created_at,
         "reviewer": v.reviewer.username if v.reviewer_id else None, "reviewed_at": v.reviewed_at,
         "review_note": v.review_note}
        for v in versions
    ]}




@router.get("/search", response=list[HitOut], summary="检索知识",
            description="按群众的说法检索已发布且在有效期内的知识；同义词扩展；每条结果给出命中的词。无结果时记为未命中问题。")
def search(request, params: Query[SearchIn]):
    _can_read(request.user)
    region = Region.objects.filter(code=params.region).first() if params.region else None
    hits = services.search(params.q, region=region, limit=params.limit, actor=request.user, record_miss=True)
    return [{"article": article_out(h.article), "score": round(h.score, 4), "coverage": round(h.coverage, 3),
             "matched": h.matched} for h in hits]


@router.get("/articles", response=list[ArticleOut], summary="知识列表（已发布）")
def articles(request):
    _can_read(request.user)
    return [article_out(a) for a in services.live_articles().select_related("owner", "category", "published")
            .prefetch_related("regions")]


@router.get("/articles/{code}", response=ArticleDetailOut, summary="知识详情（含全部版本）")
def article(request, code: str):
    _can_read(request.user)
    return _detail(request.user, code)


@router.post("/articles", response={201: ArticleDetailOut}, summary="新建知识（草稿）")
def create(request, payload: DraftIn):
    version = services.save_draft(actor=request.user, data=payload.dict(exclude_none=True), owner=payload.owner or "")
    return Status(201, _detail(request.user, version.article.code))


@router.post("/articles/{code}/draft", response=ArticleDetailOut, summary="修改知识（草稿；已发布的知识另起新版本）")
def draft(request, code: str, payload: DraftIn):
    services.save_draft(actor=request.user, code=code, data=payload.dict(exclude_none=True))
    return _detail(request.user, code)


@router.post("/articles/{code}/submit", response=ArticleDetailOut, summary="提交审核")
def submit(request, code: str):
    services.submit(actor=request.user, code=code)
    return _detail(request.user, code)


@router.post("/articles/{code}/review", response=ArticleDetailOut, summary="审核：发布或退回")
def review(request, code: str, payload: ReviewIn):
    services.review(actor=request.user, code=code, approve=payload.approve, note=payload.note or "")
    return _detail(request.user, code)


@router.post("/articles/{code}/withdraw", response=ArticleDetailOut, summary="撤回已发布的知识")
def withdraw(request, code: str):
    services.withdraw(actor=request.user, code=code)
    return _detail(request.user, code)


@router.get("/export.xlsx", summary="导出已发布的知识（Excel）", openapi_extra={"responses": {200: {
    "description": "Excel 文件",
    "content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
        "schema": {"type": "string", "format": "binary"}}}}}})
def export_xlsx(request):
    _can_read(request.user)
    return xlsx_response(excel.export(), "知识库.xlsx")


@router.post("/import", response=ImportOut, summary="从 Excel 导入知识",
             description="表头：" + "、".join(excel.COLUMNS) + "。导入为草稿（编号已存在的，作为该知识的新版本）；"
             "publish=true 时由审核人直接发布。任一行有误则整个文件不导入，错误按行列出。")
def import_xlsx(request, file: File[UploadedFile], publish: Form[bool] = False):
    if not has_perm(request.user, "knowledge.edit"):
        raise PermissionDenied("您无权导入知识", code="knowledge_forbidden")
    return excel.import_articles(request.user, file.read(), publish=publish)


class CaseOut(Schema):
    number: str
    title: str
    reply_text: str
    department: str
    closed_at: datetime | None
    score: float


@router.get("/cases/{number}", response=list[CaseOut], summary="相似案例",
            description="与该工单最相似、已办结且已解决（或政策解释）的历史工单，附答复与承办单位。")
def similar_cases(request, number: str):
    ticket = access.access_ticket(request.user, number)
    return [c.__dict__ for c in cases.similar_to(ticket, user=request.user)]


@router.get("/misses", response=list[MissOut], summary="未命中的问题（按次数）")
def misses(request):
    return services.misses(actor=request.user)
