"""Settings come from the environment; the defaults run the demo on an embedded SQLite file."""

import datetime as dt
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("TONGBAN_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", False)
# The demo (`make demo`, the tests, the benchmarks) runs with TONGBAN_DEMO=1 (or DEBUG): it may use the published
# demo keys below and plain HTTP. Anywhere else every key must be set: the system check tongban.E001 refuses to
# start without them (manage.py, and gunicorn through tongban/wsgi.py).
DEMO = env_bool("TONGBAN_DEMO", DEBUG)


# Published, so worthless as secrets; the check refuses them outside the demo. SECRET_KEY and AUDIT_SEAL_KEY keep the
# values the demo used before the keys were split, so an existing demo database still verifies its audit seals.
DEMO_KEYS = {
    "SECRET_KEY": "tongban-demo-only-insecure-key-change-me-in-production",
    "AUDIT_SEAL_KEY": "audit-seal:tongban-demo-only-insecure-key-change-me-in-production",
    "SEAL_KEY_ENCRYPTION_KEY": "tongban-demo-only-seal-key-encryption-key",
    "CASE_TOKEN_KEY": "tongban-demo-only-case-token-key",
}


def secret(name: str) -> str:
    """A key from the environment; in the demo a published demo value, elsewhere "" (the check refuses to start)."""
    value = os.environ.get(name, "").strip()
    if value or not DEMO:
        return value
    return DEMO_KEYS[name]


# The secret keys, each with one purpose, none derived from another (rotating one never breaks the others):
# - SECRET_KEY: Django's sessions, CSRF tokens, password-reset links.
SECRET_KEY = secret("SECRET_KEY")
# - AUDIT_SEAL_KEY: the audit log's daily seals are anchored outside the database: each carries an HMAC under a key
#   the database never holds, and each is appended to a journal file (ship it to write-once storage or publish it
#   daily). Someone who can rewrite the database alone can then neither forge a seal nor drop the latest ones unseen.
AUDIT_SEAL_KEY = secret("AUDIT_SEAL_KEY")
AUDIT_SEAL_JOURNAL = Path(os.environ.get("AUDIT_SEAL_JOURNAL", VAR_DIR / "audit-seals.jsonl"))
# - SEAL_KEY_ENCRYPTION_KEY: encrypts the authorities' electronic-seal private keys stored in the database.
#   Older keys stay readable while listed in SEAL_KEY_ENCRYPTION_KEY_FALLBACKS (comma-separated).
SEAL_KEY_ENCRYPTION_KEY = secret("SEAL_KEY_ENCRYPTION_KEY")
SEAL_KEY_ENCRYPTION_KEY_FALLBACKS = [k.strip() for k in os.environ.get("SEAL_KEY_ENCRYPTION_KEY_FALLBACKS", "").split(",") if k.strip()]
if DEMO:  # demo databases made before the keys were split encrypted their seal keys under the old demo SECRET_KEY
    SEAL_KEY_ENCRYPTION_KEY_FALLBACKS.append(DEMO_KEYS["SECRET_KEY"])
# - CASE_TOKEN_KEY: the public progress address printed as a QR code on receipts and the pickup code; printed on
#   paper, so it outlives any rotation of SECRET_KEY.
CASE_TOKEN_KEY = secret("CASE_TOKEN_KEY")
# - EXCHANGE_SECRET_KEY: encrypts the webhook signing secrets of the data-exchange subscriptions at rest; when not
#   set, the key is derived from SECRET_KEY (HKDF, its own purpose). Older keys: EXCHANGE_SECRET_KEY_FALLBACKS.
EXCHANGE_SECRET_KEY = os.environ.get("EXCHANGE_SECRET_KEY", "").strip()
EXCHANGE_SECRET_KEY_FALLBACKS = [k.strip() for k in os.environ.get("EXCHANGE_SECRET_KEY_FALLBACKS", "").split(",") if k.strip()]
SECRET_KEY_SETTINGS = list(DEMO_KEYS)
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "tongban.org.apps.AxesConfig",  # django-axes
    "csp",
    "django_tasks",
    "django_tasks_db",
    "tongban.core",
    "tongban.org",
    "tongban.catalog",
    "tongban.workcal",
    "tongban.cases",
    "tongban.workflow",
    "tongban.licences",
    "tongban.ratings",
    "tongban.exchange",
    "tongban.portal",
    "tongban.projects",
    "tongban.supervision",
    "tongban.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "tongban.core.limits.RequestSizeLimitMiddleware",
    "tongban.core.hygiene.InputHygieneMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "tongban.core.replica.ReadYourWritesMiddleware",
    "tongban.core.sessions.IdleTimeoutMiddleware",
    "tongban.core.sessions.NoStoreMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

