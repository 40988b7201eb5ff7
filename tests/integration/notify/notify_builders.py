"""A GOV.UK Notify service for the tests: its API key, text template and callback token, the settings that
choose it, and the fake Notify serving it."""

from notify.fake_notify import FakeNotify

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"one_route_in_test-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"
CALLBACK_TOKEN = "notify-callback-token-for-the-tests"


def notify_settings(base_url: str = "http://notify.invalid") -> dict[str, object]:
    return {
        "SMS_PROVIDER": "notify",
        "NOTIFY_API_KEY": API_KEY,
        "NOTIFY_SMS_TEMPLATE_ID": TEMPLATE_ID,
        "NOTIFY_CALLBACK_TOKEN": CALLBACK_TOKEN,
        "NOTIFY_BASE_URL": base_url,
        "SMS_SEND_TIMEOUT_SECONDS": 3,
    }


def fake_notify(app_url: str = "", **options) -> FakeNotify:
    """The fake Notify for this service, posting its callbacks to the app at `app_url` (none if empty)."""
    return FakeNotify(
        API_KEY,
        TEMPLATE_ID,
        callback_token=CALLBACK_TOKEN,
        status_callback_url=f"{app_url}/sms/notify/status" if app_url else "",
        inbound_callback_url=f"{app_url}/sms/notify/inbound" if app_url else "",
        echo=False,
        **options,
    )


def bearer(token: str = CALLBACK_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
