"""Calls to the API as a test makes them: log a call, take an action, each asserting the status it expects."""

from tests.builders import call


def log(client, headers, **overrides) -> dict:
    response = client.post("/api/v1/referrals", json=call(**overrides), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def act(client, headers, referral_id, action, expected=200, **body) -> dict:
    response = client.post(f"/api/v1/referrals/{referral_id}/{action}", json=body, headers=headers)
    assert response.status_code == expected, response.get_json()
    return response.get_json()
