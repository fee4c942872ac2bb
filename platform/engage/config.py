"""Settings, read from environment variables only.

Every variable has a default that runs the embedded set-up (SQLite under ``instance/``);
production sets ``ENGAGE_ENV=production``, which refuses to start without a real secret.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from engage.logs import log_format, log_level

PROJECT_ROOT = Path(__file__).resolve().parents[2]
INSTANCE_PATH = Path(os.environ.get("ENGAGE_INSTANCE_PATH", PROJECT_ROOT / "instance"))


class ConfigError(RuntimeError):
    """The environment does not describe a runnable Engage."""


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_url() -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_PATH / 'engage.db'}"
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants a driver name.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _secret_key(env: str) -> str:
    key = os.environ.get("ENGAGE_SECRET_KEY")
    if key:
        return key
    if env == "production":
        raise ConfigError("ENGAGE_SECRET_KEY must be set when ENGAGE_ENV=production")
    # Development and demo: a random key kept in instance/, so sessions survive a restart
    # and nothing secret is ever committed.
    path = INSTANCE_PATH / "secret_key"
    if path.exists():
        return path.read_text().strip()
    INSTANCE_PATH.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _encryption_keys(env: str) -> str | None:
    keys = os.environ.get("ENGAGE_ENCRYPTION_KEY")
    if keys or env == "production":
        return keys  # production without a key: refused when a secret must be stored
    path = INSTANCE_PATH / "encryption_key"
    if path.exists():
        return path.read_text().strip()
    from cryptography.fernet import Fernet

    INSTANCE_PATH.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    path.write_text(key)
    path.chmod(0o600)
    return key
def _clock_shift(env: str) -> float:
    """ENGAGE_CLOCK_SHIFT_SECONDS (engage.clock): a platform running as if at another time,
    for demonstrations and the idle benchmark. Production runs on the real clock: a shifted
    one would open reviews early (or late) and date every record falsely."""
    raw = (os.environ.get("ENGAGE_CLOCK_SHIFT_SECONDS") or "").strip()
    try:
        shift = float(raw or 0)
    except ValueError as exc:
        raise ConfigError(f"ENGAGE_CLOCK_SHIFT_SECONDS must be a number of seconds, not {raw!r}") from exc
    if shift and env == "production":
        raise ConfigError("ENGAGE_CLOCK_SHIFT_SECONDS is for demonstrations and benchmarks only: "
                          "unset it when ENGAGE_ENV=production")
    return shift


def _days(name: str, default: str) -> tuple[int, ...]:
    raw = os.environ.get(name, default)
    try:
        days = tuple(sorted({int(part) for part in raw.split(",") if part.strip()}, reverse=True))
    except ValueError as exc:
        raise ConfigError(f"{name} must be comma-separated whole days, e.g. 14,3") from exc
    if any(d <= 0 for d in days):
        raise ConfigError(f"{name} must list positive numbers of days")
    return days


def _limit(name: str, default: str) -> str:
    """A Flask-Limiter rate such as ``20/minute;200/hour``, checked when the app starts."""
    from limits import parse_many

    value = os.environ.get(name, default).strip()
    try:
        parse_many(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be rates such as 20/minute;200/hour, not {value!r}") from exc
    return value


def _minutes(name: str, default: str) -> int:
    try:
        minutes = int(os.environ.get(name, default))
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number of minutes") from exc
    if minutes <= 0:
        raise ConfigError(f"{name} must be a positive number of minutes")
    return minutes


def _positive_float(name: str, default: str) -> float:
    raw = os.environ.get(name, default).strip()
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number of seconds, e.g. 1 or 0.5, not {raw!r}") from exc
    if not 0 < value <= 3600:
        raise ConfigError(f"{name} must be more than 0 and at most 3600 seconds")
    return value


def _rate_limit_storage() -> dict:
    """Flask-Limiter's storage: Redis when ENGAGE_REDIS_URL is set, so every gunicorn
    worker and host counts together; otherwise the process's memory (one web process)."""
    url = os.environ.get("ENGAGE_REDIS_URL") or None
    settings = {
        "ENGAGE_REDIS_URL": url,
        "RATELIMIT_STORAGE_URI": url or "memory://",
        "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": "engage-limits"} if url else {},
        "RATELIMIT_HEADERS_ENABLED": True,  # Retry-After on every 429
        # Redis down: count in memory per process rather than refuse every sign-in.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": bool(url),
        "RATELIMIT_STRATEGY": "fixed-window",
    }
    return settings


