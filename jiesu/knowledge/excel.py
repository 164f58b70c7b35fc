"""Articles as Excel, the way offices exchange them: one row per article, Chinese headers."""

from django.db import transaction
from openpyxl import Workbook

from jiesu.core.errors import ServiceError, ValidationFailed
from jiesu.directory.permissions import has_perm
from jiesu.kpi.excel import read_rows, save, sheet

from . import services
from .models import Article

COLUMNS = ["编号", "标题", "问法", "答复口径", "政策依据", "标签", "诉求分类", "适用区划", "主管单位", "生效日期", "失效日期"]
MAX_ROWS = 5000


def export(articles=None) -> bytes:
    """The published articles (or the given ones) as an .xlsx; 问法 one per line."""
    articles = articles if articles is not None else services.live_articles()
    rows = [
        [a.code, a.title, "\n".join(a.questions), a.answer, a.basis, a.tags,
         a.category.code if a.category_id else "", ",".join(r.code for r in a.regions.all()), a.owner.code,
         a.valid_from, a.valid_until]
        for a in articles.select_related("owner", "category").prefetch_related("regions").order_by("code")
    ]
    book = Workbook()
    ws = book.active
    ws.title = "知识库"
    sheet(ws, COLUMNS, rows, {9: "yyyy-mm-dd", 10: "yyyy-mm-dd"}, {1: 30, 2: 30, 3: 60, 4: 30})
    return save(book)


@transaction.atomic
def import_articles(actor, content: bytes, *, publish: bool = False) -> dict:
    """Import rows as drafts (a row with an existing 编号 becomes that article's next draft); with `publish`
    a reviewer publishes them at once. All or nothing: any bad row refuses the file, naming the rows."""
    if publish and not has_perm(actor, "knowledge.review"):
        raise ValidationFailed({"publish": "只有审核人可以导入即发布"})
    errors, done = {}, {"created": 0, "updated": 0, "published": 0}
    for number, values in read_rows(content, COLUMNS, max_rows=MAX_ROWS):
        code = values["编号"]
        data = {"title": values["标题"], "questions": values["问法"].splitlines(), "answer": values["答复口径"],
                "basis": values["政策依据"], "tags": values["标签"], "category": values["诉求分类"],
                "regions": values["适用区划"], "valid_from": values["生效日期"][:10],
                "valid_until": values["失效日期"][:10]}
        try:
            with transaction.atomic():
                existing = code and Article.objects.filter(code=code).exists()
                version = services.save_draft(actor=actor, data=data, code=code if existing else "",
                                              owner=values["主管单位"])
                done["updated" if existing else "created"] += 1
                if publish:
                    services.submit(actor=actor, code=version.article.code)
                    services.review(actor=actor, code=version.article.code, approve=True, note="Excel 导入")
                    done["published"] += 1
        except ServiceError as exc:  # a refusal of any kind names its row
            errors[f"第{number}行"] = exc.full_message()
    if errors:
        raise ValidationFailed(errors)  # leaving the transaction undoes the rows that went in
    return done
