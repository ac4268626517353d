"""Settings shared by every environment; everything that differs comes from the environment.

Environment variables:
    DATABASE_URL   database (default: SQLite under var/)
    REDIS_URL      Celery broker, result backend and cache (default: none — Celery uses
                   kombu's filesystem transport under var/celery so nothing needs a server)
    SECRET_KEY     required in production
    S3_BUCKET      stored files in this bucket of an S3-compatible store (S3_* below), not
                   in MEDIA_ROOT
    DEBUG          "1"/"true" to enable
    ALLOWED_HOSTS  comma-separated host names
"""

from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _


def _clock(name: str, default: str) -> tuple[str, str]:
    """A daily time "HH:MM" (Asia/Shanghai) from the environment, as crontab (minute, hour)."""
    hour, minute = (env(name) or default).split(":")
    return minute, hour


BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"


def env(name: str, default: str | None = None) -> str | None:
    import os

    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


SECRET_KEY = env("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core",
    "accounts",
    "projects",
    "schedule",
    "issues",
    "approvals",
    "funding",
    "progress",
    "indicators",
    "cockpit",
    "reports",
    "fieldservice",  # 走访服务: service specialists and visits
    "notify",
    "todo",
    "webhooks",
    "attachments",  # files on approvals, issues, meetings, projects
    "opendata",  # projects marked public, published as OC4IDS
    "audit",
    "health",  # /healthz/ and the beat's heartbeat
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # a request id; NUL bytes in the path or query, oversized bodies refused (core/middleware.py)
    "core.middleware.RequestGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.CookieLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # whether the session gave its second factor
    "audit.middleware.AuditMiddleware",  # 403s, 404s on objects, downloads (audit/)
    "django.contrib.messages.middleware.MessageMiddleware",
    # idle and absolute session limits, then the password policy's forced change
    "accounts.sessions.SessionLimitsMiddleware",
    "accounts.twofactor.TwoFactorMiddleware",  # the second factor before anything else
    "accounts.passwords.PasswordPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy (below, CONTENT_SECURITY_POLICY)
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "notify.context_processors.unread",
                "config.navigation.navigation",
                "todo.context_processors.todo",
            ],
        },
    },
]

# Persistent connections: a process keeps its database connection for DB_CONN_MAX_AGE seconds
# (0: a new one per request — a connection costs a PostgreSQL process fork and authentication,
# several milliseconds), checked before each request reuses it, so one the server closed
# meanwhile (a restart, a failover) is replaced rather than failing the request.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(env("DB_CONN_MAX_AGE", "60") or 0),
        conn_health_checks=True,
    )
}
# Large lists (the project library) count exactly up to this many rows and show PostgreSQL's
# estimate above it ("约"), flagged count_is_estimate in the API; 0: always count exactly.
LIST_COUNT_EXACT_UP_TO = int(env("LIST_COUNT_EXACT_UP_TO", "10000") or 0)
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # PostgreSQL's JIT compiles a query whose estimated cost is high (the cockpit's and the
    # lights' aggregates) for longer than it then runs: off unless DB_JIT=on.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", f"-c jit={'on' if env_bool('DB_JIT', False) else 'off'}"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"  # the landing page of each role (cockpit/views.py)
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    # password policy (accounts/passwords.py): length and character classes, the last five
    {"NAME": "accounts.passwords.ComplexityValidator"},
    {"NAME": "accounts.passwords.HistoryValidator"},
]

# People read times in Asia/Shanghai; the database stores UTC.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT") or VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Stored files (generated documents, uploaded workbooks) are read and written through the storage
# API only. Without S3_BUCKET they are in MEDIA_ROOT, a folder every web and worker process must
# share. With it they are in that bucket of an S3-compatible object store (MinIO, Ceph, a cloud's
# object storage; django-storages), and processes on different machines share nothing but
# PostgreSQL, Redis and the store. Objects are private: no ACL is sent (the bucket's own policy
# applies — keep it private), and every file reaches a user through the platform's own views,
# which check the user's scope and stream it; no bucket URL is ever handed out.
S3_BUCKET = env("S3_BUCKET", "")
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            # e.g. http://minio:9000; empty: AWS S3 itself
            "endpoint_url": env("S3_ENDPOINT_URL") or None,
            # empty: boto3's own chain (AWS_* variables, an instance role)
            "access_key": env("S3_ACCESS_KEY_ID") or None,
            "secret_key": env("S3_SECRET_ACCESS_KEY") or None,
            "region_name": env("S3_REGION") or None,
            # "path" for most self-hosted stores (MinIO), "virtual" for bucket.host names
            "addressing_style": env("S3_ADDRESSING_STYLE") or None,
            # a key prefix, for a bucket shared with other systems
            "location": env("S3_PREFIX", "") or "",
            "default_acl": None,
            # a name already taken gets a suffix, as in a folder (an upload never replaces one)
            "file_overwrite": False,
            # url() is never used for downloads; should anything call it, the link is signed
            # and short-lived
            "querystring_auth": True,
            "querystring_expire": 300,
            # a file read for a download or an import is held in memory up to this size, then
            # in a temporary file of this process
            "max_memory_size": 8 * 1024 * 1024,
        },
    }