def _megabytes(name: str, default: str) -> int:
    raw = os.environ.get(name, default)
    try:
        megabytes = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number of megabytes, e.g. 20") from exc
    if megabytes <= 0:
        raise ConfigError(f"{name} must be a positive number of megabytes")
    return megabytes * 1024 * 1024


def _slugs(name: str) -> tuple[str, ...]:
    return tuple(s.strip().lower() for s in os.environ.get(name, "").split(",") if s.strip())


def _list(value: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in value.split(",") if s.strip())


def _sso_allowed_hosts() -> tuple[str, ...]:
    from engage.auth.egress import parse_allowed

    entries = _list(os.environ.get("ENGAGE_SSO_ALLOWED_HOSTS", ""))
    try:
        parse_allowed(entries)
    except ValueError as exc:
        raise ConfigError(f"ENGAGE_SSO_ALLOWED_HOSTS: {exc}") from exc
    return entries


def from_environment() -> dict:
    env = os.environ.get("ENGAGE_ENV", "development")
    return {
        "ENGAGE_ENV": env,
        "SECRET_KEY": _secret_key(env),
        "ENGAGE_CLOCK_SHIFT_SECONDS": _clock_shift(env),
        "SQLALCHEMY_DATABASE_URI": database_url(),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "PREFECT_API_URL": os.environ.get("PREFECT_API_URL"),
        "SESSION_COOKIE_SECURE": _bool("ENGAGE_SECURE_COOKIES", env == "production"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # A session ends this long after sign-in, however busy (engage.auth.sessions), and
        # after this long without a request.
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=_minutes("ENGAGE_SESSION_MINUTES", "480")),
        "ENGAGE_SESSION_IDLE": timedelta(minutes=_minutes("ENGAGE_SESSION_IDLE_MINUTES", "60")),
        "BABEL_DEFAULT_LOCALE": os.environ.get("ENGAGE_DEFAULT_LOCALE", "en"),
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("ENGAGE_TIMEZONE", "Europe/Amsterdam"),
        "ENGAGE_LANGUAGES": ("en", "nl"),
        "ENGAGE_PAGE_SIZE": int(os.environ.get("ENGAGE_PAGE_SIZE", "25")),
        # The most audit entries one CSV export holds; more asks for narrower filters.
        "ENGAGE_AUDIT_EXPORT_MAX": int(os.environ.get("ENGAGE_AUDIT_EXPORT_MAX", "50000")),
        # How long a web process keeps the home page's platform totals (engage.home.service).
        "ENGAGE_TOTALS_CACHE_SECONDS": int(os.environ.get("ENGAGE_TOTALS_CACHE_SECONDS", "300")),
        # Rendered fragments of the dashboard and the engagement page, kept per process
        # until a write changes them (engage.render_cache); the memory they may take.
        "ENGAGE_RENDER_CACHE": _bool("ENGAGE_RENDER_CACHE", True),
        "ENGAGE_RENDER_CACHE_MB": float(os.environ.get("ENGAGE_RENDER_CACHE_MB", "64")),
        # Fernet key(s), comma-separated: the first encrypts, all decrypt (key rotation).
        "ENGAGE_ENCRYPTION_KEY": _encryption_keys(env),
        # Seconds the app waits for an identity provider (discovery, token, keys).
        "ENGAGE_OIDC_TIMEOUT": float(os.environ.get("ENGAGE_OIDC_TIMEOUT", "10")),
        # Identity providers on the operator's own network (host names or CIDRs) that the
        # server may contact; every other private, loopback (in production) or metadata
        # address is refused (engage.auth.egress).
        "ENGAGE_SSO_ALLOWED_HOSTS": _sso_allowed_hosts(),
        # Host names this server answers to (Werkzeug's host check); in production the
        # host of ENGAGE_BASE_URL when unset (engage.security.trusted_hosts).
        "ENGAGE_TRUSTED_HOSTS": _list(os.environ.get("ENGAGE_TRUSTED_HOSTS", "")),
        # The escalation engine (engage.escalations.service, workflows/).
        "ENGAGE_BASE_URL": os.environ.get("ENGAGE_BASE_URL", "http://127.0.0.1:5000"),
        # Whether the base URL was configured: sign-in addresses are built from it then (and
        # always in production); a development server without it uses the request's host.
        "ENGAGE_BASE_URL_SET": bool(os.environ.get("ENGAGE_BASE_URL")),
        # The sweep runs when work can fall due (service.next_sweep_at), and at least this
        # often; work it leaves due (a failed decision) is tried again after the retry.
        "ENGAGE_SWEEP_INTERVAL_SECONDS": int(os.environ.get("ENGAGE_SWEEP_INTERVAL_SECONDS", "3600")),
        "ENGAGE_SWEEP_RETRY_SECONDS": int(os.environ.get("ENGAGE_SWEEP_RETRY_SECONDS", "60")),
        "ENGAGE_REMINDER_DAYS": _days("ENGAGE_REMINDER_DAYS", "14,3"),
        "ENGAGE_APPLY_GRACE_SECONDS": int(os.environ.get("ENGAGE_APPLY_GRACE_SECONDS", "120")),
        # How often a worker looks in the database for decisions handed to Prefect, to carry
        # them out in its own process (workflows.warm); one indexed read per look.
        "ENGAGE_WARM_POLL_SECONDS": _positive_float("ENGAGE_WARM_POLL_SECONDS", "1"),
        "ENGAGE_APPLY_MAX_ATTEMPTS": int(os.environ.get("ENGAGE_APPLY_MAX_ATTEMPTS", "3")),
        "ENGAGE_APPLY_STALE_SECONDS": int(os.environ.get("ENGAGE_APPLY_STALE_SECONDS", "900")),
        "ENGAGE_PREFECT_RETRIES": int(os.environ.get("ENGAGE_PREFECT_RETRIES", "1")),
        "ENGAGE_SMTP_HOST": os.environ.get("ENGAGE_SMTP_HOST") or None,
        "ENGAGE_SMTP_PORT": int(os.environ.get("ENGAGE_SMTP_PORT", "25")),
        "ENGAGE_SMTP_FROM": os.environ.get("ENGAGE_SMTP_FROM", "engage@localhost"),
        "ENGAGE_SMTP_USER": os.environ.get("ENGAGE_SMTP_USER") or None,
        "ENGAGE_SMTP_PASSWORD": os.environ.get("ENGAGE_SMTP_PASSWORD") or None,
        "ENGAGE_SMTP_STARTTLS": _bool("ENGAGE_SMTP_STARTTLS", False),
        # The largest request body (an upload) accepted: larger ones get 413 before anything
        # reads them (Flask/Werkzeug's MAX_CONTENT_LENGTH, engage.errors).
        "MAX_CONTENT_LENGTH": _megabytes("ENGAGE_MAX_UPLOAD_MB", "20"),
        # Attachments (engage.attachments): where the folder storage keeps them (content-
        # addressed, by SHA-256), and the largest file accepted (at most the upload limit).
        "ENGAGE_ATTACHMENTS_DIR": os.environ.get("ENGAGE_ATTACHMENTS_DIR")
        or str(INSTANCE_PATH / "attachments"),
        "ENGAGE_ATTACHMENT_MAX_BYTES": _megabytes("ENGAGE_ATTACHMENT_MAX_MB", "10"),
        # Uploads larger than this import in the background (a workflow run, with a progress
        # bar); smaller ones within the request (engage.companies.jobs).
        "ENGAGE_IMPORT_BACKGROUND_KB": int(os.environ.get("ENGAGE_IMPORT_BACKGROUND_KB", "1024")),
        # Organisations whose admins keep the shared company register (companies,
        # exclusions, ratings imports): comma-separated slugs.
        "ENGAGE_REGISTER_ORGS": _slugs("ENGAGE_REGISTER_ORGS"),
        # Structured logs (engage.logs): json, text, or None for Python's defaults.
        "ENGAGE_LOG_FORMAT": log_format(env),
        "ENGAGE_LOG_LEVEL": log_level(),
        # Rate limits per client address (engage.ratelimits), Flask-Limiter's notation.
        "ENGAGE_RATE_LIMIT_SIGN_IN": _limit("ENGAGE_RATE_LIMIT_SIGN_IN", "30/minute;300/hour"),
        "ENGAGE_RATE_LIMIT_CALLBACK": _limit("ENGAGE_RATE_LIMIT_CALLBACK", "30/minute;300/hour"),
        "ENGAGE_RATE_LIMIT_TOKEN_FAILURES": _limit("ENGAGE_RATE_LIMIT_TOKEN_FAILURES",
                                                   "10/minute;100/hour"),
        # Per signed-in user: imports and report downloads are the expensive pages.
        "ENGAGE_RATE_LIMIT_IMPORTS": _limit("ENGAGE_RATE_LIMIT_IMPORTS", "10/minute;100/hour"),
        "ENGAGE_RATE_LIMIT_REPORTS": _limit("ENGAGE_RATE_LIMIT_REPORTS", "30/minute;300/hour"),
        # Whose X-Forwarded-For names the client (the reverse proxy; gunicorn reads it too).
        "ENGAGE_FORWARDED_ALLOW_IPS": os.environ.get("ENGAGE_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        **_rate_limit_storage(),
    }
