"""A local fake of GOV.UK Notify's text-message API, for development and for tests of the real client.

Run it:    python -m notify.fake_notify --port 8098 (NOTIFY_API_KEY, NOTIFY_SMS_TEMPLATE_ID and
           NOTIFY_CALLBACK_TOKEN from the environment, as the app reads them)
Embed it:  with FakeNotify(api_key, template_id, callback_token=..., status_callback_url=...,
                           inbound_callback_url=...) as fake:   # port 0: an ephemeral port
               make_notify_client(api_key, base_url=fake.url)

As Notify:  POST /v2/notifications/sms (the JWT checked as Notify checks it; the template's body is ((body))),
            GET /v2/notifications/<id>, delivery receipts POSTed to the status callback with the bearer
            token: `delivered`, or for Notify's test numbers 07700900002 `permanent-failure` and 07700900003
            `temporary-failure` (or as /_fake/control says).
For people: GET|DELETE /_fake/messages[?to=...], GET|POST /_fake/control (outage, outage_requests,
            rate_limited, errors {number: [status, error, message]}, outcomes {number: status}, callbacks,
            callback_delay), POST /_fake/inbound {"from", "body", "to"?} (a received text posted to the
            app's inbound callback, as if a lead had replied).
"""

from notify.fake_notify.model import FakeNotification, NotifyError, Switches
from notify.fake_notify.server import FakeNotify

__all__ = ["FakeNotification", "FakeNotify", "NotifyError", "Switches"]
