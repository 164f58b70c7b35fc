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


class IdempotencyKey(models.Model):
    """A client's `Idempotency-Key` for a request that created something (`core.idempotency`): written in the same
    transaction as what it created, so a retry after a lost answer finds it and gets the first answer back instead
    of filing the request twice. Kept JIESU_IDEMPOTENCY_HOURS."""

    owner = models.CharField(max_length=60)  # whose key: "user:12", "partner:3" (one client cannot replay another's)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # sha256 of method, path and body: the same key for another request is refused
    ticket = models.ForeignKey("tickets.Ticket", null=True, on_delete=models.CASCADE, related_name="+")
    status = models.PositiveSmallIntegerField(null=True)  # the first answer, once sent
    response = models.TextField(blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="uniq_idempotency_key")]

    def __str__(self):
        return f"{self.owner} {self.key}"
