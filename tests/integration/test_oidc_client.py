"""The OpenID Connect client against the local provider (real HTTP on a free port, real RS256 tokens): the
code flow with PKCE, and every check an ID token must pass — signature, issuer, audience, expiry, nonce."""

import base64
import json
import time
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
import requests
from joserfc.jwk import RSAKey

from accounts.fake_oidc import FakeOidc, FakeUser
from accounts.oidc import config_from
from accounts.oidc_client import OidcClient, OidcError

CALLBACK = "http://127.0.0.1:5000/sign-in/sso/callback"
ANN = FakeUser("sub-ann", "ann@sutton.example", "Ann", ["g-helpline"])


@pytest.fixture
def idp():
    with FakeOidc(users=[ANN]) as provider:
        yield provider


@pytest.fixture
def oidc(idp) -> OidcClient:
    settings = {
        "OIDC_ISSUER": idp.url,
        "OIDC_CLIENT_ID": idp.client_id,
        "OIDC_CLIENT_SECRET": idp.client_secret,
        "OIDC_SCOPES": "openid email profile offline_access",
        "OIDC_AUTH_PARAMS": "prompt=login",
    }
    return OidcClient(config_from(settings))


def authorize(idp: FakeOidc, url: str, sub: str = "sub-ann") -> dict:
    """Press the provider's button for `sub`: the query the provider sends back to the callback."""
    params = dict(parse_qsl(urlsplit(url).query))
    answer = requests.post(
        f"{idp.url}/authorize", data={**params, "user": sub}, allow_redirects=False, timeout=5
    )
    assert answer.status_code == 303
    return {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}


def test_the_code_flow_with_pkce_gives_checked_claims_and_a_refresh_token(idp, oidc):
    started = oidc.start(CALLBACK)
    query = parse_qs(urlsplit(started.url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["nonce"] == [started.nonce]
    assert started.code_verifier not in started.url
    assert query["prompt"] == ["login"]  # OIDC_AUTH_PARAMS
    back = authorize(idp, started.url)
    assert back["state"] == started.state
    signed = oidc.finish(back["code"], CALLBACK, started.code_verifier, started.nonce)
    assert signed.claims["sub"] == "sub-ann"
    assert signed.claims["groups"] == ["g-helpline"]
    assert signed.refresh_token


def test_a_code_with_another_verifier_is_refused_by_the_provider(idp, oidc):
    started = oidc.start(CALLBACK)
    back = authorize(idp, started.url)
    with pytest.raises(OidcError, match="refused the code"):
        oidc.finish(back["code"], CALLBACK, "another-verifier-" + "x" * 40, started.nonce)


def test_a_code_is_good_once(idp, oidc):
    started = oidc.start(CALLBACK)
    back = authorize(idp, started.url)
    oidc.finish(back["code"], CALLBACK, started.code_verifier, started.nonce)
    with pytest.raises(OidcError):
        oidc.finish(back["code"], CALLBACK, started.code_verifier, started.nonce)


def good_claims(idp: FakeOidc, **changes) -> dict:
    return {**idp.id_token_claims(ANN, "the-nonce"), **changes}


def test_a_good_token_checks_out(idp, oidc):
    assert oidc.verify_id_token(idp.sign(good_claims(idp)), "the-nonce")["sub"] == "sub-ann"


def tampered(token: str, **changes) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**claims, **changes}).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize(
    ("make", "nonce"),
    [
        pytest.param(
            lambda idp: tampered(idp.sign(good_claims(idp)), groups=["g-admins"]), "the-nonce", id="tampered"
        ),
        pytest.param(
            lambda idp: idp.sign(
                good_claims(idp), RSAKey.generate_key(2048, parameters={"kid": idp.key.kid})
            ),
            "the-nonce",
            id="another-key",
        ),
        pytest.param(lambda idp: idp.sign(good_claims(idp)), "another-nonce", id="wrong-nonce"),
        pytest.param(lambda idp: idp.sign(good_claims(idp, aud="someone-else")), "the-nonce", id="audience"),
        pytest.param(
            lambda idp: idp.sign(good_claims(idp, iss="https://evil.example")), "the-nonce", id="issuer"
        ),
        pytest.param(
            lambda idp: idp.sign(good_claims(idp, exp=int(time.time()) - 3600)), "the-nonce", id="expired"
        ),
        pytest.param(
            lambda idp: idp.sign({k: v for k, v in good_claims(idp).items() if k != "nonce"}),
            "the-nonce",
            id="no-nonce",
        ),
    ],
)
def test_a_token_that_does_not_check_out_is_refused(idp, oidc, make, nonce):
    with pytest.raises(OidcError, match="does not check out"):
        oidc.verify_id_token(make(idp), nonce)


def test_an_unsigned_token_is_refused(idp, oidc):
    header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(json.dumps(good_claims(idp)).encode()).rstrip(b"=").decode()
    with pytest.raises(OidcError):
        oidc.verify_id_token(f"{header}.{payload}.", "the-nonce")


def test_a_disabled_account_cannot_refresh(idp, oidc):
    started = oidc.start(CALLBACK)
    signed = oidc.finish(authorize(idp, started.url)["code"], CALLBACK, started.code_verifier, started.nonce)
    renewed = oidc.refresh(signed.refresh_token)
    assert renewed.claims["sub"] == "sub-ann"
    idp.disable("sub-ann")
    with pytest.raises(OidcError, match="refused to renew"):
        oidc.refresh(renewed.refresh_token)


def test_a_disabled_account_is_sent_back_with_access_denied(idp, oidc):
    idp.disable("sub-ann")
    back = authorize(idp, oidc.start(CALLBACK).url)
    assert back["error"] == "access_denied"
    assert "code" not in back


def test_the_provider_session_ends_through_its_end_session_endpoint(idp, oidc):
    url = oidc.end_session_url("an-id-token", "http://127.0.0.1:5000/sign-in")
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{idp.url}/end_session?")
    assert query["id_token_hint"] == ["an-id-token"]
    assert query["post_logout_redirect_uri"] == ["http://127.0.0.1:5000/sign-in"]


def test_discovery_naming_another_issuer_is_refused(idp):
    config = config_from({"OIDC_ISSUER": idp.url + "/other", "OIDC_CLIENT_ID": "one-route-in"})
    with pytest.raises(OidcError):
        OidcClient(config).metadata()
