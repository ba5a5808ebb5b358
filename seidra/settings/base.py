"""Settings shared by every role. The only place that reads the environment (and `.env`)."""

import ipaddress
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

import seidra
from apps.catalog import limits as job_limits  # plain constants: the defaults of the CPU job limits
from apps.catalog.comfyui_client import comfyui_urls_parse  # plain function: no Django import

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A `.env` beside manage.py is read first; real environment variables win over it.
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# The seed guide's published default: usable for local DEBUG runs only (see production.py).
SEED_DEFAULT_SECRET_KEY = "seidra-secret-key-change-in-production"

SEIDRA_VERSION = seidra.__version__
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # ordinals of queue positions ("2nd", "2e")
    "django_prometheus",
    "channels",
    "django_rq",
    "django_htmx",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "allauth",
    "allauth.account",
    "axes",
    "apps.core",
    "apps.accounts",
    "apps.notifications",
    "apps.catalog",
    "apps.gallery",
    "apps.personas",
    "apps.jobs",
    "apps.moderation",
    "apps.home",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Management commands of the GPU side (make_tiny_model, setup_models); importing the app
    # loads no torch: engine modules import it inside the worker only.
    "workers",
]

MIDDLEWARE = [
    # First, so every line logged while answering carries the request id (apps/core/request_id.py).
    "apps.core.request_id.request_id_middleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy; outside WhiteNoise, so static files get them too.
    "apps.core.security_headers.security_headers_middleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the session, the login and every view read the query string, a header or a cookie;
    # after the security headers, so its 400 page carries them (apps/core/request_text.py).
    "apps.core.request_text.request_text_middleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Last, so it sees the flag that the axes backend sets on a locked-out request.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "seidra.urls"
WSGI_APPLICATION = "seidra.wsgi.application"
ASGI_APPLICATION = "seidra.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.core.context_processors.site",
                "apps.notifications.context_processors.notifications",
            ],
        },
    },
]

# --- Database: SQLite under var/ unless DATABASE_URL says otherwise (PostgreSQL for scale-out).
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'seidra.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # SQLite creates the file, not its directory
    # WAL lets the web process read while a worker writes; the timeout rides out short locks.
    # IMMEDIATE transactions take the write lock up front, so a worker and the web process never
    # deadlock upgrading a read to a write (SQLite would answer "database is locked" at once).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            # NORMAL is safe with WAL against a crash of the process; only a power cut can lose the
            # last commits. It spares an fsync per progress update.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# --- Redis: one server for the queue, the channel layer and the cache.
def redis_settings(redis_url: str) -> dict:
    """Every setting derived from REDIS_URL, so tests can point them all at their own server."""
    return {
        "REDIS_URL": redis_url,
        "CHANNEL_LAYERS": {
            "default": {
                # Redis pub/sub: one PUBLISH per event instead of the list layer's sorted sets,
                # Lua script and backup queue per message. Delivery is at most once, which is the
                # contract of our events anyway (a page that reconnects re-reads the rows).
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                # redis-py 8 reads with a 5 s socket timeout by default; 30 s keeps a dead Redis
                # detectable without ending idle subscriptions.
                "CONFIG": {"hosts": [{"address": redis_url, "socket_timeout": 30}], "prefix": "seidra:channels"},
            }
        },
        "RQ_QUEUES": {
            # JSON, never pickle: a queue entry is data (a job id), not code.
            "gpu": {"URL": redis_url, "DEFAULT_TIMEOUT": 3600, "SERIALIZER": "rq.serializers.JSONSerializer"},
            # Jobs for ComfyUI models: their worker needs neither torch nor a GPU.
            "comfyui": {"URL": redis_url, "DEFAULT_TIMEOUT": 3600, "SERIALIZER": "rq.serializers.JSONSerializer"},
        },
    }


