"""The knowledge base: articles (policy Q&A, service guides, standard answers) in versions that owning
departments draft and a reviewer publishes; synonyms for search; questions that found nothing."""

from django.conf import settings
from django.db import models

from jiesu.directory.models import Category, Department, Region


class ArticleContent(models.Model):
    """What an article says: kept per version, and copied onto the article from its published version."""

    title = models.CharField("标题", max_length=200, blank=True)
    questions = models.JSONField("问法", default=list, blank=True)
    answer = models.TextField("答复口径", blank=True)
    basis = models.TextField("政策依据", blank=True)
    tags = models.CharField("标签", max_length=200, blank=True)
    category = models.ForeignKey(Category, verbose_name="诉求分类", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    regions = models.ManyToManyField(Region, verbose_name="适用区划", blank=True, related_name="+")
    valid_from = models.DateField("生效日期", null=True, blank=True)
    valid_until = models.DateField("失效日期", null=True, blank=True)

    class Meta:
        abstract = True


CONTENT_FIELDS = ("title", "questions", "answer", "basis", "tags", "category", "valid_from", "valid_until")


class Article(ArticleContent):
    """An article and what its published version says (empty until first published)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "未发布"
        PUBLISHED = "published", "已发布"
        WITHDRAWN = "withdrawn", "已撤回"

    code = models.CharField("编号", max_length=20, unique=True)
    owner = models.ForeignKey(Department, verbose_name="主管单位", on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.DRAFT)
    published = models.ForeignKey("ArticleVersion", verbose_name="发布版本", null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    # Search tokens of the published version, one field per weight (search.py).
    search_title = models.TextField(blank=True)
    search_body = models.TextField(blank=True)
    created_at = models.DateTimeField("创建时间")
    updated_at = models.DateTimeField("更新时间")

    class Meta:
        verbose_name = "知识"
        verbose_name_plural = "知识库"
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.title}"


class ArticleVersion(ArticleContent):
    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "待审核"
        PUBLISHED = "published", "已发布"
        REJECTED = "rejected", "已退回"
        SUPERSEDED = "superseded", "历史版本"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField("版本号")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.DRAFT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("编辑时间")
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    review_note = models.TextField("审核意见", blank=True)

    class Meta:
        verbose_name = "知识版本"
        verbose_name_plural = "知识版本"
        ordering = ["article", "-number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="uniq_article_version")]

    def __str__(self):
        return f"{self.article.code} v{self.number}"


class SynonymGroup(models.Model):
    """Words people use for the same thing (社保, 社会保险): a search for one finds the others."""

    words = models.CharField("同义词（以逗号分隔）", max_length=500)

    class Meta:
        verbose_name = "同义词组"
        verbose_name_plural = "同义词表"

    def __str__(self):
        return self.words

    def word_list(self) -> list[str]:
        return [w.strip() for w in self.words.replace("，", ",").split(",") if w.strip()]


class SearchMiss(models.Model):
    """A question asked that found nothing: what departments should write next."""

    query = models.CharField("问题", max_length=200)
    normalized = models.CharField(max_length=200, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("时间", db_index=True)

    class Meta:
        verbose_name = "未命中的问题"
        verbose_name_plural = "未命中的问题"
        ordering = ["-created_at"]

    def __str__(self):
        return self.query


class CaseKey(models.Model):
    """Look-up keys (hotspots.text.signature) of tickets closed as resolved: the similar cases (相似案例)
    handlers and dispatchers reuse. Written when a ticket is closed resolved."""

    key = models.BigIntegerField()
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["key", "ticket"], name="casekey_key_ticket")]

    def __str__(self):
        return f"{self.key} → {self.ticket_id}"
