"""12-factor settings: defaults here, every value overridable by an environment variable of the same name."""

import os
from collections.abc import Mapping
from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent
ROOT_DIR = CONFIG_DIR.parent
DEMO_SECRET_KEY = "demo-secret-key-not-for-production"


class ConfigError(RuntimeError):
    """The configuration is unsafe or invalid; the app refuses to start."""


DEFAULTS: dict[str, object] = {
    "APP_ENV": "development",
    "DATABASE_URL": f"sqlite:///{ROOT_DIR / 'instance' / 'oneroutein.db'}",
    "SECRET_KEY": DEMO_SECRET_KEY,
    # Signed audit checkpoints (docs/audit.md): the Ed25519 private key (PEM, `flask audit keygen`), where the
    # worker writes a checkpoint (a JSON Lines file or an http(s) URL; none: off) and how often.
    "AUDIT_CHECKPOINT_KEY_FILE": "",
    "AUDIT_CHECKPOINT_DESTINATION": "",
    "AUDIT_CHECKPOINT_INTERVAL_SECONDS": 3600,
    "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
    "GEOCODER": "offline",
    "AREAS_FILE": str(CONFIG_DIR / "areas.yaml"),
    "WARM_DIRECTORY": "0",
    "WORKLOAD_REFRESH_SECONDS": 5,
    "DIRECTORY_CHANGES_KEEP_HOURS": 24,
    "IDEMPOTENCY_KEEP_HOURS": 24,
    "TWILIO_ACCOUNT_SID": "",
    "TWILIO_AUTH_TOKEN": "",
    "TWILIO_FROM": "",
    "TWILIO_MESSAGING_SERVICE_SID": "",
    "TWILIO_BASE_URL": "",
    # Retries ride out an outage of hours: backoff doubling from SMS_BACKOFF_BASE_SECONDS to the cap, at most
    # SMS_MAX_ATTEMPTS tries (these defaults last at least 7.6 h); an offer text stops when its offer expires
    # or closes, any other text after SMS_MAX_AGE_SECONDS (then it becomes a phone task).
    "SMS_MAX_ATTEMPTS": 100,
    "SMS_MAX_AGE_SECONDS": 6 * 3600,
    "SMS_LEASE_SECONDS": 60,
    "SMS_BACKOFF_BASE_SECONDS": 2,
    "SMS_BACKOFF_CAP_SECONDS": 600,
    "SMS_BATCH_SIZE": 50,
    "SMS_SEND_TIMEOUT_SECONDS": 10,
    "SMS_POLL_SECONDS": 2,
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_API": "600 per minute",
    "RATELIMIT_INTAKE": "60 per minute",
    "RATELIMIT_KEY_PREFIX": "oneroute",
    # Failed sign-ins and bad API tokens: temporary, growing delays in that store (accounts/throttle.py)
    "AUTH_FREE_FAILURES_PER_ACCOUNT": 5,
    "AUTH_FREE_FAILURES_PER_ADDRESS": 20,
    "AUTH_DELAY_BASE_SECONDS": 1,
    "AUTH_DELAY_MAX_SECONDS": 900,
    "AUTH_FORGET_FAILURES_SECONDS": 3600,
    # The proxies in front of the app whose X-Forwarded-For is believed: a number of hops, or their
    # addresses and networks separated by commas; empty or 0: none (the socket's peer is the client).
    "TRUSTED_PROXIES": "",
    "REPORT_SUPPRESSION_THRESHOLD": 5,
    # No offers or reminders by text in these hours of the council's time zone (e.g. 21:00-08:00): they wait
    # in the outbox (an offer's time to answer starts when its text may go); emergencies go at once. Empty:
    # texts go at any hour.
    "QUIET_HOURS": "",
    "COUNCIL_TIMEZONE": "Europe/London",
    # Partners' webhooks (status changes of their own referrals): tries per delivery before it is dead, and
    # how long one try waits for the partner's server.
    "PARTNER_WEBHOOK_MAX_ATTEMPTS": 12,
    "PARTNER_WEBHOOK_TIMEOUT_SECONDS": 10,
    # Email to the helpline: the shared secret a mail provider signs its webhook with (empty: the webhook is
    # off), how old a signed post may be, and the IMAP mailbox `flask email fetch` reads (ssl, starttls or
    # none for a local test server only).
    "EMAIL_WEBHOOK_SECRET": "",
    "EMAIL_WEBHOOK_MAX_AGE_SECONDS": 300,
    "IMAP_HOST": "",
    "IMAP_PORT": 993,
    "IMAP_SECURITY": "ssl",
    "IMAP_USER": "",
    "IMAP_PASSWORD": "",
    "IMAP_MAILBOX": "INBOX",
}

INT_KEYS = {
    "MAX_CONTENT_LENGTH",
    "REPORT_SUPPRESSION_THRESHOLD",
    "WORKLOAD_REFRESH_SECONDS",
    "DIRECTORY_CHANGES_KEEP_HOURS",
    "IDEMPOTENCY_KEEP_HOURS",
    "AUDIT_CHECKPOINT_INTERVAL_SECONDS",
    "AUTH_FREE_FAILURES_PER_ACCOUNT",
    "AUTH_FREE_FAILURES_PER_ADDRESS",
    "AUTH_DELAY_BASE_SECONDS",
    "AUTH_DELAY_MAX_SECONDS",
    "AUTH_FORGET_FAILURES_SECONDS",
    "PARTNER_WEBHOOK_MAX_ATTEMPTS",
    "PARTNER_WEBHOOK_TIMEOUT_SECONDS",
    "EMAIL_WEBHOOK_MAX_AGE_SECONDS",
    "IMAP_PORT",
}
SMS_INT_KEYS = {key for key in DEFAULTS if key.startswith("SMS_")}
INT_KEYS |= SMS_INT_KEYS


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, object] | None = None
) -> dict:
    environ = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    for key, default in DEFAULTS.items():
        if key in environ:
            settings[key] = int(environ[key]) if key in INT_KEYS else environ[key]
        else:
            settings[key] = default
    settings.update(overrides or {})
    settings["DATABASE_URL"] = normalise_database_url(str(settings["DATABASE_URL"]))
    if settings["APP_ENV"] == "production":
        check_production(settings)
    return settings


def normalise_database_url(url: str) -> str:
    """Accept the common `postgres://` and `postgresql://` spellings and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def check_production(settings: Mapping[str, object]) -> None:
    problems = []
    if settings["SECRET_KEY"] in ("", DEMO_SECRET_KEY) or len(str(settings["SECRET_KEY"])) < 32:
        problems.append("SECRET_KEY must be set to a random value of at least 32 characters")
    if settings["AUDIT_CHECKPOINT_DESTINATION"] and not settings["AUDIT_CHECKPOINT_KEY_FILE"]:
        problems.append("AUDIT_CHECKPOINT_DESTINATION needs AUDIT_CHECKPOINT_KEY_FILE (flask audit keygen)")
    if str(settings["DATABASE_URL"]).startswith("sqlite"):
        problems.append("DATABASE_URL must point at PostgreSQL, not SQLite")
    if str(settings["RATELIMIT_STORAGE_URI"]).startswith("memory://"):
        problems.append(
            "RATELIMIT_STORAGE_URI must be a store every worker shares (redis://...), not memory://,"
            " or each worker counts failed sign-ins on its own"
        )
    if problems:
        raise ConfigError("refusing to start with APP_ENV=production: " + "; ".join(problems))