globals().update(redis_settings(env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")))

# `manage.py rqworker gpu` runs this class: pipelines stay resident, heartbeats continue during long jobs.
RQ = {"WORKER_CLASS": "workers.worker.GpuWorker"}

# Throttling counters and other short-lived data; per process, so a Redis outage cannot break pages.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Authentication
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out address or account is refused before any password is hashed.
    "apps.accounts.backends.LoginGuardBackend",
    # allauth's backend with usernames matched through apps.accounts.usernames.username_key, the
    # same key the lockout counts under; the only one, so a failure hashes the password once.
    "apps.accounts.backends.UsernameBackend",
]
PASSWORD_HASHERS = [
    # Argon2, hashed on a few low-priority threads so logins cannot starve other requests.
    "seidra.password_hashing.BoundedArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "pages:home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

# The auto-created admin (seed section 3.4).
SEIDRA_DEFAULT_USER = env.str("SEIDRA_DEFAULT_USER", default="admin")
SEIDRA_DEFAULT_USER_PASSWORD = env.str("SEIDRA_DEFAULT_USER_PASSWORD", default="")
SEIDRA_DEFAULT_USER_ROTATION_DAYS = env.int("SEIDRA_DEFAULT_USER_ROTATION_DAYS", default=90)
SEIDRA_ALLOW_SIGNUP = env.bool("SEIDRA_ALLOW_SIGNUP", default=False)

# django-allauth: username login, no e-mail round trips on a self-hosted box.
ACCOUNT_ADAPTER = "apps.accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
# One lockout mechanism for pages and API alike: django-axes below.
ACCOUNT_RATE_LIMITS = False
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")

# django-axes: lock out a username + client address pair after repeated failures, on the login
# page, the token API and the admin login (apps/accounts/lockout.py). Usernames are counted by
# their normalised key, so `BOB` and `bob` share one count.
AXES_FAILURE_LIMIT = env.int("SEIDRA_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("SEIDRA_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "login"
AXES_USERNAME_CALLABLE = "apps.accounts.lockout.username_from_request"
AXES_CLIENT_IP_CALLABLE = "apps.core.client_address.client_address"
AXES_LOCKOUT_CALLABLE = "apps.accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Failed logins one client address may make within SEIDRA_LOGIN_COOLOFF_MINUTES, whatever the
# usernames, before every login from it is refused (429) without hashing a password; 0: no limit.
SEIDRA_LOGIN_ADDRESS_LIMIT = env.int("SEIDRA_LOGIN_ADDRESS_LIMIT", default=20)
# Behind N reverse proxies, the client address is the Nth entry from the right of X-Forwarded-For
# (apps/core/client_address.py); with 0 the header is ignored and only REMOTE_ADDR is trusted
# (a client could forge the header to dodge the lockout).
SEIDRA_TRUSTED_PROXY_COUNT = env.int("SEIDRA_TRUSTED_PROXY_COUNT", default=0)

# --- /metrics (apps/core/metrics_access.py): Prometheus text for these client addresses (addresses or
# CIDRs, comma-separated) or for `Authorization: Bearer <SEIDRA_METRICS_TOKEN>`; 404 for anyone else.
SEIDRA_METRICS_ALLOW = env.list("SEIDRA_METRICS_ALLOW", default=["127.0.0.1/8", "::1"])
SEIDRA_METRICS_TOKEN = env.str("SEIDRA_METRICS_TOKEN", default="")  # empty: no token access
for _entry in SEIDRA_METRICS_ALLOW:
    try:
        ipaddress.ip_network(_entry, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"SEIDRA_METRICS_ALLOW: {_entry!r} is not an IP address or network (e.g. 10.0.0.0/8,::1)"
        ) from None
# The worker's own Prometheus port (workers/metrics_server.py), scraped directly on a GPU host; 0: off.
# Several workers on one host need one port each (a busy port is logged and the worker runs without).
SEIDRA_WORKER_METRICS_PORT = env.int("SEIDRA_WORKER_METRICS_PORT", default=9108)
SEIDRA_WORKER_METRICS_ADDRESS = env.str("SEIDRA_WORKER_METRICS_ADDRESS", default="0.0.0.0")  # noqa: S104

# --- REST API and JWT (seed section 7)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # simplejwt's Bearer tokens, checked by apps.accounts.tokens like the verify and refresh endpoints.
        "apps.accounts.tokens.JwtAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's parsers, refusing too-deep JSON and text no database can hold with a 400 (apps/core/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "apps.core.parsers.SafeJSONParser",
        "apps.core.parsers.SafeFormParser",
        "apps.core.parsers.SafeMultiPartParser",
    ],
    "EXCEPTION_HANDLER": "apps.core.api_errors.json_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# OpenAPI schema at /api/schema/, Swagger UI at /api/docs/ (seidra/api_urls.py).
SPECTACULAR_SETTINGS = {
    "TITLE": "SEIDRA Ultimate API",
    "DESCRIPTION": (
        "Submit SDXL image jobs and follow them. Authenticate with `Authorization: Bearer <access token>` "
        "from POST /api/auth/token/ (or a signed-in browser session). Live progress: the /ws/jobs/ websocket."
    ),
    "VERSION": SEIDRA_VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema describes endpoints and holds no data, so anyone may read it (no token needed to start);
    # no authentication at all, so an expired token cannot turn the docs into a 401.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": r"/api/",
    "COMPONENT_SPLIT_REQUEST": True,
    # Schema completeness is a development check (apps/jobs/tests/test_api.py, `manage.py spectacular
    # --validate`), not a deployment one: `check --deploy` must not fail on an undocumented response.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
    # `kind` and `status` exist on several serializers with different choices: name each enum once.
    "ENUM_NAME_OVERRIDES": {
        "JobKindEnum": "apps.jobs.models.JobKind",
        "JobStatusEnum": "apps.jobs.models.JobStatus",
        "MediaKindEnum": "apps.gallery.models.MediaKind",
    },
    # Swagger UI and ReDoc from drf-spectacular-sidecar's static files: works offline, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No badge from validator.swagger.io: it would send our schema's address to a third party, and the
    # Content-Security-Policy blocks its image anyway.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("SEIDRA_JWT_ACCESS_MINUTES", default=30)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("SEIDRA_JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    # Tokens carry a digest of the password hash: a password change (or rotation) kills them.
    "CHECK_REVOKE_TOKEN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    # SIGNING_KEY is filled in by each role once SECRET_KEY is final (see finalize()).
}

# --- Internationalisation: the owner writes French; English and French are complete.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_TZ = True

# --- Static and media files
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("SEIDRA_MEDIA_ROOT", default=str(VAR_DIR / "media")))


def _env_first(*names: str, default: str = "") -> str:
    """The first of `names` set in the environment (a SEIDRA_S3_* name, then its SEIDRA_MINIO_* aliases)."""
    return next((env.str(name) for name in names if env.str(name, default="")), default)


# Media files (outputs, thumbnails, videos, persona images, job inputs): "local" files under MEDIA_ROOT
# (the default), or "s3": an S3 bucket or MinIO, where every worker host uploads and the web redirects
# the owner to a presigned URL (README "Scale-out"). The SEIDRA_MINIO_* names are accepted for MinIO.
SEIDRA_STORAGE = env.str("SEIDRA_STORAGE", default="local")
SEIDRA_S3 = {
    "endpoint_url": _env_first("SEIDRA_S3_ENDPOINT_URL", "SEIDRA_MINIO_ENDPOINT"),  # empty: AWS S3
    "bucket_name": _env_first("SEIDRA_S3_BUCKET", "SEIDRA_MINIO_BUCKET"),
    "region_name": _env_first("SEIDRA_S3_REGION", "SEIDRA_MINIO_REGION", default="us-east-1"),
    "access_key": _env_first("SEIDRA_S3_ACCESS_KEY", "SEIDRA_MINIO_ACCESS_KEY", "SEIDRA_MINIO_ROOT_USER"),
    "secret_key": _env_first("SEIDRA_S3_SECRET_KEY", "SEIDRA_MINIO_SECRET_KEY", "SEIDRA_MINIO_ROOT_PASSWORD"),
}
# Seconds a presigned media URL works: long enough to start a download or a video, short enough
# that a copied link soon dies.
SEIDRA_S3_URL_EXPIRY = env.int("SEIDRA_S3_URL_EXPIRY", default=300)


def media_storage_settings(kind: str, s3: dict, *, url_expiry: int) -> dict:
    """STORAGES["default"] for SEIDRA_STORAGE; tests point it at their own S3 server with this too."""
    if kind == "local":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if kind != "s3":
        raise ImproperlyConfigured(f"SEIDRA_STORAGE: {kind!r} is not one of local, s3")
    if not s3["bucket_name"]:
        raise ImproperlyConfigured("SEIDRA_STORAGE=s3 needs SEIDRA_S3_BUCKET (or SEIDRA_MINIO_BUCKET)")
    options = {
        **{key: value for key, value in s3.items() if value},
        "querystring_auth": True,  # private objects: every URL is presigned
        "querystring_expire": url_expiry,
        "default_acl": None,  # the bucket's policy (private), never public-read
        "file_overwrite": False,  # a name taken gets a suffix, as on the local disk
        "addressing_style": "path",  # MinIO and most S3-compatible servers want path-style URLs
        "signature_version": "s3v4",
    }
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


STORAGES = {
    "default": media_storage_settings(SEIDRA_STORAGE, SEIDRA_S3, url_expiry=SEIDRA_S3_URL_EXPIRY),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Engines and models (used by the workers)
SEIDRA_MODELS_DIR = Path(env.str("SEIDRA_MODELS_DIR", default=str(VAR_DIR / "models")))
# One or several ComfyUI servers, comma-separated (http://host:8188,...): their checkpoints join the
# catalog and their jobs go to the `comfyui` queue (README "ComfyUI servers").
SEIDRA_COMFYUI_URL = env.str("SEIDRA_COMFYUI_URL", default="")
SEIDRA_COMFYUI_URLS = comfyui_urls_parse(SEIDRA_COMFYUI_URL)
SEIDRA_COMFYUI_QUEUE = "comfyui"
SEIDRA_COMFYUI_HTTP_TIMEOUT = env.float("SEIDRA_COMFYUI_HTTP_TIMEOUT", default=10.0)  # one REST call
# No websocket message nor progress for this long while a prompt runs: the server is asked directly
# (queue, history) and the job fails if the server is gone.
SEIDRA_COMFYUI_SILENCE_SECONDS = env.float("SEIDRA_COMFYUI_SILENCE_SECONDS", default=30.0)
# How often the catalog lists each server's checkpoints and LoRAs again (also at worker start and on
# the staff's "Refresh" action), and how long an unreachable server is left out of the pool.
SEIDRA_COMFYUI_REFRESH_SECONDS = env.int("SEIDRA_COMFYUI_REFRESH_SECONDS", default=300)
SEIDRA_COMFYUI_RETRY_SECONDS = env.int("SEIDRA_COMFYUI_RETRY_SECONDS", default=30)
# --- Talking-character videos (README "Talking-character videos"; apps/catalog/video_request.py)
# A SadTalker service on a GPU box (ops/sadtalker/; http://gpu-box:8002): unset, videos use the
# local approximate-motion engine (CPU, no download).
SEIDRA_SADTALKER_URL = env.str("SEIDRA_SADTALKER_URL", default="").rstrip("/")
SEIDRA_SADTALKER_HTTP_TIMEOUT = env.float("SEIDRA_SADTALKER_HTTP_TIMEOUT", default=30.0)  # one REST call
SEIDRA_SADTALKER_POLL_SECONDS = env.float("SEIDRA_SADTALKER_POLL_SECONDS", default=1.0)  # job status polls
# Transient failures (connection refused or reset, 502/503/504) are tried again this many times.
SEIDRA_SADTALKER_RETRIES = env.int("SEIDRA_SADTALKER_RETRIES", default=3)
# A SadTalker job not finished after this many seconds is cancelled on the service and FAILED.
SEIDRA_SADTALKER_JOB_TIMEOUT = env.int("SEIDRA_SADTALKER_JOB_TIMEOUT", default=1800)
# Uploaded audio tracks and reference images, checked by content before a video job is queued.
SEIDRA_MAX_AUDIO_MB = env.int("SEIDRA_MAX_AUDIO_MB", default=20)
SEIDRA_REFERENCE_FETCH_TIMEOUT = env.float("SEIDRA_REFERENCE_FETCH_TIMEOUT", default=10.0)  # a reference URL
# Networks a reference image URL may point to although private or local (apps/core/safe_fetch.py):
# comma-separated CIDRs, e.g. a LAN image host 192.168.1.20/32. Empty: public addresses only.
SEIDRA_REFERENCE_FETCH_ALLOW = env.list("SEIDRA_REFERENCE_FETCH_ALLOW", default=[])
SEIDRA_GPU_QUEUE = "gpu"
# --- Jobs (apps/jobs, workers/worker.py)
SEIDRA_MAX_QUEUED_PER_USER = env.int("SEIDRA_MAX_QUEUED_PER_USER", default=10)
SEIDRA_JOB_TIMEOUT = env.int("SEIDRA_JOB_TIMEOUT", default=3600)  # seconds one job may run
SEIDRA_RQ_RESULT_TTL = env.int("SEIDRA_RQ_RESULT_TTL", default=3600)  # RQ's copy only; the row is kept
SEIDRA_PREVIEW_EVERY = env.int("SEIDRA_PREVIEW_EVERY", default=5)  # a latent preview every N steps (0: none)
SEIDRA_PROGRESS_EVENTS_PER_SECOND = env.float("SEIDRA_PROGRESS_EVENTS_PER_SECOND", default=10.0)
SEIDRA_PROGRESS_SAVES_PER_SECOND = env.float("SEIDRA_PROGRESS_SAVES_PER_SECOND", default=2.0)
# A worker refreshes its liveness key every INTERVAL seconds with a TTL of several beats (a beat
# thread starved of CPU must not make a live worker look dead); a RUNNING job whose worker key
# expired is "lost" and recovered within about one beat (re-queued once, then failed).
SEIDRA_WORKER_HEARTBEAT_TTL = env.int("SEIDRA_WORKER_HEARTBEAT_TTL", default=30)
SEIDRA_WORKER_HEARTBEAT_INTERVAL = env.float(
    "SEIDRA_WORKER_HEARTBEAT_INTERVAL", default=SEIDRA_WORKER_HEARTBEAT_TTL / 6
)
if not 0 < SEIDRA_WORKER_HEARTBEAT_INTERVAL * 3 <= SEIDRA_WORKER_HEARTBEAT_TTL:
    raise ImproperlyConfigured(
        "SEIDRA_WORKER_HEARTBEAT_TTL must be at least 3 x SEIDRA_WORKER_HEARTBEAT_INTERVAL (a margin of "
        f"several missed beats); got {SEIDRA_WORKER_HEARTBEAT_TTL} and {SEIDRA_WORKER_HEARTBEAT_INTERVAL}."
    )
# A running job reads its row's cancel flag this often, in case Redis lost the live cancel message.
SEIDRA_CANCEL_CHECK_SECONDS = env.float("SEIDRA_CANCEL_CHECK_SECONDS", default=5.0)
# Each web process probes the channel layer this often; after an outage open pages get a fresh snapshot.
SEIDRA_WS_LAYER_CHECK_SECONDS = env.float("SEIDRA_WS_LAYER_CHECK_SECONDS", default=2.0)
SEIDRA_RECONCILE_INTERVAL = env.int("SEIDRA_RECONCILE_INTERVAL", default=60)  # seconds, in every worker
SEIDRA_QUEUE_GRACE_SECONDS = env.int("SEIDRA_QUEUE_GRACE_SECONDS", default=30)  # before a missing entry is re-pushed
SEIDRA_MAX_ATTEMPTS = env.int("SEIDRA_MAX_ATTEMPTS", default=2)  # runs of one job before "worker lost"
# How the SDXL engine runs (workers/engines/sdxl/runtime.py): "auto" picks from the hardware.
SEIDRA_DEVICE = env.str("SEIDRA_DEVICE", default="auto")  # auto, cpu, cuda, cuda:1, mps
# A worker generating on the CPU refuses bigger jobs (width x height x images; steps): one step of a
# large batch there can take minutes, during which the job cannot be cancelled. Defaults: apps/catalog/limits.py.
SEIDRA_CPU_MAX_PIXELS = env.int("SEIDRA_CPU_MAX_PIXELS", default=job_limits.CPU_MAX_PIXELS)
SEIDRA_CPU_MAX_STEPS = env.int("SEIDRA_CPU_MAX_STEPS", default=job_limits.CPU_MAX_STEPS)
SEIDRA_DTYPE = env.str("SEIDRA_DTYPE", default="auto")  # auto (fp16 on GPUs, fp32 on CPU), fp16, bf16, fp32
# auto (xFormers when importable on CUDA), sdpa, xformers
SEIDRA_ATTENTION = env.str("SEIDRA_ATTENTION", default="auto")
SEIDRA_MEMORY_MODE = env.str("SEIDRA_MEMORY_MODE", default="auto")  # auto, gpu, model_offload, sequential_offload
SEIDRA_VAE_SLICING = env.bool("SEIDRA_VAE_SLICING", default=False)
SEIDRA_VAE_TILING = env.bool("SEIDRA_VAE_TILING", default=False)
SEIDRA_COMPILE = env.bool("SEIDRA_COMPILE", default=False)  # torch.compile the UNet (CUDA; slow first job)
SEIDRA_COMPILE_BACKEND = env.str("SEIDRA_COMPILE_BACKEND", default="inductor")
SEIDRA_COMPILE_LORA_RANK = env.int("SEIDRA_COMPILE_LORA_RANK", default=64)  # total LoRA rank of one job
SEIDRA_PIPELINE_CACHE_SIZE = env.int("SEIDRA_PIPELINE_CACHE_SIZE", default=1)  # resident models per worker
SEIDRA_DEFAULT_MODEL = env.str("SEIDRA_DEFAULT_MODEL", default="")  # empty: SDXL base if installed, else the demo
# Model catalog (setup_models, the catalog app): hub ids, files, trigger words. Tests point it at
# their own file; huggingface_hub itself reads HF_TOKEN / HF_HOME / HF_ENDPOINT / HTTPS_PROXY.
SEIDRA_CATALOG_FILE = Path(env.str("SEIDRA_CATALOG_FILE", default=str(BASE_DIR / "apps/catalog/catalog.json")))

# --- Gallery (apps/gallery): private files, thumbnails, share links, storage
# How the authenticated file view hands a file to the front server: "" (Django streams it),
# "nginx" (X-Accel-Redirect to SEIDRA_MEDIA_ACCEL_PREFIX + the file's path under MEDIA_ROOT; the
# location must be `internal`), or "sendfile" (X-Sendfile with the file's absolute path: Apache, lighttpd).
SEIDRA_MEDIA_ACCEL = env.str("SEIDRA_MEDIA_ACCEL", default="")
SEIDRA_MEDIA_ACCEL_PREFIX = env.str("SEIDRA_MEDIA_ACCEL_PREFIX", default="/protected-media/")
if SEIDRA_MEDIA_ACCEL not in ("", "nginx", "sendfile"):
    raise ImproperlyConfigured(f"SEIDRA_MEDIA_ACCEL: {SEIDRA_MEDIA_ACCEL!r} is not one of '', nginx, sendfile")
# WebP thumbnails, widths in pixels: the grid's small one and the lightbox's (srcset picks).
SEIDRA_THUMBNAIL_SIZES = (256, 768)
SEIDRA_SHARE_LINK_DAYS = env.int("SEIDRA_SHARE_LINK_DAYS", default=7)  # how long a new share link works
# Bytes of original files one user may keep; new jobs are refused (429) once reached. Unset: no quota.
SEIDRA_USER_STORAGE_QUOTA_MB = env.int("SEIDRA_USER_STORAGE_QUOTA_MB", default=None)
SEIDRA_GALLERY_PAGE_SIZE = env.int("SEIDRA_GALLERY_PAGE_SIZE", default=40)

# --- NSFW scoring (workers/nsfw) and moderation (apps/moderation)
# "nudenet" when its package is installed (requirements/nsfw.txt), else "none"; say "none" to turn it off.
SEIDRA_NSFW_DETECTOR = env.str("SEIDRA_NSFW_DETECTOR", default="auto")
# An image whose score is at least this is flagged (0 flags every scored image: useful to try the desk).
SEIDRA_NSFW_THRESHOLD = env.float("SEIDRA_NSFW_THRESHOLD", default=0.5)

# --- Serving (seidra/asgi.py, seidra/serve.py, ops/scripts/run-local.sh)
# Threads per web process that run Django views: requests overlap on database I/O and on Argon2
# password hashing (which releases the GIL). Each thread holds its own database connection.
SEIDRA_HTTP_THREADS = env.int("SEIDRA_HTTP_THREADS", default=8)
# daphne processes accepting on one listening socket (`make run`, the Docker and systemd start
# scripts): Python code of views then runs on several cores. One by default: on 2 cores a second
# process measured no better (ops/README.md), and the local-memory cache (throttling counters) is
# per process.
SEIDRA_WEB_PROCESSES = env.int("SEIDRA_WEB_PROCESSES", default=1)
# Passwords one web process hashes at a time (Argon2, ~0.3-1 s of CPU each), at a lower CPU priority
# (seidra/password_hashing.py): concurrent logins queue among themselves instead of taking every core.
SEIDRA_PASSWORD_HASH_THREADS = env.int("SEIDRA_PASSWORD_HASH_THREADS", default=1)
# Seconds `make run` waits for the web and the worker to stop (SIGTERM: the worker finishes its
# job) before it kills them; Redis is stopped only after them.
SEIDRA_STOP_TIMEOUT = env.int("SEIDRA_STOP_TIMEOUT", default=30)

# --- Logging: console always; a file under logs/ when the directory can be written. One JSON object
# per line (apps/core/log_json.py) with the request id or job id; SEIDRA_LOG_FORMAT=plain for people.
# The file is rotated by logrotate (ops/logrotate/seidra): several processes write it, and
# WatchedFileHandler reopens it after a rotation, which a size-rotating handler per process cannot do safely.
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_DIR = Path(env.str("SEIDRA_LOG_DIR", default=str(BASE_DIR / "logs")))
LOG_FORMAT = env.str("SEIDRA_LOG_FORMAT", default="json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured(f"SEIDRA_LOG_FORMAT must be json or plain, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "apps.core.log_json.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"daphne": {"level": "WARNING"}, "django.channels.server": {"level": "WARNING"}},
}
if env.bool("SEIDRA_LOG_FILE", default=True):
    LOGGING["handlers"]["file"] = {
        "class": "logging.handlers.WatchedFileHandler",
        "filename": str(LOG_DIR / "seidra.log"),
        "formatter": LOG_FORMAT,
        "delay": True,
    }
    LOGGING["root"]["handlers"].append("file")
    LOG_DIR.mkdir(parents=True, exist_ok=True)

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True


def finalize(settings: dict) -> None:
    """Derive what depends on a role's final SECRET_KEY; each role calls it last."""
    settings["SIMPLE_JWT"]["SIGNING_KEY"] = env.str("SEIDRA_JWT_SIGNING_KEY", default="") or settings["SECRET_KEY"]
