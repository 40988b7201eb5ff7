"""Talking to the OpenID Connect provider: discovery, the authorization code flow with PKCE (Authlib's
OAuth2Session), checking the ID token (signature against the provider's JWKS, issuer, audience, expiry and the
nonce, with joserfc), refreshing (is the account still enabled?) and the provider's sign-out address.

No Flask and no database: the pages keep state, nonce and code verifier in the session and hand them back."""

import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from accounts.oidc import OidcConfig, OidcError

TIMEOUT_SECONDS = 10
METADATA_TTL_SECONDS = 3600
LEEWAY_SECONDS = 60
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]


@dataclass(frozen=True)
class Started:
    url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True)
class SignedIn:
    claims: dict
    id_token: str
    refresh_token: str | None


class OidcClient:
    def __init__(self, config: OidcConfig, http: requests.Session | None = None):
        self.config = config
        self.http = http or requests.Session()
        self._lock = threading.Lock()
        self._metadata: dict | None = None
        self._metadata_at = 0.0
        self._keys: KeySet | None = None

    def metadata(self) -> dict:
        with self._lock:
            if self._metadata is None or time.monotonic() - self._metadata_at > METADATA_TTL_SECONDS:
                url = self.config.issuer + "/.well-known/openid-configuration"
                found = self._get_json(url)
                if str(found.get("issuer", "")).rstrip("/") != self.config.issuer:
                    raise OidcError("the provider's discovery document names another issuer")
                for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                    if not isinstance(found.get(field), str):
                        raise OidcError(f"the provider's discovery document has no {field}")
                self._metadata, self._metadata_at, self._keys = found, time.monotonic(), None
            return self._metadata

    def _get_json(self, url: str) -> dict:
        try:
            response = self.http.get(url, timeout=TIMEOUT_SECONDS)
            response.raise_for_status()
            found = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise OidcError(f"could not read {url}: {exc.__class__.__name__}") from exc
        if not isinstance(found, dict):
            raise OidcError(f"{url} did not answer with a JSON object")
        return found

    def _oauth(self, redirect_uri: str | None = None) -> OAuth2Session:
        oauth = OAuth2Session(
            self.config.client_id,
            self.config.client_secret or None,
            scope=self.config.scopes,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic" if self.config.client_secret else "none",
        )
        oauth.mount("http://", self.http.get_adapter("http://"))
        oauth.mount("https://", self.http.get_adapter("https://"))
        return oauth

    def start(self, redirect_uri: str) -> Started:
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        url, _ = self._oauth(redirect_uri).create_authorization_url(
            self.metadata()["authorization_endpoint"],
            state=state,
            code_verifier=verifier,
            nonce=nonce,
            **dict(self.config.auth_params),
        )
        return Started(url, state, nonce, verifier)

    def finish(self, code: str, redirect_uri: str, code_verifier: str, nonce: str) -> SignedIn:
        try:
            token = self._oauth(redirect_uri).fetch_token(
                self.metadata()["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
                timeout=TIMEOUT_SECONDS,
            )
        except (OAuthError, requests.RequestException, ValueError) as exc:
            raise OidcError(f"the provider refused the code: {exc}") from exc
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("the provider sent no ID token")
        claims = self.verify_id_token(id_token, nonce)
        return SignedIn(claims, id_token, token.get("refresh_token"))

    def _key_set(self, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            self._keys = KeySet.import_key_set(self._get_json(self.metadata()["jwks_uri"]))
        return self._keys

    def verify_id_token(self, id_token: str, nonce: str | None) -> dict:
        """The ID token's claims if it is signed by the provider's key and is for us, now, with our nonce."""
        try:
            try:
                token = jwt.decode(id_token, self._key_set(), algorithms=ALGORITHMS)
            except JoseError:
                # The provider may have rotated its keys since they were read: read them once more.
                token = jwt.decode(id_token, self._key_set(refresh=True), algorithms=ALGORITHMS)
            options = {
                "iss": {"essential": True, "value": self.config.issuer},
                "sub": {"essential": True},
                "aud": {"essential": True, "value": self.config.client_id},
                "exp": {"essential": True},
                "iat": {"essential": True},
            }
            if nonce is not None:
                options["nonce"] = {"essential": True, "value": nonce}
            jwt.JWTClaimsRegistry(leeway=LEEWAY_SECONDS, **options).validate(token.claims)
        except (JoseError, ValueError) as exc:
            raise OidcError(f"the ID token does not check out: {exc}") from exc
        claims = dict(token.claims)
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.config.client_id:
            raise OidcError("the ID token is for several parties and not authorised for us")
        return claims

    def refresh(self, refresh_token: str) -> SignedIn:
        """Ask the provider again: a disabled or deleted account, or a revoked session, is refused."""
        try:
            token = self._oauth().refresh_token(
                self.metadata()["token_endpoint"], refresh_token=refresh_token, timeout=TIMEOUT_SECONDS
            )
        except (OAuthError, requests.RequestException, ValueError) as exc:
            raise OidcError(f"the provider refused to renew the sign-in: {exc}") from exc
        id_token = token.get("id_token")
        claims = self.verify_id_token(id_token, None) if isinstance(id_token, str) else {}
        return SignedIn(claims, id_token or "", token.get("refresh_token") or refresh_token)

    def end_session_url(self, id_token: str | None, after: str) -> str | None:
        """Where to send the browser so that the provider's session ends too (None: it offers no way)."""
        endpoint = self.metadata().get("end_session_endpoint")
        if not isinstance(endpoint, str):
            return None
        query = {"client_id": self.config.client_id, "post_logout_redirect_uri": after}
        if id_token:
            query["id_token_hint"] = id_token
        return endpoint + ("&" if "?" in endpoint else "?") + urlencode(query)
