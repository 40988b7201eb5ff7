"""An SMS sender for a machine with no Twilio settings: each text stays in the outbox, marked sent with a
`LG...` SID, and is written to the log. Bodies are logged only outside production (they may name people)."""

import logging
import secrets

from notify.sms_sender import SentMessage
from notify.sms_text import segment_count

logger = logging.getLogger(__name__)
SID_PREFIX = "LG"


class LoggingSmsSender:
    def __init__(self, log_bodies: bool = True):
        self.log_bodies = log_bodies

    def send(
        self, to: str, body: str, status_callback: str | None = None, reference: str | None = None
    ) -> SentMessage:
        sid = SID_PREFIX + secrets.token_hex(16)
        text = body.replace("\n", "\\n") if self.log_bodies else f"({len(body)} characters, not logged)"
        logger.warning("SMS not sent (SMS_PROVIDER=log) %s to %s: %s", sid, to, text)
        return SentMessage(sid=sid, status="sent", num_segments=segment_count(body))
