"""The SMS sender the settings ask for: Twilio (or the fake Twilio, given TWILIO_BASE_URL), or, with no Twilio
settings at all, the logging sender. Half a Twilio configuration is an error, never a silent drop."""

import logging
from collections.abc import Mapping

from config.settings import ConfigError
from notify.logging_sender import LoggingSmsSender
from notify.sms_sender import SmsSender

logger = logging.getLogger(__name__)
TWILIO_KEYS = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM", "TWILIO_MESSAGING_SERVICE_SID")


def twilio_configured(settings: Mapping[str, object]) -> bool:
    return any(settings.get(key) for key in TWILIO_KEYS)


def build_sms_sender(settings: Mapping[str, object]) -> SmsSender:
    if not twilio_configured(settings):
        production = settings.get("APP_ENV") == "production"
        if production:
            logger.warning("no TWILIO_* settings: texts are recorded in the outbox and logged, not sent")
        return LoggingSmsSender(log_bodies=not production)
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
        timeout=float(settings.get("SMS_SEND_TIMEOUT_SECONDS") or 10),
    )
    return TwilioSmsSender(
        client,
        from_=str(settings.get("TWILIO_FROM") or "") or None,
        messaging_service_sid=str(settings.get("TWILIO_MESSAGING_SERVICE_SID") or "") or None,
    )