# Request size limits (tongban.core.limits; nginx and gunicorn refuse the same sizes first, see README):
# 1 MB for every request, except the routes that take uploads: 20 MB a file, 100 MB a request.
MB = 1024 * 1024
REQUEST_MAX_BYTES = int(os.environ.get("REQUEST_MAX_MB", "1")) * MB
UPLOAD_MAX_FILE_BYTES = int(os.environ.get("UPLOAD_MAX_FILE_MB", "20")) * MB
UPLOAD_MAX_REQUEST_BYTES = int(os.environ.get("UPLOAD_MAX_REQUEST_MB", "100")) * MB
UPLOAD_PATHS = [  # regular expressions on the path
    r"/hall/new/$",  # intake with the materials' scans
    r"/hall/cases/[^/]+/act/$",  # materials supplied later
    r"/catalog/import/$",  # the catalogue's Excel import
    r"/workcal/notice/$",  # a year's holiday notice (CSV or Excel)
    r"/admin/catalog/",  # guides' blank forms and samples
    r"/office/steps/[^/]+/act/$",  # a joint inspection's record file
    r"/api/v1/workflow/steps/[^/]+/joint-opinion$",  # the same through the API (base64 in JSON)
    r"/api/v1/catalog/import$",  # the catalogue's Excel import through the API (base64 in JSON)
]
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BYTES  # the form fields besides the files
JSON_MAX_DEPTH = 32  # the API's deepest body nests 4 levels (tongban.core.hygiene)

ROOT_URLCONF = "tongban.urls"
WSGI_APPLICATION = "tongban.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "tongban" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tongban.core.context.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'tongban.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so
    # concurrent writers queue instead of failing with "database is locked" mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and os.environ.get("DB_SERVER_SIDE_BINDING", "1") == "1":
    # Parameters bound on the server, and a statement prepared once it has run `prepare_threshold` times on a
    # connection: PostgreSQL then parses and plans each of our (few, repeated) queries once per connection, not
    # per call (the intake benchmark: database CPU per submit+accept pair 9 ms → 5 ms). DB_PREPARE_THRESHOLD=off
    # turns preparing off (e.g. behind a transaction-mode connection pooler).
    threshold = os.environ.get("DB_PREPARE_THRESHOLD", "5")
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=None if threshold == "off" else int(threshold))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and os.environ.get("DB_JIT", "off") == "off":
    # No JIT compilation: our queries are short, and the planner's cost estimate of a figure with EXISTS subplans
    # crosses jit_above_cost and spends ~300 ms compiling a ~70 ms query (体外循环风险 at 200,000 cases).
    # DB_JIT=server keeps the server's setting (e.g. behind a pooler that refuses the `options` startup parameter).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
if os.environ.get("DATABASE_REPLICA_URL"):
    # A streaming read replica: the dashboards, lists and exports read there (tongban.core.replica).
    DATABASES["replica"] = dj_database_url.parse(os.environ["DATABASE_REPLICA_URL"], conn_max_age=DATABASES["default"]["CONN_MAX_AGE"])
    DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}  # the replica test points it at the test database's replica itself
DATABASE_ROUTERS = ["tongban.core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "org.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [  # ASVS L2: at least 12 characters, none of the 20,000 most common (breached) passwords
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling (django-axes): after AXES_FAILURE_LIMIT failed logins for one account, or from one address, that
# account or address is locked for AXES_COOLOFF_MINUTES; a system administrator sees and lifts lockouts in the admin
# (登录锁定). Behind nginx set TRUSTED_PROXIES=1 so the address is the client's, not the proxy's.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ADMIN = False  # tongban.org.admin shows lockouts to system administrators
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "tongban.core.sessions.client_ip"
TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
# A signed-in account left idle this long is signed out (tongban.core.sessions).
STAFF_IDLE_TIMEOUT = int(os.environ.get("STAFF_IDLE_TIMEOUT_MINUTES", "30")) * 60
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_MAX_HOURS", "12")) * 3600  # and at most a working day in any case
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/hall/"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if os.environ.get("S3_BUCKET"):
    # Files on S3-compatible object storage (MinIO, a government cloud's OSS) through django-storages; the local
    # folder above stays the default. Private objects, served by signed URLs that expire; never overwritten.
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": os.environ["S3_BUCKET"], "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
        "access_key": os.environ.get("S3_ACCESS_KEY_ID") or None, "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY") or None,
        "region_name": os.environ.get("S3_REGION") or None, "default_acl": "private", "file_overwrite": False,
        "querystring_auth": True, "querystring_expire": 600, "location": os.environ.get("S3_PREFIX", ""),
    }}
WHITENOISE_USE_FINDERS = True

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if os.environ.get("REDIS_URL"):
    CACHES["default"] = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"]}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# TASKS_BACKEND=rq: the tasks go to Redis (REDIS_URL) through django-tasks-rq and run in `manage.py rqworker`
# processes (any number: RQ hands each job to one worker). The database backend stays the embedded default.
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
if os.environ.get("TASKS_BACKEND", "db") == "rq":
    INSTALLED_APPS.append("django_rq")
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}

# Public base URL used in QR codes on printed guides (a phone must be able to open it).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = os.environ.get("SITE_NAME", "济宁市政务服务网")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): the pages load only our own static files (vendored under static/); no inline
# script anywhere. style="" attributes stay allowed: the timeline places its bars by computed percentages.
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "frame-ancestors": [SELF],  # the leader's queue frames the decision preview (same origin only)
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    },
}
if not DEMO:
    # Production is served over HTTPS only, behind nginx (README, Security), which sets X-Forwarded-Proto.
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# Data exchange upward (tongban.exchange): the demo receiver's shared secret (the real receiver is another system).
EXCHANGE_RECEIVER_SECRET = os.environ.get("EXCHANGE_RECEIVER_SECRET") or ("tongban-demo-receiver-secret" if DEMO else "")
