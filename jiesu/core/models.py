from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """Per-user API token. Only a SHA-256 digest is stored; the key is shown once when created. A token is of one
    kind and opens one door: a staff token the REST API, a partner's key Open311 only."""

    class Kind(models.TextChoices):
        API = "api", "接口令牌（工作人员）"
        OPEN311 = "open311", "Open311 合作方密钥"

    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.API)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("用途", max_length=60)
    prefix = models.CharField(max_length=8, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField("已吊销", default=False)

    class Meta:
        verbose_name = "API令牌"
        verbose_name_plural = "API令牌"

    def __str__(self):
        return f"{self.prefix}… ({self.user})"


class Stamp(models.Model):
    """The version of data every process keeps in memory (the directory, staff roles, the active routing model).
    Whatever changes that data writes a new version in its own transaction (core.stamps.bump); a process
    notices on its next check and reloads."""

    name = models.CharField(primary_key=True, max_length=40)
    version = models.CharField(max_length=32)

    class Meta:
        verbose_name = "缓存版本"
        verbose_name_plural = "缓存版本"

    def __str__(self):
        return f"{self.name}: {self.version}"


class RateCounter(models.Model):
    """Requests per key (e.g. "track:ip:1.2.3.4") in a fixed time window, for public pages' rate limits
    (`core.ratelimit`): counted in the database with one atomic statement, so every process and host agrees
    without a cache server."""

    key = models.CharField(max_length=200)
    window = models.BigIntegerField()  # the window's start, in seconds since the epoch
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window"], name="uniq_rate_window")]

    def __str__(self):
        return f"{self.key} @ {self.window}: {self.count}"
