import pytest

from notify.twilio_client import rewrite_twilio_url


@pytest.mark.parametrize(
    ("url", "base_url", "expected"),
    [
        (
            "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json",
            "http://127.0.0.1:8099",
            "http://127.0.0.1:8099/2010-04-01/Accounts/AC1/Messages.json",
        ),
        (
            "https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=50",
            "http://127.0.0.1:8099/",
            "http://127.0.0.1:8099/2010-04-01/Accounts/AC1/Messages.json?PageSize=50",
        ),
        (
            "https://messaging.twilio.com/v1/Services",
            "http://fake.local:9000/twilio",
            "http://fake.local:9000/twilio/v1/Services",
        ),
        ("https://example.com/2010-04-01/x", "http://127.0.0.1:8099", "https://example.com/2010-04-01/x"),
        ("https://nottwilio.com/x", "http://127.0.0.1:8099", "https://nottwilio.com/x"),
    ],
)
def test_rewrite_twilio_url(url, base_url, expected):
    assert rewrite_twilio_url(url, base_url) == expected
