from django.db import models


class PhoneCode(models.Model):
    """An SMS verification code sent to a citizen's phone (stored as a keyed hash, never in clear)."""

    phone = models.CharField("手机号", max_length=20, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "短信验证码"
        verbose_name_plural = "短信验证码"

    def __str__(self):
        return f"{self.phone[:3]}****{self.phone[-4:]} {self.created_at:%Y-%m-%d %H:%M}"


class Deflection(models.Model):
    """A citizen found the answer in the knowledge base while writing and did not submit (counted on the KPI
    page: 网上自助解答)."""

    article = models.ForeignKey("knowledge.Article", verbose_name="知识", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "自助解答"
        verbose_name_plural = "自助解答"

    def __str__(self):
        return f"{self.article_id} {self.created_at:%Y-%m-%d %H:%M}"
