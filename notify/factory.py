"""The SMS sender the settings ask for (`SMS_PROVIDER`, read by `config.settings.sms_provider`): Twilio (or
the fake Twilio, given TWILIO_BASE_URL), GOV.UK Notify (or the fake Notify, given NOTIFY_BASE_URL), or the
logging sender. Half a Twilio configuration is an error, never a silent drop; Notify's settings are checked
when the settings are loaded."""

import logging
from collections.abc import Mapping

from config.settings import ConfigError, sms_provider
from notify.logging_sender import LoggingSmsSender
from notify.sms_sender import SmsSender

logger = logging.getLogger(__name__)
TWILIO_KEYS = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM", "TWILIO_MESSAGING_SERVICE_SID")


def build_sms_sender(settings: Mapping[str, object]) -> SmsSender:
    provider = sms_provider(settings)
    if provider == "notify":
        return build_notify_sender(settings)
    if provider == "log":
        production = settings.get("APP_ENV") == "production"
        if production:
            logger.warning("SMS_PROVIDER=log: texts are recorded in the outbox and logged, not sent")
        return LoggingSmsSender(log_bodies=not production)
    return build_twilio_sender(settings)


def _timeout(settings: Mapping[str, object]) -> float:
    return float(settings.get("SMS_SEND_TIMEOUT_SECONDS") or 10)  # type: ignore[arg-type]


def build_notify_sender(settings: Mapping[str, object]) -> SmsSender:
    from notify.govuk_notify import NotifySmsSender, make_notify_client  # only when configured

    client = make_notify_client(
        str(settings["NOTIFY_API_KEY"]),
        base_url=str(settings.get("NOTIFY_BASE_URL") or "") or None,
        timeout=_timeout(settings),
    )
    return NotifySmsSender(
        client,
        template_id=str(settings["NOTIFY_SMS_TEMPLATE_ID"]),
        sms_sender_id=str(settings.get("NOTIFY_SMS_SENDER_ID") or "") or None,
    )


def build_twilio_sender(settings: Mapping[str, object]) -> SmsSender:
    missing = [key for key in TWILIO_KEYS[:2] if not settings.get(key)]
    if not (settings.get("TWILIO_FROM") or settings.get("TWILIO_MESSAGING_SERVICE_SID")):
        missing.append("TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID")
    if missing:
        raise ConfigError(f"Twilio is half configured: set {', '.join(missing)}")
    from notify.twilio_client import TwilioSmsSender, make_twilio_client  # twilio.rest: only when configured

    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    client = make_twilio_client(
        str(settings["TWILIO_ACCOUNT_SID"]),
        str(settings["TWILIO_AUTH_TOKEN"]),
        base_url=str(settings.get("TWILIO_BASE_URL") or "") or None,
        timeout=_timeout(settings),
    )
    return TwilioSmsSender(
        client,
        from_=str(settings.get("TWILIO_FROM") or "") or None,
        messaging_service_sid=str(settings.get("TWILIO_MESSAGING_SERVICE_SID") or "") or None,
    )
