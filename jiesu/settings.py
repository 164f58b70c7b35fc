"""Project wiring. Every setting that differs between machines comes from the environment.

See `.env.example` for the full list. With no DATABASE_URL jiesu uses SQLite in `var/`.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("JIESU_VAR_DIR", PROJECT_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", False)
DEMO = env_bool("JIESU_DEMO")

# Only the demo may run on the public demo key; anywhere else a real key (50+ characters, not blank) is required,
# DEBUG or not: sessions, password resets and CSRF tokens are signed with it.
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY.strip():
    if not DEMO:
        raise ImproperlyConfigured("SECRET_KEY must be set (50+ random characters); only JIESU_DEMO=1 runs without one.")
    SECRET_KEY = "jiesu-insecure-demo-key-never-use-in-production"
elif len(SECRET_KEY.strip()) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured("SECRET_KEY is too weak: use 50+ random characters, e.g. "
                               "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'")

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "django_htmx",
    "jiesu.core",
    "jiesu.directory",
    "jiesu.tickets",
    "jiesu.sla",
    "jiesu.routing",
    "jiesu.kpi",
    "jiesu.open311",
    "jiesu.hotspots",
    "jiesu.knowledge",
    "jiesu.notifications",
    "jiesu.portal",
    "jiesu.enterprise",
    "jiesu.channels",
    "axes",  # after the apps: its checks and signals see the whole project
]

MIDDLEWARE = [
    "jiesu.core.health.RequestContext",  # first: the request id and latency cover everything below
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "jiesu.core.middleware.RejectUnstorableText",  # after auth: its refusal page knows who is signed in
    "jiesu.core.middleware.EnterpriseAccountsStayOnTheirPages",  # 政企直通车 accounts: /qiye/ only
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: it turns a lockout into its answer
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out account or address before the password
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "jiesu.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jiesu.directory.context_processors.staff",
                "jiesu.notifications.context_processors.bell",
            ],
        },
    },
]

WSGI_APPLICATION = "jiesu.wsgi.application"

_default_sqlite = f"sqlite:///{VAR_DIR / 'jiesu.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_sqlite), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiles any query its planner guesses is expensive: for the short queries of a worklist
    # or a search page it spends half a second compiling what runs in milliseconds (benchmarks/worklists_search.py).
    # JIESU_PG_OPTIONS sets the connection's options (empty: the server's own settings, e.g. behind pgbouncer).
    _pg_options = os.environ.get("JIESU_PG_OPTIONS", "-c jit=off").strip()
    if _pg_options:
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = _pg_options
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions and WAL let concurrent writers queue instead of failing with "database is locked";
    # jiesu.core.sqlite queues them in order (a flock beside the database) instead of SQLite's sleep-and-retry.
    DATABASES["default"]["ENGINE"] = "jiesu.core.sqlite"
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling (django-axes, jiesu.core.login): after JIESU_LOGIN_FAILURE_LIMIT failures in a row an account,
# and after JIESU_LOGIN_ADDRESS_FAILURE_LIMIT an address (higher: a whole centre may share one), is refused for
# JIESU_LOGIN_COOLOFF_MINUTES. JIESU_LOGIN_LOCKOUT_BY=username counts accounts only.
AXES_HANDLER = "jiesu.core.login.LoginThrottle"
AXES_FAILURE_LIMIT = int(os.environ.get("JIESU_LOGIN_FAILURE_LIMIT", "5"))
JIESU_LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("JIESU_LOGIN_ADDRESS_FAILURE_LIMIT", "30"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("JIESU_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [p.strip() for p in os.environ.get("JIESU_LOGIN_LOCKOUT_BY", "username,ip_address").split(",")
                           if p.strip()]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_VERBOSE = False
if env_bool("JIESU_FAST_PASSWORD_HASHER"):
    # Tests and benchmarks only: MD5 keeps logins cheap.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# One language: LANGUAGE_CODE is always active (no LocaleMiddleware to choose per request; it cost intake ~5 %).
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("JIESU_STATIC_ROOT", VAR_DIR / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("JIESU_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    # Attachments: whole or not at all (jiesu.core.storage).
    "default": {"BACKEND": "jiesu.core.storage.AtomicFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# JIESU_STORAGE=s3: attachments in S3-compatible object storage (django-storages), shared by app servers on several
# machines; private objects, read only through jiesu (which checks who may see each). Credentials: the usual
# AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or an instance role). docs/operations.md.
if os.environ.get("JIESU_STORAGE", "local") == "s3":
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": os.environ["JIESU_S3_BUCKET"],
        "endpoint_url": os.environ.get("JIESU_S3_ENDPOINT_URL") or None,  # MinIO, 阿里云 OSS, 华为云 OBS …
        "region_name": os.environ.get("JIESU_S3_REGION") or None,
        "location": os.environ.get("JIESU_S3_PREFIX", "media"),
        "default_acl": "private",
        "file_overwrite": False,
        "querystring_auth": True,
    }}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Attachments on tickets and replies.
JIESU_ATTACHMENT_MAX_BYTES = int(os.environ.get("JIESU_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
JIESU_ATTACHMENT_EXTENSIONS = [
    e.strip().lower()
    for e in os.environ.get(
        "JIESU_ATTACHMENT_EXTENSIONS", "jpg,jpeg,png,gif,pdf,doc,docx,xls,xlsx,txt,mp3,wav,amr,mp4"
    ).split(",")
    if e.strip()
]
DATA_UPLOAD_MAX_MEMORY_SIZE = JIESU_ATTACHMENT_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Time limits (jiesu.sla): a clock turns 临期 when less than this share of its time, or less than this much
# working time, is left (whichever comes first); overdue tickets escalate after this many working days.
JIESU_SLA_WARN_RATIO = float(os.environ.get("JIESU_SLA_WARN_RATIO", "0.2"))
JIESU_SLA_WARN_WORKING_HOURS = float(os.environ.get("JIESU_SLA_WARN_WORKING_HOURS", "4"))
JIESU_SLA_ESCALATE_WORKING_DAYS = int(os.environ.get("JIESU_SLA_ESCALATE_WORKING_DAYS", "5"))
# PostgreSQL: database connections the sweep writes a large backlog on at once, each its own share of the tickets.
JIESU_SLA_SWEEP_WORKERS = max(1, int(os.environ.get("JIESU_SLA_SWEEP_WORKERS", "2")))

# The three rates and 办结率 (docs/kpi.md). 满意率 = (满意 + k × 基本满意) ÷ 有效回访; the composite score weighs
# 响应率/解决率/满意率 30/35/35 (a published county scheme). Targets here are defaults; per-unit targets are
# set in the admin (考核目标).
try:
    _kpi_weights = [float(w) for w in os.environ.get("JIESU_KPI_WEIGHTS", "30,35,35").split(",")]
except ValueError:
    _kpi_weights = []
if len(_kpi_weights) != 3 or min(_kpi_weights) < 0 or sum(_kpi_weights) <= 0:
    raise ImproperlyConfigured("JIESU_KPI_WEIGHTS must be three non-negative numbers, e.g. 30,35,35")
# 百企评机关 may join a rated unit's composite with its own weight beside those three (0: not at all).
try:
    _evaluation_weight = float(os.environ.get("JIESU_KPI_EVALUATION_WEIGHT", "0"))
except ValueError:
    _evaluation_weight = -1
if _evaluation_weight < 0:
    raise ImproperlyConfigured("JIESU_KPI_EVALUATION_WEIGHT must be a non-negative number, e.g. 10")
# 百企评机关: a rated unit sees its own scores and comments, and the KPI takes its score, from this many raters on.
JIESU_EVALUATION_MIN_RATERS = max(1, int(os.environ.get("JIESU_EVALUATION_MIN_RATERS", "3")))
JIESU_KPI = {
    "basic_satisfied_weight": float(os.environ.get("JIESU_KPI_BASIC_SATISFIED_WEIGHT", "0.8")),
    "weights": {**dict(zip(("response", "resolution", "satisfaction"), _kpi_weights, strict=True)),
                "evaluation": _evaluation_weight},
    "targets": {"response": 1.0, "resolution": 0.9, "satisfaction": 0.9, "completion": 1.0},
}

# Open311 GeoReport v2 (docs/open311.md): the jurisdiction_id this server answers for, and how precisely
# addresses and coordinates are published ("full" address or only the "region"; decimals of lat/long).
JIESU_OPEN311_JURISDICTION = os.environ.get("JIESU_OPEN311_JURISDICTION", "jiesu")
JIESU_OPEN311_ADDRESS_PRECISION = os.environ.get("JIESU_OPEN311_ADDRESS_PRECISION", "full")
JIESU_OPEN311_COORD_DECIMALS = int(os.environ.get("JIESU_OPEN311_COORD_DECIMALS", "4"))
if JIESU_OPEN311_ADDRESS_PRECISION not in ("full", "region"):
    raise ImproperlyConfigured("JIESU_OPEN311_ADDRESS_PRECISION must be full or region")

# Duplicates and hotspots (docs/hotspots.md): how far back a new ticket is compared (open tickets always are),
# and the similarity (0–1) from which a candidate is shown as 相似 and flagged as 疑似重复.
# How often a process checks whether the directory, staff roles or routing model it keeps in memory changed
# elsewhere (core/stamps.py). A change made in this process takes effect at once.
JIESU_STAMP_RECHECK_SECONDS = float(os.environ.get("JIESU_STAMP_RECHECK_SECONDS", "1"))
JIESU_DUPLICATE_WINDOW_DAYS = int(os.environ.get("JIESU_DUPLICATE_WINDOW_DAYS", "30"))
JIESU_DUPLICATE_SHOW = float(os.environ.get("JIESU_DUPLICATE_SHOW", "0.15"))
JIESU_DUPLICATE_FLAG = float(os.environ.get("JIESU_DUPLICATE_FLAG", "0.3"))
if not (JIESU_DUPLICATE_WINDOW_DAYS > 0 and 0 <= JIESU_DUPLICATE_SHOW <= JIESU_DUPLICATE_FLAG <= 1):
    raise ImproperlyConfigured(
        "JIESU_DUPLICATE_WINDOW_DAYS must be positive and 0 ≤ JIESU_DUPLICATE_SHOW ≤ JIESU_DUPLICATE_FLAG ≤ 1"
    )

# Knowledge base: questions that found nothing are kept (masked) this many days, then `jiesu knowledge purge-misses`
# forgets them.
JIESU_KNOWLEDGE_MISS_RETENTION_DAYS = int(os.environ.get("JIESU_KNOWLEDGE_MISS_RETENTION_DAYS", "180"))

# Routing: auto-dispatch tickets whose predicted department has at least this probability (0–1).
# Unset or empty: off (the default); `make demo` turns it on.

_auto = os.environ.get("JIESU_ROUTING_AUTO_DISPATCH_THRESHOLD", "").strip()
# 派单台 preselects the router's department only from this probability on (0–1); below it the dispatcher chooses.
JIESU_ROUTING_PRESELECT = float(os.environ.get("JIESU_ROUTING_PRESELECT", "0.5"))
# 协办: an assisting unit sends its part to the lead within this many working days (never after the lead's deadline).
JIESU_ASSIST_DAYS = int(os.environ.get("JIESU_ASSIST_DAYS", "3"))
JIESU_ROUTING_AUTO_DISPATCH_THRESHOLD = float(_auto) if _auto else None

# Notifications (docs/notifications.md). The address pages are reached at, for links in SMS and e-mail.
JIESU_BASE_URL = os.environ.get("JIESU_BASE_URL", "http://127.0.0.1:8000" if DEMO else "")
# SMS: console (logged), file (JSON lines at JIESU_SMS_FILE: the demo's) or http (a gateway reached by POST; the
# body template uses $phone, $text, $key).
JIESU_SMS_BACKEND = os.environ.get("JIESU_SMS_BACKEND", "file" if DEMO else "console")
JIESU_SMS_FILE = os.environ.get("JIESU_SMS_FILE", str(VAR_DIR / "sms-outbox.jsonl"))
JIESU_SMS_HTTP_URL = os.environ.get("JIESU_SMS_HTTP_URL", "")
JIESU_SMS_HTTP_AUTH = os.environ.get("JIESU_SMS_HTTP_AUTH", "")  # the Authorization header's value, if any
JIESU_SMS_HTTP_BODY = os.environ.get("JIESU_SMS_HTTP_BODY", "")
# Webhook to the city's own messaging bridge (政务微信, 钉钉…): JSON POST signed with HMAC-SHA256.
JIESU_NOTIFY_WEBHOOK_URL = os.environ.get("JIESU_NOTIFY_WEBHOOK_URL", "")
JIESU_NOTIFY_WEBHOOK_SECRET = os.environ.get("JIESU_NOTIFY_WEBHOOK_SECRET", "")
JIESU_NOTIFY_TIMEOUT = float(os.environ.get("JIESU_NOTIFY_TIMEOUT", "10"))
# Callers get SMS (受理回执 with the 查询码, the 答复 notice) unless they decline or 退订.
JIESU_CALLER_SMS = env_bool("JIESU_CALLER_SMS", True)
# 免打扰: SMS to staff and the 答复 notice wait for the end of these local hours, except for 特急 tickets. Empty: off.
JIESU_QUIET_HOURS = os.environ.get("JIESU_QUIET_HOURS", "22:00-07:00").strip()
# Delivery: tries before a message becomes a dead letter, the first wait (doubling each try, at most an hour),
# and how long a deliverer holds a message it is sending before another may take it over.
JIESU_NOTIFY_MAX_ATTEMPTS = int(os.environ.get("JIESU_NOTIFY_MAX_ATTEMPTS", "8"))
JIESU_NOTIFY_BACKOFF_SECONDS = float(os.environ.get("JIESU_NOTIFY_BACKOFF_SECONDS", "30"))
JIESU_NOTIFY_LEASE_SECONDS = float(os.environ.get("JIESU_NOTIFY_LEASE_SECONDS", "120"))
# 来电弹屏: how often an open 来电登记 page asks for an announced call, and how long a call may wait to be shown.
JIESU_CALL_POLL_MS = int(os.environ.get("JIESU_CALL_POLL_MS", "700"))
JIESU_CALL_SHOW_SECONDS = int(os.environ.get("JIESU_CALL_SHOW_SECONDS", "120"))
# 我的待办: how long a 回访不满意 ticket stays in the 重办 decision list.
JIESU_UNSATISFIED_REVIEW_DAYS = int(os.environ.get("JIESU_UNSATISFIED_REVIEW_DAYS", "30"))
# How often pages ask for the bell's and 我的待办's counts.
JIESU_BELL_POLL_SECONDS = int(os.environ.get("JIESU_BELL_POLL_SECONDS", "15"))
EMAIL_BACKEND = os.environ.get("JIESU_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend" if DEMO
                               else "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("JIESU_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("JIESU_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("JIESU_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("JIESU_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("JIESU_EMAIL_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("JIESU_EMAIL_FROM", "12345@jiesu.local")

# HTTPS in production (behind nginx): JIESU_HTTPS=1 redirects to https, marks session and CSRF cookies Secure and
# sends HSTS (JIESU_HSTS_SECONDS, one year by default). JIESU_PROXY_SSL_HEADER names the header the proxy sets,
# e.g. X-Forwarded-Proto, so Django knows a request came over https.
JIESU_HTTPS = env_bool("JIESU_HTTPS")
SECURE_SSL_REDIRECT = JIESU_HTTPS
# Load balancers and Prometheus ask the app servers directly, over plain http (core.health).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = JIESU_HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("JIESU_HSTS_SECONDS", "31536000")) if JIESU_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = JIESU_HTTPS and env_bool("JIESU_HSTS_PRELOAD", True)
_proxy_header = os.environ.get("JIESU_PROXY_SSL_HEADER", "").strip()
JIESU_TRUSTED_PROXY = bool(_proxy_header)
# 进度查询 per hour: lookups from one address, and lookups of one ticket number (a 6-digit 查询码 is not guessed).
JIESU_TRACK_LIMITS = tuple(int(n) for n in os.environ.get("JIESU_TRACK_LIMITS", "60,10").split(","))
# 网上评价: a web request's answer may be rated online for this many days; then it is an operator's 回访.
JIESU_EVALUATION_DAYS = int(os.environ.get("JIESU_EVALUATION_DAYS", "7"))
# 公开信件 /letters/: answered website requests whose submitters chose 公开, masked (a city may turn it off).
JIESU_PUBLIC_LETTERS = env_bool("JIESU_PUBLIC_LETTERS", True)
# 诉求提交 per hour: submissions from one address; SMS codes sent for one address, and to one phone.
JIESU_PORTAL_SUBMIT_LIMIT = int(os.environ.get("JIESU_PORTAL_SUBMIT_LIMIT", "20"))
JIESU_PORTAL_CODE_LIMITS = tuple(int(n) for n in os.environ.get("JIESU_PORTAL_CODE_LIMITS", "10,5").split(","))
# Idempotency-Key: how long a client's key (and the first answer) is kept for its retries (core.idempotency).
JIESU_IDEMPOTENCY_HOURS = int(os.environ.get("JIESU_IDEMPOTENCY_HOURS", "24"))

# 110 ↔ 12345 联动 (docs/channels.md): 110's interface for our messages (签收, 进展, 回传, 转110), and the secret
# both sides sign with (HMAC-SHA256 of "<timestamp>.<body>"); a signature older than the skew is refused.
JIESU_POLICE110_URL = os.environ.get("JIESU_POLICE110_URL", "")
JIESU_POLICE110_SECRET = os.environ.get("JIESU_POLICE110_SECRET", "")
JIESU_POLICE110_SKEW_SECONDS = int(os.environ.get("JIESU_POLICE110_SKEW_SECONDS", "300"))
# 12345 签收 a 110 transfer within these minutes (按时签收率); 110 is expected to 签收 ours as fast.
JIESU_POLICE110_ACK_MINUTES = int(os.environ.get("JIESU_POLICE110_ACK_MINUTES", "5"))
# 信访代办: the 代办员's 跟踪回访 falls due this many days after a 信访事项 is concluded (docs/channels.md).
JIESU_PETITION_FOLLOW_UP_DAYS = int(os.environ.get("JIESU_PETITION_FOLLOW_UP_DAYS", "30"))
# A database outage is answered 503 with this Retry-After (seconds).
JIESU_RETRY_AFTER = int(os.environ.get("JIESU_RETRY_AFTER", "5"))
# /readyz: the SLA sweep must have run within this many minutes, the outbox hold fewer pending messages (0: not
# checked); /metrics answers only these addresses (core.health).
JIESU_READY_SWEEP_MINUTES = int(os.environ.get("JIESU_READY_SWEEP_MINUTES", "10"))
JIESU_READY_OUTBOX_LIMIT = int(os.environ.get("JIESU_READY_OUTBOX_LIMIT", "10000"))
JIESU_METRICS_ALLOW = os.environ.get("JIESU_METRICS_ALLOW", "127.0.0.1,::1")
if _proxy_header:  # public pages' rate limits then read the address the proxy appends
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")
    # Behind the proxy, the caller's address for login throttling is the one the proxy adds.
    AXES_IPWARE_PROXY_COUNT = 1
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
# Content-Security-Policy (django-csp): scripts only from this site (no inline script, no eval), nothing framed,
# forms post only here. Styles may be inline (htmx adds its indicator style). Charts read their data from
# json_script blocks.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# JIESU_LOG_FORMAT=json: one JSON object per line with the request id, user and ticket number (core.health).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "jiesu.core.health.JsonLogFormatter"},
                   "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler",
                             "formatter": "json" if os.environ.get("JIESU_LOG_FORMAT") == "json" else "text"}},
    "root": {"handlers": ["console"], "level": os.environ.get("JIESU_LOG_LEVEL", "WARNING")},
}
