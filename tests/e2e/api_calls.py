"""Calls to the API of the live test server, as another system makes them while a person uses the pages."""

import json
import urllib.request


def post_call(web_server, token: str, body: dict) -> dict:
    """Log a call through the API; the referral it created."""
    request = urllib.request.Request(
        f"{web_server.url}/api/v1/referrals",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())
