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
    # Single sign-on with the council's OpenID Connect provider (accounts/oidc.py; README, Production): off
    # while OIDC_ISSUER is empty. OIDC_ALLOWED_DOMAINS: the email domains that may sign in (comma-separated;
    # empty: any the provider vouches for). OIDC_GROUP_ROLES: "group=role[:org id]" pairs separated by
    # commas or semicolons, read from the OIDC_GROUPS_CLAIM of the ID token. A person's account is checked
    # at the provider again every OIDC_RECHECK_SECONDS (its refresh token); refused, the session ends.
    "OIDC_ISSUER": "",
    "OIDC_CLIENT_ID": "",
    "OIDC_CLIENT_SECRET": "",
    "OIDC_SCOPES": "openid email profile offline_access",
    # More parameters for the provider's sign-in page, as a query string (Google:
    # access_type=offline&prompt=consent, for the refresh token that lets the account be checked again).
    "OIDC_AUTH_PARAMS": "",
    "OIDC_ALLOWED_DOMAINS": "",
    "OIDC_GROUPS_CLAIM": "groups",
    "OIDC_GROUP_ROLES": "",
    "OIDC_RECHECK_SECONDS": 900,
    "OIDC_BUTTON_LABEL": "Sign in with your council account",
    # A second factor (TOTP, accounts/totp.py) for people who sign in with a password: these roles must
    # enrol one (comma-separated; empty: nobody must). Single sign-on leaves it to the provider's own rules.
    "TOTP_REQUIRED_ROLES": "admin,safety_net_officer",
    "TOTP_ISSUER_NAME": "One Route In",
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
    "OIDC_RECHECK_SECONDS",
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
    if settings["OIDC_ISSUER"] and not str(settings["OIDC_ISSUER"]).startswith("https://"):
        problems.append("OIDC_ISSUER must be an https:// URL")
    if problems:
        raise ConfigError("refusing to start with APP_ENV=production: " + "; ".join(problems))