REDIS_URL = env("REDIS_URL")

# With REDIS_URL the cache is on Redis, and falls back to each process's own memory while Redis
# does not answer (core/cache.py): pages, the API and sign-ins go on, Redis is tried again every
# REDIS_CACHE_RETRY_SECONDS. Sessions are in the database, never in the cache.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
REDIS_CACHE_RETRY_SECONDS = float(env("REDIS_CACHE_RETRY_SECONDS") or 30)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.FallbackRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "RETRY_SECONDS": REDIS_CACHE_RETRY_SECONDS,
                "socket_connect_timeout": 1,
                "socket_timeout": 2,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery -------------------------------------------------------------------------------
# With REDIS_URL, Redis is broker and result backend. Without it, kombu's filesystem transport
# passes messages between the web, worker and beat processes through folders under var/celery,
# so `make run` needs no server at all.
CELERY_DIR = Path(env("CELERY_DIR") or VAR_DIR / "celery")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
else:
    for sub in ("queue", "processed", "results", "control"):
        (CELERY_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    # kombu's transport with atomic writes (config/celery_transport.py)
    CELERY_BROKER_TRANSPORT = "config.celery_transport:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DIR / "queue"),
        "data_folder_out": str(CELERY_DIR / "queue"),
        "processed_folder": str(CELERY_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(CELERY_DIR / "control"),
    }
    CELERY_RESULT_BACKEND = f"file://{CELERY_DIR / 'results'}"

CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TRACK_STARTED = True
CELERY_RESULT_EXPIRES = 60 * 60 * 24
CELERY_BEAT_SCHEDULE_FILENAME = str(CELERY_DIR / "beat-schedule")

# Recovery (core/jobs.py). Background work is recorded in the database before its message goes
# out (a job row, a recompute's marker, a due delivery); the rows, not the broker, say what is
# left to do. A running job writes a heartbeat every JOB_HEARTBEAT_SECONDS; one under way with
# no heartbeat for JOB_HEARTBEAT_TIMEOUT seconds lost its message or its worker, and the reaper
# (every minute, and as each worker starts) sends it again, re-runs it or marks it failed —
# within about two minutes of a worker's death.
JOB_HEARTBEAT_SECONDS = float(env("JOB_HEARTBEAT_SECONDS") or 10)
JOB_HEARTBEAT_TIMEOUT = float(env("JOB_HEARTBEAT_TIMEOUT") or 60)
# Runs of one request a job gets when its worker keeps dying (then it fails with a message).
JOB_MAX_ATTEMPTS = int(env("JOB_MAX_ATTEMPTS") or 3)
# Time limits (seconds). Every task: a stuck one is stopped (soft: an exception it can record;
# hard: its process is killed) rather than holding a worker for ever. A document or a large
# import gets longer; its soft limit leaves the job failed with a message.
CELERY_TASK_SOFT_TIME_LIMIT = int(env("CELERY_TASK_SOFT_TIME_LIMIT") or 10 * 60)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
JOB_SOFT_TIME_LIMIT = float(env("JOB_SOFT_TIME_LIMIT") or 30 * 60)
JOB_TIME_LIMIT = JOB_SOFT_TIME_LIMIT + 60
# Acknowledged on receipt unless a task says otherwise (reports.tasks): recovery comes from the
# rows above, and a late ack only delays a message that a dead worker held.
CELERY_TASK_ACKS_LATE = False
CELERY_TASK_REJECT_ON_WORKER_LOST = False
# One message reserved per worker process at a time: a long job does not keep others' messages
# waiting behind it, and a worker that dies takes no batch of them down with it.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis hands an unacknowledged message to another worker after the visibility timeout: longer
# than the longest hard time limit, so a job still running is never given out twice (no task
# uses a countdown or ETA beyond the few seconds of generate_report's retry back-off).
CELERY_BROKER_VISIBILITY_TIMEOUT = int(max(CELERY_TASK_TIME_LIMIT, JOB_TIME_LIMIT) + 30 * 60)
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = CELERY_BROKER_VISIBILITY_TIMEOUT
# A web request that queues work waits at most a few seconds for an unreachable broker (the
# job stays queued and is sent when the broker is back), not Celery's default retries.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}
# A worker or beat started before Redis keeps trying to connect instead of exiting.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The worker loads the document builder (WeasyPrint) once as it starts, before forking its pool,
# not inside the first job's time limit; the web processes never load it.
CELERY_IMPORTS = ["reports.documents"]
# Periodic jobs: name → task, schedule (Asia/Shanghai), expiry so a late run is dropped.
CELERY_BEAT_SCHEDULE = {
    # the new year's rollover of the project library, proposed for the offices to confirm
    "propose-library-rollover": {
        "task": "projects.tasks.propose_rollover",
        "schedule": crontab(month_of_year=1, day_of_month=1, hour=1, minute=0),
        "options": {"expires": 60 * 60 * 24},
    },
    "recompute-schedules": {
        "task": "schedule.tasks.recompute_schedules",
        "schedule": crontab(hour=0, minute=20),
        "options": {"expires": 60 * 60 * 6},
    },
    "clear-expired-sessions": {
        "task": "accounts.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=15),
        "options": {"expires": 60 * 60},
    },
    "remind-progress-filers": {
        "task": "progress.tasks.remind_filers",
        "schedule": crontab(*_clock("PROGRESS_REMIND_AT", "09:00")),
        "options": {"expires": 60 * 60 * 6},
    },
    "sweep-issues": {
        "task": "issues.tasks.sweep_issues",
        "schedule": crontab(*_clock("ISSUE_SWEEP_AT", "01:10")),
        "options": {"expires": 60 * 60 * 6},
    },
    "approvals-due": {
        "task": "approvals.tasks.announce_due_approvals",
        "schedule": crontab(*_clock("APPROVAL_DUE_AT", "07:50")),
        "options": {"expires": 60 * 60 * 6},
    },
    "reap-jobs": {
        "task": "core.tasks.reap_jobs",
        "schedule": crontab(),  # every minute
        "options": {"expires": 50},
    },
}

# --- Issue tickets (SPEC §5) ------------------------------------------------------------------
# Default time limit (限期) in working days when the office does not set one: per level, and
# per level and category where a kind of matter usually takes longer.
ISSUE_DEADLINE_WORKDAYS = {"county": 10, "city": 15, "province": 20, "government": 30}
ISSUE_DEADLINE_WORKDAYS_BY_CATEGORY = {
    "city": {"land_sea": 20, "forestry": 20, "relocation": 25},
    "province": {"land_sea": 30, "forestry": 25, "eia": 25, "energy": 25},
}
# A time limit may be set at most this many calendar days ahead (限期办结).
ISSUE_DEADLINE_MAX_DAYS = 366
# A reminder goes out this many working days before the deadline.
ISSUE_REMIND_WORKDAYS = int(env("ISSUE_REMIND_WORKDAYS", "3"))
# An issue overdue by this many working days moves one level up (no entry: never).
ISSUE_ESCALATE_AFTER_WORKDAYS = {"county": 5, "city": 10, "province": 15}
# 一通报、两约谈 (README "困难问题与碰头会"). Per task: a ticket not done by its deadline is
# notified the next day, and again every ISSUE_RENOTICE_WORKDAYS working days while it stays
# undone; its 2nd notice brings the deputy leader's interview of the handling unit, its 3rd the
# principal leader's (ISSUE_INTERVIEW_THRESHOLDS: leader → the notice that brings it).
ISSUE_RENOTICE_WORKDAYS = int(env("ISSUE_RENOTICE_WORKDAYS", "10"))
ISSUE_INTERVIEW_THRESHOLDS = {"deputy": 2, "principal": 3}
# Per unit, a second rule that can be switched off: a unit notified about this many different
# tickets within the window (calendar days) is interviewed, once per window.
ISSUE_UNIT_WINDOW_RULE = env_bool("ISSUE_UNIT_WINDOW_RULE", True)
ISSUE_NOTICE_WINDOW_DAYS = int(env("ISSUE_NOTICE_WINDOW_DAYS", "90"))
# 即时响应: a ticket reported or escalated to a level is to be accepted (受理) by that level's
# office within this many working days (the province office also for 省政府); past it the sweep
# marks it 受理超时 once and it is listed in 专题督办.
ISSUE_ACCEPT_WORKDAYS = {"county": 2, "city": 2, "province": 3, "government": 5}
# 专题督办: units and regions with at least this many overdue issues, or this share overdue
# among at least ``min_open`` open issues.
ISSUE_SUPERVISION = {"min_overdue": 3, "overdue_ratio": 0.3, "min_open": 3}
# 专题督办 also lists the regions directly below with at least this many of the cockpit's
# indicators red (the year to this month, further below the region's target than
# COCKPIT_YELLOW_MARGIN points) …
SUPERVISION_RED_INDICATORS = int(env("SUPERVISION_RED_INDICATORS", "1"))
# … and the handling units with approvals running past their promised day: at least this many,
# or this share overdue among at least ``min_running`` running.
APPROVAL_SUPERVISION = {"min_overdue": 2, "overdue_ratio": 0.3, "min_running": 3}
# The reserve kept at this many times the year's investment (seed 003: "5倍以上"), per region;
# and a project ready to start with no investment reported and no milestone moved for this many
# days is listed for the office's decision (seed 003: "具备开工条件两个月内无实质性进展").
RESERVE_RATIO_TARGET = float(env("RESERVE_RATIO_TARGET", "5"))
STALLED_DAYS = int(env("STALLED_DAYS", "60"))
# An open ticket blocking a milestone that puts at least this many working days of construction
# start at risk is offered for escalation on its page, with its impact (schedule.impact).
ISSUE_ESCALATION_IMPACT_DAYS = int(env("ISSUE_ESCALATION_IMPACT_DAYS", "5"))
# Quarterly 点评 and yearly 考核 (indicators.evaluation): the weights of each criterion until an
# office sets its own for the year (its page); a criterion not scored gives its weight to the rest.
EVALUATION_WEIGHTS = {
    "region": {
        "new_start_rate": 30,
        "investment": 30,
        "signed": 15,
        "production": 10,
        "issues": 15,
    },
    "department": {"approvals": 60, "issues": 40},
}
# A funding quota not fully issued shows in its office's to-do list from this many calendar days
# before its issuance deadline (e.g. "9月底前"), and as overdue after it.
QUOTA_DEADLINE_WARN_DAYS = int(env("QUOTA_DEADLINE_WARN_DAYS", "30"))

# --- Approval tracks (SPEC §7) --------------------------------------------------------------
# A running approval this many working days or fewer before its promised date (承诺办结日) is
# announced once (approval.due), and once more when it runs past it (approval.overdue).
APPROVAL_DUE_WORKDAYS = int(env("APPROVAL_DUE_WORKDAYS", "3"))

# --- Monthly progress (SPEC §8) -------------------------------------------------------------
# Forms for a month are due by this day of the month (每月20日前报送).
PROGRESS_DEADLINE_DAY = int(env("PROGRESS_DEADLINE_DAY", "20"))
# Days of the month on which counties with forms missing are reminded (the job runs daily at
# PROGRESS_REMIND_AT and acts on these days only).
PROGRESS_REMIND_DAYS = [int(day) for day in env_list("PROGRESS_REMIND_DAYS", "15,18,20")]
# Excel uploads: the file, the unpacked workbook and the rows are capped; larger imports than
# PROGRESS_IMPORT_SYNC_ROWS rows run as a background job with a progress bar. The caps leave
# ample room for a 50,000-row template (a filled 20,000-row one is about 1.2 MB packed).
PROGRESS_IMPORT_MAX_BYTES = int(env("PROGRESS_IMPORT_MAX_BYTES", str(16 * 1024 * 1024)))
PROGRESS_IMPORT_MAX_UNZIPPED_BYTES = int(
    env("PROGRESS_IMPORT_MAX_UNZIPPED_BYTES", str(128 * 1024 * 1024))
)
PROGRESS_IMPORT_MAX_ROWS = int(env("PROGRESS_IMPORT_MAX_ROWS", "50000"))
PROGRESS_IMPORT_SYNC_ROWS = int(env("PROGRESS_IMPORT_SYNC_ROWS", "300"))

# --- Attachments (attachments/) ----------------------------------------------------------------
# The largest file attached to an approval, issue, meeting or project (20 MB); a larger one is
# refused and nothing is stored. Django puts no cap of its own on a multipart file (its
# DATA_UPLOAD_MAX_MEMORY_SIZE leaves files out), so this is the limit the platform keeps.
ATTACHMENT_MAX_BYTES = int(env("ATTACHMENT_MAX_BYTES", str(20 * 1024 * 1024)))

# --- Open data (opendata/: OC4IDS) ----------------------------------------------------------
# The projects offices mark public are published as an OC4IDS project package: each project's
# id is this prefix and its 项目代码 (the prefix registered with the standard for the publisher,
# e.g. "oc4ids-bu3kcz-"; the default is a placeholder), the package names this publisher. The
# beat writes the month's file on its first day (running it again in the month replaces it).
OC4IDS_PROJECT_ID_PREFIX = env("OC4IDS_PROJECT_ID_PREFIX") or "oc4ids-000000-"
OC4IDS_PUBLISHER_NAME = env("OC4IDS_PUBLISHER_NAME") or "江苏省重大项目办"
CELERY_BEAT_SCHEDULE["publish-open-data"] = {
    "task": "opendata.tasks.publish_monthly",
    "schedule": crontab(day_of_month=1, hour=3, minute=30),
    "options": {"expires": 60 * 60 * 6},
}

# --- Excel exports (core/exports.py) -----------------------------------------------------------
# An export of up to EXPORT_SYNC_ROWS rows downloads at once; a larger one is written by a
# background job with a progress page (the API answers 202 with its status address). Its file is
# removed EXPORT_RETENTION_HOURS after it finished (the beat, hourly).
EXPORT_SYNC_ROWS = int(env("EXPORT_SYNC_ROWS") or 5000)
EXPORT_RETENTION_HOURS = int(env("EXPORT_RETENTION_HOURS") or 72)
CELERY_BEAT_SCHEDULE["purge-exports"] = {
    "task": "core.tasks.purge_exports",
    "schedule": crontab(minute=35),
    "options": {"expires": 60 * 30},
}

# --- 我的待办 (to-do list) ---------------------------------------------------------------------
# A running approval enters its department's and specialist's to-do list APPROVAL_DUE_WORKDAYS
# working days before its promised limit (and stays there once past it) — the same day it is
# announced as approval.due.

# --- Reports (SPEC §6, §10) -------------------------------------------------------------------
# The weekly meeting's day (ISO weekday, 1 = Monday); the agenda for it is produced by the beat
# on REPORT_AGENDA_WEEKDAY (crontab day of week, 0 = Sunday) at REPORT_AGENDA_AT of the week
# before. The briefing follows the filing deadline (day PROGRESS_DEADLINE_DAY + 1 by default);
# the special report and the handbook come a few days later. Times are Asia/Shanghai.
WEEKLY_MEETING_WEEKDAY = int(env("WEEKLY_MEETING_WEEKDAY", "2"))
REPORT_AGENDA_WEEKDAY = env("REPORT_AGENDA_WEEKDAY", "5")
REPORT_BRIEFING_DAY = env("REPORT_BRIEFING_DAY", str(min(PROGRESS_DEADLINE_DAY + 1, 28)))
REPORT_SPECIAL_DAY = env("REPORT_SPECIAL_DAY", "25")
# The regions whose offices get the scheduled documents (the province office by default).
REPORT_SCHEDULE_REGIONS = env_list("REPORT_SCHEDULE_REGIONS", "320000")
# The briefing's long lists (projects not started or at risk, 通报, 约谈, handling units) print
# their first REPORT_LIST_LIMIT rows and the count of the rest, so the document does not grow
# with the province.
REPORT_LIST_LIMIT = int(env("REPORT_LIST_LIMIT", "30"))
# The shipped fonts, converted once to TrueType for WeasyPrint (see reports/pdf.py); in the
# user's cache directory, shared by every checkout and test run on the machine.
REPORT_FONT_DIR = Path(
    env("REPORT_FONT_DIR")
    or Path(env("XDG_CACHE_HOME") or Path.home() / ".cache") / "majorprojects" / "fonts"
)

CELERY_BEAT_SCHEDULE.update(
    {
        "weekly-meeting-agenda": {
            "task": "reports.tasks.scheduled_reports",
            "schedule": crontab(
                *_clock("REPORT_AGENDA_AT", "16:00"), day_of_week=REPORT_AGENDA_WEEKDAY
            ),
            "args": ("weekly_agenda",),
            "options": {"expires": 60 * 60 * 12},
        },
        "monthly-briefing": {
            "task": "reports.tasks.scheduled_reports",
            "schedule": crontab(
                *_clock("REPORT_BRIEFING_AT", "08:30"), day_of_month=REPORT_BRIEFING_DAY
            ),
            "args": ("briefing",),
            "options": {"expires": 60 * 60 * 12},
        },
        "monthly-special-report": {
            "task": "reports.tasks.scheduled_reports",
            "schedule": crontab(
                *_clock("REPORT_SPECIAL_AT", "08:30"), day_of_month=REPORT_SPECIAL_DAY
            ),
            "args": ("monthly_special",),
            "options": {"expires": 60 * 60 * 12},
        },
        "monthly-handbook": {
            "task": "reports.tasks.scheduled_reports",
            "schedule": crontab(
                *_clock("REPORT_SPECIAL_AT", "08:30"), day_of_month=REPORT_SPECIAL_DAY
            ),
            "args": ("handbook",),
            "options": {"expires": 60 * 60 * 12},
        },
    }
)

# --- Webhooks (webhooks/) -------------------------------------------------------------------
# Deliveries are signed JSON posts; a failed one is tried again after 1, 2, 4 … minutes, at most
# WEBHOOK_RETRY_MAX_SECONDS apart, the last time WEBHOOK_RETRY_HOURS after the event. A
# subscription whose every attempt of such a window failed is paused (and its owner told);
# WEBHOOK_PAUSE_AFTER_FAILURES > 0 also pauses it after that many failed attempts in a row.
WEBHOOK_TIMEOUT_SECONDS = int(env("WEBHOOK_TIMEOUT_SECONDS") or 10)
WEBHOOK_RETRY_HOURS = int(env("WEBHOOK_RETRY_HOURS") or 24)
WEBHOOK_RETRY_FIRST_SECONDS = 60
WEBHOOK_RETRY_MAX_SECONDS = 6 * 60 * 60
WEBHOOK_PAUSE_AFTER_FAILURES = int(env("WEBHOOK_PAUSE_AFTER_FAILURES") or 0)
# Finished deliveries and their attempts are kept this many days.
WEBHOOK_KEEP_DAYS = int(env("WEBHOOK_KEEP_DAYS") or 30)
# 即时反馈: status changes of 12345 hotline tickets are posted here, signed with the secret
# (empty URL: no callback).
HOTLINE_CALLBACK_URL = env("HOTLINE_CALLBACK_URL", "") or ""
HOTLINE_CALLBACK_SECRET = env("HOTLINE_CALLBACK_SECRET", "") or ""

CELERY_BEAT_SCHEDULE.update(
    {
        "webhooks-send-due": {
            "task": "webhooks.tasks.send_due",
            "schedule": crontab(),  # every minute
            "options": {"expires": 50},
        },
        "webhooks-purge": {
            "task": "webhooks.tasks.purge",
            "schedule": crontab(hour=4, minute=45),
            "options": {"expires": 60 * 60},
        },
    }
)

# --- Identification and authentication (accounts/throttling.py, passwords.py, sessions.py) ---
# A client's address is the peer of the connection (REMOTE_ADDR), or, behind this many reverse
# proxies that each append to X-Forwarded-For, the entry the outermost of them added. 0 (the
# default) ignores the header, which any client can write; docker-compose.yml sets 1.
TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0") or 0)
# Failed sign-ins (token endpoint, login page, admin login) are counted in windows of this many
# minutes (aligned to the clock), per username and per client address; the failure that reaches
# the limit locks that username (from every address) or that address (for every username) for
# LOGIN_LOCKOUT_MINUTES, unless a security administrator unlocks it. Correct sign-ins and
# refused attempts do not count; 0 turns a limit off (an empty variable keeps the default).
# IPv6 clients are counted per /64.
LOGIN_FAILURE_WINDOW_MINUTES = max(1, int(env("LOGIN_FAILURE_WINDOW_MINUTES") or 15))
LOGIN_FAILURE_LIMIT = int(env("LOGIN_FAILURE_LIMIT") or 5)
LOGIN_FAILURES_PER_ADDRESS = int(env("LOGIN_FAILURES_PER_ADDRESS") or 50)
LOGIN_LOCKOUT_MINUTES = max(1, int(env("LOGIN_LOCKOUT_MINUTES") or 30))
# Passwords: 8 characters or more from at least 3 of upper case, lower case, digits and symbols;
# none of the last PASSWORD_HISTORY_COUNT; changed every PASSWORD_MAX_AGE_DAYS days (0: never);
# a password an administrator sets is changed at the next sign-in. PASSWORD_POLICY_EXEMPT_DEMO
# spares the demo accounts (those whose password is DEMO_PASSWORD) the expiry and the first
# change; production refuses it.
PASSWORD_MIN_LENGTH = 8
PASSWORD_MIN_CLASSES = 3
PASSWORD_HISTORY_COUNT = int(env("PASSWORD_HISTORY_COUNT") or 5)
PASSWORD_MAX_AGE_DAYS = int(env("PASSWORD_MAX_AGE_DAYS") or 90)
PASSWORD_POLICY_EXEMPT_DEMO = env_bool("PASSWORD_POLICY_EXEMPT_DEMO", False)
# Sessions end after SESSION_IDLE_MINUTES without a request and SESSION_ABSOLUTE_HOURS after the
# sign-in, whichever comes first (0 turns a limit off); the cookie itself lasts no longer.
SESSION_IDLE_MINUTES = int(env("SESSION_IDLE_MINUTES") or 30)
SESSION_ABSOLUTE_HOURS = int(env("SESSION_ABSOLUTE_HOURS") or 12)
SESSION_COOKIE_AGE = (SESSION_ABSOLUTE_HOURS or 14 * 24) * 60 * 60

# --- REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # tokens with an expiry, and the password policy for people (accounts/tokens.py)
        "accounts.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    # DRF's parsers, refusing unstorable characters and deep nesting (core/api/parsers.py)
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONParser",
        "core.api.parsers.FormParser",
        "core.api.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "iso-8601",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Client addresses: REMOTE_ADDR, or X-Forwarded-For through this many trusted proxies.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}

#: the largest request body other than file uploads (Django's default, 2.5 MB); larger: 413
DATA_UPLOAD_MAX_MEMORY_SIZE = int(env("DATA_UPLOAD_MAX_MEMORY_SIZE", str(2_621_440)))
#: the deepest nesting an API body may have (the platform's own are at most 4 deep)
API_JSON_MAX_DEPTH = int(env("API_JSON_MAX_DEPTH", "20"))

SPECTACULAR_SETTINGS = {
    "TITLE": "重大项目全链条推进平台 API",
    "DESCRIPTION": _(
        "项目库、关键节点、困难问题、要素审批、资金与简报的接口。"
        "系统调用使用 `Authorization: Token <key>`。"
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # the schema and Swagger UI for those signed in (token or session) only (config/api_docs.py)
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI is served from our own static files: government networks often block CDNs.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "StageEnum": "projects.models.Stage",
        "AssessmentEnum": "projects.models.Assessment",
        "CategoryEnum": "projects.models.Category",
        "LevelEnum": "accounts.models.Region.Level",
        "MilestoneKindEnum": "schedule.models.MilestoneKind",
        "MilestoneStatusEnum": "schedule.models.MilestoneStatus",
        "HandlerEnum": "schedule.models.Handler",
        "UnitKindEnum": "accounts.models.Unit.Kind",
        "IssueStatusEnum": "issues.models.Status",
        "IssueLevelEnum": "issues.models.Level",
        "IssueCategoryEnum": "issues.models.Category",
        "IssueSourceEnum": "issues.models.Source",
        "ApprovalStatusEnum": "approvals.models.ApprovalStatus",
        "ReitsStageEnum": "funding.models.ReitsStage",
        "FinancingMatchStateEnum": "funding.models.MatchState",
        "ProgressStatusEnum": "progress.models.ReportStatus",
        "ProgressImportStatusEnum": "progress.models.ImportStatus",
        "ReportKindEnum": "reports.models.Kind",
        "ReportStatusEnum": "reports.models.Status",
        "VisitorKindEnum": "fieldservice.models.VisitorKind",
        "AttachmentParentTypeEnum": "attachments.kinds.ParentType",
        "AttachmentFileKindEnum": "attachments.models.FileKind",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # [request id]: the id a 500 answer gives its caller (core/logging.py)
    "filters": {"request_id": {"()": "core.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # WeasyPrint reports missing glyphs as warnings, which reports/pdf.py listens for; its
    # page-by-page progress is noise.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Health (health/: /healthz/) ----------------------------------------------------------------
# The beat sends health.tasks.heartbeat every minute and records when (in the database, so any
# web process sees it); the worker that runs it records that too. /healthz/ reports the beat
# (and the worker) down when the last record is older than HEALTH_BEAT_MAX_AGE seconds.
HEALTH_BEAT_MAX_AGE = int(env("HEALTH_BEAT_MAX_AGE") or 180)
CELERY_BEAT_SCHEDULE["health-heartbeat"] = {
    "task": "health.tasks.heartbeat",
    "schedule": crontab(),  # every minute
    "options": {"expires": 50},
}
# A failing component is in the answer and in Django's log of the 503; the library's own
# warning with a traceback for each, at every probe, would only repeat it.
LOGGING["loggers"]["health_check"] = {"level": "ERROR"}

# Demo data refuses to run when DEBUG is off unless forced (see seed_demo).
DEMO_PASSWORD = "Demo#2026"  # noqa: S105 — published demo password, documented in README

# --- notifications (notify/) ------------------------------------------------------------------
#: the platform's address, for links in e-mails and robot messages
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(env("EMAIL_TIMEOUT", "20"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "重大项目推进平台 <noreply@localhost>")
#: Apprise URLs told of every notification (e.g. the province office's group robot)
NOTIFY_BROADCAST_URLS = env_list("NOTIFY_BROADCAST_URLS", "")
#: an Apprise SMS URL with ``{phone}`` where the number goes; empty: no SMS
NOTIFY_SMS_URL = env("NOTIFY_SMS_URL", "")
#: a file the Apprise messages are written to instead of being sent (``make run``)
NOTIFY_OUTBOX = env("NOTIFY_OUTBOX", "")
#: in-platform notifications are kept this long
NOTIFY_KEEP_DAYS = int(env("NOTIFY_KEEP_DAYS", "180"))
#: a failed delivery is retried this often, waiting 1, 2, 4 … minutes (about 4 h in all)
NOTIFY_MAX_ATTEMPTS = int(env("NOTIFY_MAX_ATTEMPTS", "9"))
NOTIFY_DIGEST_AT = env("NOTIFY_DIGEST_AT", "08:00")
CELERY_BEAT_SCHEDULE.update(
    {
        "notify-send-due": {
            "task": "notify.tasks.send_due",
            "schedule": crontab(minute="*/5"),
            "options": {"expires": 240},
        },
        "notify-digest": {
            "task": "notify.tasks.send_digests",
            "schedule": crontab(*_clock("NOTIFY_DIGEST_AT", "08:00")),
            "options": {"expires": 3600},
        },
        "notify-purge": {
            "task": "notify.tasks.purge",
            "schedule": crontab(hour=4, minute=30),
            "options": {"expires": 3600},
        },
    }
)

# Project lights (indicators/lights.py): yellow when the start's float is this many working
# days or fewer, or a deadline this near; red when this year's approved investment is below this
# share of the plan to date.
LIGHT_FLOAT_WORKDAYS = int(env("LIGHT_FLOAT_WORKDAYS", "5"))
LIGHT_DEADLINE_WORKDAYS = int(env("LIGHT_DEADLINE_WORKDAYS", "3"))
LIGHT_INVESTMENT_SHARE = float(env("LIGHT_INVESTMENT_SHARE", "0.8"))
# Cockpit KPI cards: green at or above target, yellow within this many percentage points below
# it, red further below.
COCKPIT_YELLOW_MARGIN = float(env("COCKPIT_YELLOW_MARGIN", "5"))

# --- Content-Security-Policy (django-csp 4.x: one dict of directives) -------------------------
# Every script, style sheet, image, font and fetch comes from the platform itself (the assets are
# local: ECharts and its map outlines, Swagger UI); no inline script and no event-handler
# attribute anywhere, no plugins, no framing by other sites, forms post to the platform only.
# Style *attributes* alone are allowed (style-src-attr): the Gantt bars and chart heights are
# positioned by them, and ECharts writes its tooltips with them; they cannot run code, while
# <style> elements and style sheets stay 'self'. The PDF reader embeds the platform's own file.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-elem": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'self'"],
        "frame-src": ["'self'"],
        "frame-ancestors": ["'self'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
}

# --- Separation of duties (accounts/duties.py) ------------------------------------------------
# Permissions in the admin come from the administrator roles alone (system, security, audit; one
# per person), not from Django's groups or per-user permissions; sign-in is Django's own.
AUTHENTICATION_BACKENDS = ["accounts.duties.RoleBackend"]

# --- Two factors (accounts/twofactor.py, django-otp) -------------------------------------------
# A TOTP authenticator (6 digits, 30 s) is required of the system, security and audit
# administrators and of superusers, and optional for everyone else; 10 one-time recovery codes.
# The issuer is the name the authenticator app shows beside the account.
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "重大项目推进平台")

# --- Security audit (audit/) ------------------------------------------------------------------
# The audit trail is kept this many days (at least 180, enforced); the nightly purge
# (AUDIT_PURGE_AT) and `manage.py purge_audit` remove only older rows, and are recorded.
AUDIT_RETENTION_DAYS = max(180, int(env("AUDIT_RETENTION_DAYS") or 180))
CELERY_BEAT_SCHEDULE["audit-purge"] = {
    "task": "audit.tasks.purge",
    "schedule": crontab(*_clock("AUDIT_PURGE_AT", "04:50")),
    "options": {"expires": 60 * 60},
}

# --- Backups (core/backup.py: manage.py backup / restore) -------------------------------------
# Where `manage.py backup` writes (one folder per backup: db.dump, media.tar, manifest.json) and
# how many of the newest it keeps there (0: all); docker-compose's backup service runs it daily.
BACKUP_DIR = Path(env("BACKUP_DIR") or VAR_DIR / "backups")
BACKUP_KEEP = int(env("BACKUP_KEEP") or 14)
