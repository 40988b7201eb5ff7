"""GOV.UK Notify as an SMS sender, behind the same port as Twilio (notifications-python-client).

Notify sends from a template: the service's text template given by `NOTIFY_SMS_TEMPLATE_ID` must have the body
`((body))` and nothing else, and each text is sent as that template with `body` as its personalisation.
Each send carries the outbox's reference for the attempt (`outbox-<row>-<attempt>`); Notify returns it in its
delivery receipt, as Twilio returns the status-callback URL, so a receipt finds its row even when the send's
answer was lost.

Notify's failures map onto the one classification (`notify.errors.classify`): Notify gives no numeric
codes, so its HTTP status decides. 400 (a bad number, a team-only key, a missing template) and 403 (a bad
key, a clock more than 30 s out) are permanent: the same request fails the same way every time, and the
task's fallback is the faster help. 429 (rate or daily limit) and 5xx are transient, and so is no answer at
all (a timeout, a refused connection).
"""

import threading
from collections.abc import Mapping

from notifications_python_client.errors import APIError, InvalidResponse
from notifications_python_client.notifications import NotificationsAPIClient

from notify.errors import SmsSendError
from notify.notify_receipts import DELIVERY_STATUSES  # noqa: F401  (re-exported)
from notify.sms_sender import SentMessage
from notify.sms_text import segment_count

NOTIFY_API_URL = "https://api.notifications.service.gov.uk"
BODY_PLACEHOLDER = "body"


def make_notify_client(
    api_key: str, base_url: str | None = None, timeout: float = 10
) -> NotificationsAPIClient:
    """The real Notify client, talking to Notify itself or, given `base_url`, to the fake Notify server."""
    return NotificationsAPIClient(api_key, base_url=base_url or NOTIFY_API_URL, timeout=timeout)


def describe_errors(errors: object) -> str:
    """Notify's `errors: [{error, message}]` as one line: `BadRequestError: Template not found`."""
    if isinstance(errors, list):
        return "; ".join(
            f"{item.get('error', 'Error')}: {item.get('message', '')}"
            if isinstance(item, Mapping)
            else str(item)
            for item in errors
        )
    return str(errors)


class NotifySmsSender:
    def __init__(self, client: NotificationsAPIClient, template_id: str, sms_sender_id: str | None = None):
        if not template_id:
            raise ValueError("NotifySmsSender needs the id of a text template whose body is ((body))")
        self.client = client
        self.template_id = template_id
        self.sms_sender_id = sms_sender_id
        self._lock = threading.Lock()  # the client's session is not thread-safe

    def send(
        self, to: str, body: str, status_callback: str | None = None, reference: str | None = None
    ) -> SentMessage:
        """`status_callback` is ignored: Notify posts receipts to the URL set once in its settings."""
        try:
            with self._lock:
                answer = self.client.send_sms_notification(
                    phone_number=to,
                    template_id=self.template_id,
                    personalisation={BODY_PLACEHOLDER: body},
                    reference=reference,
                    sms_sender_id=self.sms_sender_id,
                )
        except InvalidResponse as exc:
            raise SmsSendError(None, None, f"unreadable answer from GOV.UK Notify: {exc}", True) from exc
        except APIError as exc:
            if exc.response is None:  # no answer: a timeout, a refused or reset connection
                cause = exc.__cause__
                raise SmsSendError(None, None, f"{type(cause).__name__}: {cause}", transient=True) from exc
            raise SmsSendError.classified(None, exc.status_code, describe_errors(exc.message)) from exc
        if not isinstance(answer, Mapping) or not answer.get("id"):
            raise SmsSendError(None, None, "GOV.UK Notify's answer has no notification id", transient=True)
        return SentMessage(sid=str(answer["id"]), status="created", num_segments=segment_count(body))
