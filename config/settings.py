"""12-factor settings: defaults here, every value overridable by an environment variable of the same name.

Every value is checked when the settings are loaded (`create_app`, every `flask` command, gunicorn's master):
whole numbers (`INT_KEYS`, with the ranges of `RULES`) and choices (`RULES`), then the combinations
(`combination_problems`, `production_problems`). All problems are collected and raised as one `ConfigError`
with a line per bad value: the setting, the value given (secrets hidden) and what is expected.
To add a setting: its default in `DEFAULTS`, and a rule in `RULES` (or its name in `INT_KEYS`: a whole number
of 0 or more)."""

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

CONFIG_DIR = Path(__file__).resolve().parent
ROOT_DIR = CONFIG_DIR.parent
DEMO_SECRET_KEY = "demo-secret-key-not-for-production"
# The exit status of a process refused its settings: gunicorn's master reads it from a worker as "cannot boot"
# and stops, rather than starting new workers that fail the same way for ever.
REFUSED_EXIT_STATUS = 3


class ConfigError(RuntimeError):
    """The configuration is unsafe or invalid; the app refuses to start."""


class SettingsError(ConfigError):
    """Settings with bad values: one line per problem, in `problems`."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        count = f"{len(problems)} setting{'s are' if len(problems) > 1 else ' is'} wrong"
        super().__init__(
            f"One Route In cannot start: {count}\n" + "\n".join(f"  {line}" for line in problems)
        )


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
    # The triage rules' statistical second opinion (config/triage/second_opinion/, triage/second_opinion.py):
    # "1" it may raise a decision to the safety net or flag safeguarding for a person to check (never lower
    # one), "0" the rules alone.
    "TRIAGE_SECOND_OPINION": "1",
    "WARM_DIRECTORY": "0",
    "WORKLOAD_REFRESH_SECONDS": 5,
    "DIRECTORY_CHANGES_KEEP_HOURS": 24,
    "IDEMPOTENCY_KEEP_HOURS": 24,
    "TWILIO_ACCOUNT_SID": "",
    "TWILIO_AUTH_TOKEN": "",
    "TWILIO_FROM": "",
    "TWILIO_MESSAGING_SERVICE_SID": "",
    "TWILIO_BASE_URL": "",
    # Who sends texts (notify/factory.py): twilio, notify (GOV.UK Notify) or log (kept in the outbox and
    # logged, never in production); empty: twilio when any TWILIO_* setting is given, otherwise log.
    "SMS_PROVIDER": "",
    # GOV.UK Notify: the API key (`name-<service id>-<secret>`), the id of a text template whose whole body is
    # ((body)), optionally the id of a text sender, the bearer token Notify's callbacks carry (delivery
    # receipts and received texts), and, for the fake Notify only, its base URL.
    "NOTIFY_API_KEY": "",
    "NOTIFY_SMS_TEMPLATE_ID": "",
    "NOTIFY_SMS_SENDER_ID": "",
    "NOTIFY_CALLBACK_TOKEN": "",
    "NOTIFY_BASE_URL": "",
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
    # The public Open Referral UK feed (/oruk/...), per client address: no token, so tighter than the API
    "RATELIMIT_ORUK": "120 per minute",
    "RATELIMIT_KEY_PREFIX": "oneroute",
    # While that store cannot be reached: "memory" keeps limiting (and the sign-in delays) in each worker's
    # own memory until it is back; "open" stops limiting. Both log it; neither answers 500.
    "RATELIMIT_FALLBACK": "memory",
    # The public "Ask for help" page (web/requests.py): requests saved per address and from everyone together,
    # forms sent per address (with mistakes, or filled by a program), and the as-you-type check for
    # emergency words per address.
    "RATELIMIT_SELF_REFERRAL": "5 per hour",
    "RATELIMIT_SELF_REFERRAL_ATTEMPTS": "30 per hour",
    "RATELIMIT_SELF_REFERRAL_GLOBAL": "300 per hour",
    "RATELIMIT_URGENT_CHECK": "60 per minute",
    # A mutual-aid lead's REFER text: how long the one-time link to the form lasts, and the status link after.
    "REFER_LINK_HOURS": 24,
    "REFER_STATUS_DAYS": 60,
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
    # Operations: log lines as JSON (or "text" for a terminal) at LOG_LEVEL; /metrics answers only
    # "Authorization: Bearer METRICS_TOKEN" and is off (404) while it is empty.
    "LOG_FORMAT": "json",
    "LOG_LEVEL": "INFO",
    "METRICS_TOKEN": "",
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
    "REFER_LINK_HOURS",
    "REFER_STATUS_DAYS",
    "PARTNER_WEBHOOK_MAX_ATTEMPTS",
    "PARTNER_WEBHOOK_TIMEOUT_SECONDS",
    "EMAIL_WEBHOOK_MAX_AGE_SECONDS",
    "IMAP_PORT",
    "OIDC_RECHECK_SECONDS",
}
SMS_INT_KEYS = {key for key, value in DEFAULTS.items() if key.startswith("SMS_") and isinstance(value, int)}
INT_KEYS |= SMS_INT_KEYS


@dataclass(frozen=True)
class Whole:
    """A whole number from `low` to `high` (inclusive; None: no limit)."""

    low: int | None = 0
    high: int | None = None

    @property
    def expected(self) -> str:
        if self.low is not None and self.high is not None:
            return f"a whole number from {self.low} to {self.high}"
        if self.low is not None:
            return f"a whole number of {self.low} or more"
        return "a whole number"

    def read(self, raw: str) -> int:
        value = int(raw.strip()) if re.fullmatch(r"\s*-?\d+\s*", raw) else None
        if value is None or (self.low is not None and value < self.low):
            raise ValueError(self.expected)
        if self.high is not None and value > self.high:
            raise ValueError(self.expected)
        return value


@dataclass(frozen=True)
class OneOf:
    """One of a few words; `meaning_of_empty` says what leaving it empty does (None: it may not be empty)."""

    choices: tuple[str, ...]
    meaning_of_empty: str | None = None

    @property
    def expected(self) -> str:
        empty = f" (or empty: {self.meaning_of_empty})" if self.meaning_of_empty is not None else ""
        return f"one of {', '.join(self.choices)}{empty}"

    def read(self, raw: str) -> str:
        value = raw.strip()
        if value in self.choices or (value == "" and self.meaning_of_empty is not None):
            return value
        raise ValueError(self.expected)


SMS_PROVIDERS = ("twilio", "notify", "log")
RULES: dict[str, Whole | OneOf] = {
    "APP_ENV": OneOf(("development", "production")),
    "WARM_DIRECTORY": OneOf(("0", "1")),
    "TRIAGE_SECOND_OPINION": OneOf(("0", "1")),
    "SMS_PROVIDER": OneOf(SMS_PROVIDERS, "twilio when any TWILIO_* setting is given, otherwise log"),
    "RATELIMIT_FALLBACK": OneOf(("memory", "open")),
    "SMS_MAX_ATTEMPTS": Whole(1, 10_000),
    "SMS_MAX_AGE_SECONDS": Whole(60),
    "SMS_LEASE_SECONDS": Whole(1),
    "SMS_BACKOFF_BASE_SECONDS": Whole(1),
    "SMS_BACKOFF_CAP_SECONDS": Whole(1),
    "SMS_BATCH_SIZE": Whole(1, 1000),
    "SMS_SEND_TIMEOUT_SECONDS": Whole(1, 300),
    "SMS_POLL_SECONDS": Whole(1),
    "MAX_CONTENT_LENGTH": Whole(1024),
    "WORKLOAD_REFRESH_SECONDS": Whole(1),
    "DIRECTORY_CHANGES_KEEP_HOURS": Whole(1),
    "IDEMPOTENCY_KEEP_HOURS": Whole(1),
    "AUDIT_CHECKPOINT_INTERVAL_SECONDS": Whole(1),
    "AUTH_DELAY_BASE_SECONDS": Whole(1),
    "AUTH_DELAY_MAX_SECONDS": Whole(1),
    "AUTH_FORGET_FAILURES_SECONDS": Whole(1),
    "REFER_LINK_HOURS": Whole(1),
    "REFER_STATUS_DAYS": Whole(1),
    "LOG_FORMAT": OneOf(("json", "text")),
    "LOG_LEVEL": OneOf(("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")),
    "PARTNER_WEBHOOK_MAX_ATTEMPTS": Whole(1, 100),
    "PARTNER_WEBHOOK_TIMEOUT_SECONDS": Whole(1, 300),
    "EMAIL_WEBHOOK_MAX_AGE_SECONDS": Whole(1),
    "IMAP_PORT": Whole(1, 65535),
    "IMAP_SECURITY": OneOf(("ssl", "starttls", "none")),
    "OIDC_RECHECK_SECONDS": Whole(60),
}
# Shown as "(hidden)" in a message: they are secrets, or may hold one (a password in a URL).
SECRET_KEYS = frozenset(
    {
        "SECRET_KEY",
        "DATABASE_URL",
        "RATELIMIT_STORAGE_URI",
        "TWILIO_AUTH_TOKEN",
        "NOTIFY_API_KEY",
        "NOTIFY_CALLBACK_TOKEN",
        "METRICS_TOKEN",
        "EMAIL_WEBHOOK_SECRET",
        "IMAP_PASSWORD",
        "OIDC_CLIENT_SECRET",
    }
)
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
NOTIFY_API_KEY = re.compile(rf"^.+-({UUID.pattern[1:-1]})-({UUID.pattern[1:-1]})$", re.IGNORECASE)
MIN_CALLBACK_TOKEN_LENGTH = 10  # GOV.UK Notify's own minimum for a callback's bearer token


def rule_for(key: str) -> Whole | OneOf | None:
    return RULES.get(key) or (Whole() if key in INT_KEYS else None)


def shown(key: str, value: object) -> str:
    if key in SECRET_KEYS:
        return "(hidden)" if value else "(empty)"
    return repr(value)


def problem(key: str, value: object, expected: str) -> str:
    return f"{key}={shown(key, value)}: expected {expected}"


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, object] | None = None
) -> dict:
    """The settings: defaults, then the environment, then `overrides` (from code: `create_app(config)`).
    Raises `SettingsError` naming every bad value. Text is read by the rules; numbers from code are taken
    as given."""
    environ = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    settings.update({key: environ[key] for key in DEFAULTS if key in environ})
    settings.update(overrides or {})
    problems = []
    for key, value in settings.items():
        rule = rule_for(key)
        if rule is None or not isinstance(value, str):
            continue
        try:
            settings[key] = rule.read(value)
        except ValueError as error:
            problems.append(problem(key, value, str(error)))
    if problems:
        raise SettingsError(problems)
    settings["DATABASE_URL"] = normalise_database_url(str(settings["DATABASE_URL"]))
    problems = combination_problems(settings)
    if settings["APP_ENV"] == "production":
        problems += production_problems(settings)
    if problems:
        raise SettingsError(problems)
    return settings


def sms_provider(settings: Mapping[str, object]) -> str:
    """Who sends texts: SMS_PROVIDER; when it is empty twilio if any TWILIO_* setting is given, else log."""
    chosen = str(settings.get("SMS_PROVIDER") or "")
    if chosen:
        return chosen
    twilio = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM", "TWILIO_MESSAGING_SERVICE_SID")
    return "twilio" if any(settings.get(key) for key in twilio) else "log"


def combination_problems(settings: Mapping[str, object]) -> list[str]:
    problems = []
    if settings["SMS_PROVIDER"] == "notify":
        problems += notify_problems(settings)
    if float(settings["SMS_BACKOFF_CAP_SECONDS"]) < float(settings["SMS_BACKOFF_BASE_SECONDS"]):  # type: ignore[arg-type]
        problems.append(
            problem(
                "SMS_BACKOFF_CAP_SECONDS",
                settings["SMS_BACKOFF_CAP_SECONDS"],
                f"at least SMS_BACKOFF_BASE_SECONDS ({settings['SMS_BACKOFF_BASE_SECONDS']})",
            )
        )
    return problems


def notify_problems(settings: Mapping[str, object]) -> list[str]:
    """SMS_PROVIDER=notify needs a well-formed API key, template id and callback token."""
    problems = []
    key, template = str(settings["NOTIFY_API_KEY"]), str(settings["NOTIFY_SMS_TEMPLATE_ID"])
    sender, token = str(settings["NOTIFY_SMS_SENDER_ID"]), str(settings["NOTIFY_CALLBACK_TOKEN"])
    if not NOTIFY_API_KEY.match(key):
        problems.append(
            problem("NOTIFY_API_KEY", key, "a GOV.UK Notify API key: key name-service id-secret (two UUIDs)")
        )
    if not UUID.match(template):
        problems.append(
            problem(
                "NOTIFY_SMS_TEMPLATE_ID",
                template,
                "the id (a UUID) of a text template whose body is ((body))",
            )
        )
    if sender and not UUID.match(sender):
        problems.append(
            problem("NOTIFY_SMS_SENDER_ID", sender, "the id (a UUID) of a text message sender, or empty")
        )
    if len(token) < MIN_CALLBACK_TOKEN_LENGTH:
        problems.append(
            problem(
                "NOTIFY_CALLBACK_TOKEN",
                token,
                f"the bearer token (at least {MIN_CALLBACK_TOKEN_LENGTH} characters) you gave Notify for its"
                " delivery-receipt and received-text callbacks",
            )
        )
    return problems


def normalise_database_url(url: str) -> str:
    """Accept the common `postgres://` and `postgresql://` spellings and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def production_problems(settings: Mapping[str, object]) -> list[str]:
    """What APP_ENV=production refuses: demo secrets, SQLite, a per-process limiter store, unsent texts."""
    problems = []
    if settings["SECRET_KEY"] in ("", DEMO_SECRET_KEY) or len(str(settings["SECRET_KEY"])) < 32:
        problems.append(
            "SECRET_KEY must be set to a random value of at least 32 characters (APP_ENV=production)"
        )
    if settings["AUDIT_CHECKPOINT_DESTINATION"] and not settings["AUDIT_CHECKPOINT_KEY_FILE"]:
        problems.append("AUDIT_CHECKPOINT_DESTINATION needs AUDIT_CHECKPOINT_KEY_FILE (flask audit keygen)")
    if str(settings["DATABASE_URL"]).startswith("sqlite"):
        problems.append("DATABASE_URL must point at PostgreSQL, not SQLite (APP_ENV=production)")
    if str(settings["RATELIMIT_STORAGE_URI"]).startswith("memory://"):
        problems.append(
            "RATELIMIT_STORAGE_URI must be a store every worker shares (redis://...), not memory://,"
            " or each worker counts failed sign-ins on its own (APP_ENV=production)"
        )
    if settings["OIDC_ISSUER"] and not str(settings["OIDC_ISSUER"]).startswith("https://"):
        problems.append(
            problem("OIDC_ISSUER", settings["OIDC_ISSUER"], "an https:// URL (APP_ENV=production)")
        )
    if sms_provider(settings) == "log":
        problems.append(
            problem(
                "SMS_PROVIDER",
                settings["SMS_PROVIDER"],
                "twilio or notify with their settings (APP_ENV=production): the log sender marks texts sent"
                " that nobody receives",
            )
        )
    return problems


def refuse_to_start(error: ConfigError) -> NoReturn:
    """Say why on stderr, with no traceback, and exit non-zero (`wsgi.py`, `config/gunicorn.py`)."""
    print(error, file=sys.stderr, flush=True)
    sys.exit(REFUSED_EXIT_STATUS)
