"""Settings are checked when they are loaded: every bad value at once, one line each naming the setting, the
value given (secrets hidden) and what is expected; production refuses what would fail quietly."""

import pytest

from config.settings import DEFAULTS, INT_KEYS, RULES, SettingsError, load_settings, sms_provider
from tests.integration.notify.notify_builders import API_KEY, CALLBACK_TOKEN, TEMPLATE_ID

NOTIFY = {
    "SMS_PROVIDER": "notify",
    "NOTIFY_API_KEY": API_KEY,
    "NOTIFY_SMS_TEMPLATE_ID": TEMPLATE_ID,
    "NOTIFY_CALLBACK_TOKEN": CALLBACK_TOKEN,
}
PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": "s" * 40,
    "DATABASE_URL": "postgresql://app:secret-password@db/oneroutein",
    "RATELIMIT_STORAGE_URI": "redis://redis:6379",
}


def problems(environ: dict[str, str]) -> list[str]:
    with pytest.raises(SettingsError) as refused:
        load_settings(environ)
    assert str(refused.value).startswith("One Route In cannot start: ")
    assert str(refused.value).splitlines()[1:] == [f"  {line}" for line in refused.value.problems]
    return refused.value.problems


@pytest.mark.parametrize(
    ("environ", "line"),
    [
        ({"SMS_MAX_ATTEMPTS": "six"}, "SMS_MAX_ATTEMPTS='six': expected a whole number from 1 to 10000"),
        ({"SMS_MAX_ATTEMPTS": "0"}, "SMS_MAX_ATTEMPTS='0': expected a whole number from 1 to 10000"),
        ({"SMS_MAX_ATTEMPTS": "2.5"}, "SMS_MAX_ATTEMPTS='2.5': expected a whole number from 1 to 10000"),
        ({"SMS_BATCH_SIZE": ""}, "SMS_BATCH_SIZE='': expected a whole number from 1 to 1000"),
        (
            {"IDEMPOTENCY_KEEP_HOURS": "-1"},
            "IDEMPOTENCY_KEEP_HOURS='-1': expected a whole number of 1 or more",
        ),
        (
            {"AUTH_FREE_FAILURES_PER_ACCOUNT": "five"},
            "AUTH_FREE_FAILURES_PER_ACCOUNT='five': expected a whole number of 0 or more",
        ),
        (
            {"SMS_PROVIDER": "Twillio"},
            "SMS_PROVIDER='Twillio': expected one of twilio, notify, log (or empty: twilio when any TWILIO_* "
            "setting is given, otherwise log)",
        ),
        ({"APP_ENV": "prod"}, "APP_ENV='prod': expected one of development, production"),
        ({"WARM_DIRECTORY": "yes"}, "WARM_DIRECTORY='yes': expected one of 0, 1"),
        (
            {"SMS_BACKOFF_BASE_SECONDS": "60", "SMS_BACKOFF_CAP_SECONDS": "30"},
            "SMS_BACKOFF_CAP_SECONDS=30: expected at least SMS_BACKOFF_BASE_SECONDS (60)",
        ),
    ],
)
def test_a_bad_value_is_named_with_what_is_expected(environ, line):
    assert problems(environ) == [line]


def test_every_bad_value_is_listed_at_once():
    found = problems({"SMS_MAX_ATTEMPTS": "six", "SMS_LEASE_SECONDS": "a minute", "SMS_PROVIDER": "sms"})
    assert [line.split("=")[0] for line in found] == ["SMS_PROVIDER", "SMS_MAX_ATTEMPTS", "SMS_LEASE_SECONDS"]


def test_good_values_are_read_as_their_type():
    settings = load_settings(
        {"SMS_MAX_ATTEMPTS": " 12 ", "SMS_PROVIDER": "log", "REPORT_SUPPRESSION_THRESHOLD": "0"}
    )
    assert (
        settings["SMS_MAX_ATTEMPTS"],
        settings["SMS_PROVIDER"],
        settings["REPORT_SUPPRESSION_THRESHOLD"],
    ) == (12, "log", 0)


def test_every_whole_number_setting_has_a_rule_and_its_default_keeps_it():
    for key in INT_KEYS:
        assert key in DEFAULTS
        rule = RULES.get(key)
        if rule is not None:
            assert rule.read(str(DEFAULTS[key])) == DEFAULTS[key], key
    assert load_settings({}) is not None


@pytest.mark.parametrize(
    ("missing", "line"),
    [
        (
            "NOTIFY_API_KEY",
            "NOTIFY_API_KEY=(empty): expected a GOV.UK Notify API key: key name-service id-secret "
            "(two UUIDs)",
        ),
        (
            "NOTIFY_SMS_TEMPLATE_ID",
            "NOTIFY_SMS_TEMPLATE_ID='': expected the id (a UUID) of a text template whose body is ((body))",
        ),
        (
            "NOTIFY_CALLBACK_TOKEN",
            "NOTIFY_CALLBACK_TOKEN=(empty): expected the bearer token (at least 10 characters)",
        ),
    ],
)
def test_notify_needs_its_credentials(missing, line):
    [found] = problems({**NOTIFY, missing: ""})
    assert found.startswith(line)


def test_a_malformed_notify_key_is_refused_without_being_shown():
    key = "my-key-" + "not-a-uuid" * 5
    found = problems(
        {**NOTIFY, "NOTIFY_API_KEY": key, "NOTIFY_CALLBACK_TOKEN": "short", "NOTIFY_SMS_SENDER_ID": "7"}
    )
    assert [line.split("=")[0] for line in found] == [
        "NOTIFY_API_KEY",
        "NOTIFY_SMS_SENDER_ID",
        "NOTIFY_CALLBACK_TOKEN",
    ]
    assert "not-a-uuid" not in "\n".join(found)
    assert "short" not in "\n".join(found)


def test_notify_settings_are_not_needed_by_twilio():
    settings = load_settings({"SMS_PROVIDER": "twilio", "NOTIFY_API_KEY": "anything"})
    assert sms_provider(settings) == "twilio"


@pytest.mark.parametrize(
    ("environ", "provider"),
    [
        ({}, "log"),
        ({"TWILIO_FROM": "+447700900000"}, "twilio"),
        (NOTIFY, "notify"),
        ({"SMS_PROVIDER": "log", "TWILIO_FROM": "+447700900000"}, "log"),
    ],
)
def test_the_provider_is_chosen_or_follows_the_twilio_settings(environ, provider):
    assert sms_provider(load_settings(environ)) == provider


def test_production_refuses_the_logging_sender_and_hides_secrets():
    found = problems({**PRODUCTION, "SECRET_KEY": "short"})
    assert found[0].startswith("SECRET_KEY must be set to a random value")
    assert found[1].startswith(
        "SMS_PROVIDER='': expected twilio or notify with their settings (APP_ENV=production)"
    )
    assert len(found) == 2
    assert "secret-password" not in "\n".join(found)
    assert sms_provider(load_settings({**PRODUCTION, **NOTIFY})) == "notify"
