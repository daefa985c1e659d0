"""Copro settings: one module, driven by environment variables (see docs/deployment.md).

Every variable is read through copro.core.env, which fails loudly on a bad value.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from copro.core.env import env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("COPRO_VAR_DIR", str(Path.cwd() / "var")))

DEBUG = env_bool("COPRO_DEBUG", False)
# The test suite (pytest) runs with test settings even when COPRO_TESTING is not exported.
TESTING = env_bool("COPRO_TESTING", "pytest" in sys.modules)

_DEV_SECRET = "copro-development-only-secret-key-never-use-in-production-0123456789"
SECRET_KEY = env_str("COPRO_SECRET_KEY", _DEV_SECRET if (DEBUG or TESTING) else None)
if not (DEBUG or TESTING) and (SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured("COPRO_SECRET_KEY must be a random string of at least 50 characters.")

ALLOWED_HOSTS = env_list("COPRO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if (DEBUG or TESTING) else [])
# Every link in an email is built from this address, so production must say what it is.
SITE_URL = env_str("COPRO_SITE_URL", "http://127.0.0.1:8000" if (DEBUG or TESTING) else None).rstrip("/")
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured("COPRO_SITE_URL must start with http:// or https://.")
CSRF_TRUSTED_ORIGINS = env_list("COPRO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # Daphne first: `runserver` then serves HTTP and the live meeting feed's WebSockets (ASGI).
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "channels",
    # Copro: the shared space and cross-cutting parts first, then one app per step of the cycle.
    "copro.core",
    "copro.accounts",
    "copro.projects",
    "copro.moderation",
    "copro.maps",
    "copro.consultations",
    "copro.updates",
    "copro.decisions",
    "copro.ideas",
    "copro.meetings",
    "copro.unconference",
    "copro.live",
    "copro.followthrough",
    "copro.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "copro.accounts.middleware.PreferredLanguageMiddleware",
    "copro.accounts.middleware.StaffTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "copro.core.middleware.DomainErrorsMiddleware",
]

ROOT_URLCONF = "copro.urls"
WSGI_APPLICATION = "copro.wsgi.application"
ASGI_APPLICATION = "copro.asgi.application"

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
                "copro.core.context_processors.site",
            ],
        },
    },
]

# --- Database: SQLite under var/ by default; DATABASE_URL selects PostgreSQL. ---------------------
_database_url = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'copro.sqlite3'}")
try:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a usable database address: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # Concurrent writers (web + task worker) wait up to 20 s for the write lock instead of failing.
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Rate limits are counted in the cache: with several server processes use "database" so they share it.
if env_choice("COPRO_CACHE", "locmem", ["locmem", "database"]) == "database":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "copro_cache"}}

# --- Accounts (django-allauth) ------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Tests create many accounts: a fast hash keeps the suite quick. Never used outside tests.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Copro] "
ACCOUNT_ADAPTER = "copro.accounts.adapter.AccountAdapter"
ACCOUNT_SIGNUP_FORM_CLASS = "copro.accounts.forms.SignupExtraForm"
# Rate limits (allauth, counted in the cache). The numbers, and why:
#  - login_failed: 10 failed sign-ins per minute per IP address, and 5 per 5 minutes per account
#    (stops password guessing without locking out a person who mistypes a few times);
#  - login: 30 sign-in attempts per minute per IP (a shared library or drop-in PC stays usable);
#  - signup: 5 new accounts per 10 minutes per IP (a drop-in session can still register several people);
#  - reset_password: 20 per minute per IP, and 5 per minute per email address;
#  - confirm_email: one new verification email per address every 3 minutes;
#  - updates_subscribe (Copro's own, same mechanism): 20 subscription requests per hour per IP, so a
#    script cannot make Copro email confirmation links to a long list of addresses;
#  - project_invite (Copro's own): 50 invitations per hour per facilitator, so an account cannot be
#    used to send invitation emails in bulk.
ACCOUNT_RATE_LIMITS: dict[str, str] | bool = {
    "login_failed": "10/m/ip,5/300s/key",
    "login": "30/m/ip",
    "signup": "5/600s/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/180s/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
    "updates_subscribe": "20/h/ip",
    "project_invite": "50/h/user",
    # Wrong voting codes: 20 per 10 minutes per IP. Only failed look-ups count, so a shared tablet at a
    # polling station is never slowed down; guessing a 50-bit code at that pace is hopeless.
    "voting_code_failed": "20/600s/ip",
    # Community maps: 30 pins and 120 comments per hour per person (a drop-in worker entering paper
    # pins for many people uses the staff entry form, which is not limited).
    "maps_pin": "30/h/user",
    "maps_comment": "120/h/user",
    # Reports: 20 per hour per IP, so the moderation queue cannot be flooded.
    "moderation_report": "20/h/ip",
    # Anonymous consultation responses: 30 new ones per hour per IP (a library PC can serve a queue).
    "consultation_anonymous": "30/h/ip",
}
if env_bool("COPRO_DISABLE_RATE_LIMITS", False):
    ACCOUNT_RATE_LIMITS = False  # allauth: False switches every limit off ({} would restore its defaults)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Copro"
MFA_RECOVERY_CODE_COUNT = 10

# --- Internationalisation: English and Welsh -----------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("cy", _("Welsh"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "copro_language"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if (DEBUG or TESTING)
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

# --- Email: real SMTP (EMAIL_HOST/EMAIL_PORT); the console in development when no host is set. ----
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = env_str("COPRO_FROM_EMAIL", "Copro <noreply@copro.localhost>")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
if not EMAIL_HOST and not (DEBUG or TESTING):
    raise ImproperlyConfigured("EMAIL_HOST must be set in production: Copro sends real email.")

# --- Background tasks: a database-backed queue (django-tasks); `copro db_worker` runs them. --------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- REST API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "copro.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Copro API",
    "DESCRIPTION": "Projects, their scope of influence, activity and updates. Session authentication; "
    "writes need the CSRF token. Outsiders get 404 for anything they may not see.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ProjectVisibilityEnum": "copro.projects.models.ProjectVisibility",
        "ActivityVisibilityEnum": "copro.core.models.Visibility",
        "ScopeKindEnum": "copro.projects.models.ScopeKind",
        "ScopeChangeStatusEnum": "copro.projects.models.ScopeChange.Status",
        "DecisionKindEnum": "copro.decisions.models.Kind",
        "DecisionStatusEnum": "copro.decisions.models.Status",
        "MapStatusEnum": "copro.maps.models.MapStatus",
        "EntryChannelEnum": "copro.core.models.EntryChannel",
    },
}

# --- Community maps: the tile server -----------------------------------------------------------------
# Any XYZ tile server ({z}/{x}/{y}); its origin is added to the Content-Security-Policy's img-src below.
# The map data itself (pins, clusters) always comes from Copro; without tiles the map still shows them.
# Tests point it at a local port where nothing listens: nothing in the tests depends on tiles.
COPRO_MAP_TILES_URL = env_str(
    "COPRO_MAP_TILES_URL",
    "http://127.0.0.1:9/{z}/{x}/{y}.png" if TESTING else "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
)
COPRO_MAP_TILES_ATTRIBUTION = env_str("COPRO_MAP_TILES_ATTRIBUTION", "© OpenStreetMap contributors")
_tiles = urlsplit(COPRO_MAP_TILES_URL)
if (
    _tiles.scheme not in ("http", "https")
    or not _tiles.netloc
    or not all(part in COPRO_MAP_TILES_URL for part in ("{z}", "{x}", "{y}"))
):
    raise ImproperlyConfigured("COPRO_MAP_TILES_URL must be an http(s) address with {z}, {x} and {y} in it.")
_TILE_ORIGIN = f"{_tiles.scheme}://{_tiles.netloc.replace('{s}', '*')}"  # {s}: the server's subdomains

# --- Security ------------------------------------------------------------------------------------
# A strict Content-Security-Policy: no inline scripts or styles, nothing from other origins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", _TILE_ORIGIN],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
_secure = not (DEBUG or TESTING)
SESSION_COOKIE_SECURE = env_bool("COPRO_SECURE_COOKIES", _secure)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("COPRO_SSL_REDIRECT", _secure)
SECURE_HSTS_SECONDS = env_int("COPRO_HSTS_SECONDS", 31536000 if _secure else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
# Preload is on by default in production (HTTPS only, for a year); set COPRO_HSTS_PRELOAD=0 to opt out.
SECURE_HSTS_PRELOAD = env_bool("COPRO_HSTS_PRELOAD", _secure)
if env_bool("COPRO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Per-IP rate limits must count the visitor's address, not the proxy's: trust this many proxies'
    # X-Forwarded-For entries.
    ALLAUTH_TRUSTED_PROXY_COUNT = env_int("COPRO_TRUSTED_PROXY_COUNT", 1, minimum=1)
SILENCED_SYSTEM_CHECKS: list[str] = []
# Bounds on what one request may carry: 2.5 MB of form data, 1,000 fields.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

# Invitations expire after 14 days.
COPRO_INVITATION_DAYS = env_int("COPRO_INVITATION_DAYS", 14, minimum=1)

# --- ideas ---------------------------------------------------------------------------------------
# Files attached to ideas: at most 10 MB each (pictures 5 MB, as map photos), at most 10 per idea.
COPRO_IDEAS_ATTACHMENT_MAX_BYTES = env_int("COPRO_IDEAS_ATTACHMENT_MAX_BYTES", 10_000_000, minimum=1_000_000)
COPRO_IDEAS_ATTACHMENTS_PER_IDEA = env_int("COPRO_IDEAS_ATTACHMENTS_PER_IDEA", 10, minimum=1)
if isinstance(ACCOUNT_RATE_LIMITS, dict):
    ACCOUNT_RATE_LIMITS.update(
        {
            "ideas_submit": "20/h/user",  # new ideas per person per hour
            "ideas_comment": "120/h/user",
            "ideas_upload": "30/h/user",
        }
    )
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(  # type: ignore[attr-defined]
    {
        "IdeaStatusEnum": "copro.ideas.models.IdeaStatus",
        "ReviewRoundStatusEnum": "copro.ideas.models.RoundStatus",
        # Staff entry of what was gathered offline (consultations, ideas, meetings): one name for the set.
        "OfflineEntryChannelEnum": "copro.consultations.staff_forms.OFFLINE_CHOICES",
    }
)
# --- end ideas -----------------------------------------------------------------------------------

# --- meetings ------------------------------------------------------------------------------------
# Webcasts from these players are embedded in a meeting's page (copro/meetings/embed.py); any other
# webcast is a plain link. YouTube only through its privacy-enhanced domain (no cookies until play).
CONTENT_SECURITY_POLICY["DIRECTIVES"]["frame-src"] = ["https://www.youtube-nocookie.com", "https://player.vimeo.com"]
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(  # type: ignore[attr-defined]
    {
        "MeetingStatusEnum": "copro.meetings.models.MeetingStatus",
        "MeetingFormatEnum": "copro.meetings.models.MeetingFormat",
        "RegistrationStatusEnum": "copro.meetings.models.RegistrationStatus",
        "MeetingActionStatusEnum": "copro.meetings.models.ActionStatus",
    }
)
# --- end meetings --------------------------------------------------------------------------------

# --- unconference --------------------------------------------------------------------------------
# Open space proposals: 20 per hour per person (a busy workshop table proposes a handful; a script cannot
# fill the wall). Marks are not limited: one per person per session is held by the database.
if isinstance(ACCOUNT_RATE_LIMITS, dict):
    ACCOUNT_RATE_LIMITS["unconference_propose"] = "20/h/user"
# The scheduler's time limit when a facilitator presses "Build the schedule", in milliseconds (it runs in
# the request and usually stops well before: 40 sessions take about 0.1 s). At most 5,000.
COPRO_UNCONFERENCE_BUILD_MS = min(env_int("COPRO_UNCONFERENCE_BUILD_MS", 500, minimum=100), 5000)
# Asking someone to co-host a session (an email to them): 10 per hour per person. Enough to gather a few
# co-hosts; too few to mail a list of addresses or to test which of them belong to members.
if isinstance(ACCOUNT_RATE_LIMITS, dict):
    ACCOUNT_RATE_LIMITS["unconference_host_invite"] = "10/h/user"
# After a change to a published schedule, wait this many seconds before emailing the people whose sessions
# moved, so a facilitator's run of changes gives each person one email (0: at once). At most an hour.
COPRO_UNCONFERENCE_NOTICE_DELAY_S = min(env_int("COPRO_UNCONFERENCE_NOTICE_DELAY_S", 300, minimum=0), 3600)
# --- end unconference ----------------------------------------------------------------------------

# --- live (Django Channels) ----------------------------------------------------------------------
# The live meeting feed's channel layer: in memory (one server process) unless COPRO_REDIS_URL is set,
# which every deployment with more than one process needs (docs/deployment.md).
COPRO_REDIS_URL = env_str("COPRO_REDIS_URL", "")
if COPRO_REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [COPRO_REDIS_URL]}}
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Questions and comments sent to a live meeting: 10 per 10 minutes per person (enough to take part in a
# lively meeting; not enough to flood the moderators' queue). Off with the other limits when disabled.
if isinstance(ACCOUNT_RATE_LIMITS, dict):
    ACCOUNT_RATE_LIMITS["live_question"] = "10/600s/user"
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(  # type: ignore[attr-defined]
    {
        "LiveEntryKindEnum": "copro.live.models.EntryKind",
        "LiveQuestionKindEnum": "copro.live.models.QuestionKind",
        "LiveFeedStatusEnum": "copro.live.models.FeedStatus",
    }
)
# The feed's WebSocket needs no CSP change: connect-src 'self' allows ws:// and wss:// to this same host
# and port (CSP Level 3, as Chromium and Firefox apply it; the browser test checks there is no violation).
# --- end live ------------------------------------------------------------------------------------

# --- followthrough -------------------------------------------------------------------------------
# Feedback moments without an account (where a project allows them): 20 per hour per IP address, so a
# drop-in PC or a library tablet can serve a queue of people but a script cannot flood a project's inbox.
# Signed-in feedback and practitioners' entry are not limited. (ACCOUNT_RATE_LIMITS is False when every
# limit is switched off.)
if isinstance(ACCOUNT_RATE_LIMITS, dict):
    ACCOUNT_RATE_LIMITS["feedback"] = "20/h/ip"
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(  # type: ignore[attr-defined]
    {
        "CommitmentStatusEnum": "copro.followthrough.models.CommitmentStatus",
        "FeedbackAboutEnum": "copro.followthrough.models.FeedbackAbout",
        "FeedbackTagEnum": "copro.followthrough.models.FeedbackTag",
    }
)
# --- end followthrough ---------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice("COPRO_LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]),
    },
    "loggers": {"django_tasks": {"level": "WARNING"}, "django_tasks_db": {"level": "WARNING"}},
}
