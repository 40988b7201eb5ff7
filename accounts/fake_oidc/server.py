"""The fake provider: a small Flask app served by werkzeug in a thread (see the package docstring)."""

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from html import escape
from urllib.parse import urlencode

from flask import Flask, jsonify, redirect, request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import WSGIRequestHandler, make_server

TOKEN_SECONDS = 300
CODE_SECONDS = 60


@dataclass
class FakeUser:
    sub: str
    email: str
    name: str
    groups: list[str] = field(default_factory=list)
    disabled: bool = False
    email_verified: bool = True


DEMO_USERS = (
    FakeUser("demo-sso-helpline", "hana.helpline@sutton.example", "Hana Helpline (SSO)", ["helpline-staff"]),
    FakeUser("demo-sso-officer", "sam.officer@sutton.example", "Sam Officer (SSO)", ["safety-net"]),
    FakeUser("demo-sso-admin", "ada.admin@sutton.example", "Ada Admin (SSO)", ["service-admins"]),
    FakeUser("demo-sso-new", "nia.new@sutton.example", "Nia Newstarter (SSO)", []),
    FakeUser("demo-sso-outsider", "olly@elsewhere.example", "Olly Outsider (SSO)", ["helpline-staff"]),
)


@dataclass(frozen=True)
class _Grant:
    sub: str
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str | None
    scope: str
    expires: float


class FakeOidc:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        users: list[FakeUser] | tuple[FakeUser, ...] = DEMO_USERS,
        client_id: str = "one-route-in",
        client_secret: str = "fake-oidc-secret",  # noqa: S107 - a test provider's known secret
        end_session: bool = True,
        log_requests: bool = False,
    ):
        self.users = {user.sub: replace(user, groups=list(user.groups)) for user in users}
        self.client_id, self.client_secret = client_id, client_secret
        self.key = RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(8), "use": "sig"})
        self.ended_sessions: list[dict] = []
        # Tests of the app's checks: change each ID token as it leaves (tamper with it, or sign it otherwise).
        self.forge: Callable[[str], str] | None = None
        self._codes: dict[str, _Grant] = {}
        self._refresh: dict[str, str] = {}
        self._access: dict[str, str] = {}
        self._lock = threading.Lock()
        self._end_session = end_session
        handler = WSGIRequestHandler if log_requests else _QuietHandler
        self._server = make_server(host, port, self._app(), threaded=True, request_handler=handler)
        self.url = f"http://{host}:{self._server.server_port}"
        self._thread: threading.Thread | None = None

    # The test controls.
    def disable(self, sub: str, disabled: bool = True) -> None:
        with self._lock:
            self.users[sub].disabled = disabled

    def set_groups(self, sub: str, groups: list[str]) -> None:
        with self._lock:
            self.users[sub].groups = list(groups)

    def sign(self, claims: dict, key: RSAKey | None = None) -> str:
        key = key or self.key
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)

    def id_token_claims(self, user: FakeUser, nonce: str | None) -> dict:
        now = int(time.time())
        claims = {
            "iss": self.url,
            "sub": user.sub,
            "aud": self.client_id,
            "iat": now,
            "exp": now + TOKEN_SECONDS,
            "email": user.email,
            "email_verified": user.email_verified,
            "name": user.name,
            "groups": list(user.groups),
        }
        if nonce is not None:
            claims["nonce"] = nonce
        return claims

    # Serving.
    def start(self) -> "FakeOidc":
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        if self._thread is not None:
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> "FakeOidc":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _app(self) -> Flask:
        app = Flask("fake_oidc")
        app.add_url_rule("/.well-known/openid-configuration", view_func=self._discovery)
        app.add_url_rule("/jwks", view_func=self._jwks)
        app.add_url_rule("/authorize", view_func=self._authorize, methods=["GET", "POST"])
        app.add_url_rule("/token", view_func=self._token, methods=["POST"])
        app.add_url_rule("/userinfo", view_func=self._userinfo, methods=["GET", "POST"])
        if self._end_session:
            app.add_url_rule("/end_session", view_func=self._end, methods=["GET", "POST"])
        return app

    def _discovery(self):
        document = {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "email", "profile", "offline_access"],
            "claims_supported": ["sub", "email", "email_verified", "name", "groups"],
        }
        if self._end_session:
            document["end_session_endpoint"] = f"{self.url}/end_session"
        return jsonify(document)

    def _jwks(self):
        return jsonify(KeySet([self.key]).as_dict(private=False))

    def _authorize(self):
        params = request.values
        problem = self._check_authorize(params)
        if problem:
            return _page("Sign-in request refused", f"<p>{escape(problem)}</p>"), 400
        if request.method == "GET":
            return _page("Sign in to the fake council provider", self._choices(params))
        user = self.users.get(params.get("user", ""))
        if user is None:
            return _page("Sign in", "<p>Choose a person.</p>" + self._choices(params)), 422
        back = {"state": params.get("state", "")}
        if user.disabled:
            back |= {"error": "access_denied", "error_description": "This account has been disabled."}
        else:
            code = secrets.token_urlsafe(24)
            with self._lock:
                self._codes[code] = _Grant(
                    user.sub,
                    params["client_id"],
                    params["redirect_uri"],
                    params["code_challenge"],
                    params.get("nonce"),
                    params.get("scope", ""),
                    time.time() + CODE_SECONDS,
                )
            back["code"] = code
        return redirect(f"{params['redirect_uri']}?{urlencode(back)}", 303)

    def _check_authorize(self, params) -> str:
        if params.get("client_id") != self.client_id:
            return "Unknown client."
        if not str(params.get("redirect_uri", "")).startswith(("http://", "https://")):
            return "A redirect_uri is needed."
        if params.get("response_type") != "code":
            return "Only response_type=code is supported."
        if "openid" not in str(params.get("scope", "")).split():
            return "The scope must include openid."
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return "PKCE with S256 is required."
        return ""

    def _choices(self, params) -> str:
        hidden = "".join(
            f'<input type="hidden" name="{escape(key)}" value="{escape(value)}">'
            for key, value in params.items()
            if key != "user"
        )
        buttons = "".join(
            f'<li><button type="submit" name="user" value="{escape(user.sub)}">Sign in as {escape(user.name)}'
            f" ({escape(user.email)}){' (disabled)' if user.disabled else ''}</button></li>"
            for user in self.users.values()
        )
        return (
            "<p>A provider for development and tests: choose who you are.</p>"
            f'<form method="post" action="/authorize">{hidden}<ul>{buttons}</ul></form>'
        )

    def _client_ok(self) -> bool:
        auth = request.authorization
        if auth is not None and auth.type == "basic":
            return auth.username == self.client_id and auth.password == self.client_secret
        form = request.form
        return form.get("client_id") == self.client_id and form.get("client_secret") == self.client_secret

    def _token(self):
        if not self._client_ok():
            return _error("invalid_client", 401)
        grant_type = request.form.get("grant_type")
        if grant_type == "authorization_code":
            return self._code_grant()
        if grant_type == "refresh_token":
            with self._lock:
                sub = self._refresh.pop(request.form.get("refresh_token", ""), None)
            user = self.users.get(sub or "")
            if user is None or user.disabled:
                return _error("invalid_grant")
            return self._tokens(user, None)
        return _error("unsupported_grant_type")

    def _code_grant(self):
        form = request.form
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)
        if grant is None or grant.expires < time.time() or grant.redirect_uri != form.get("redirect_uri"):
            return _error("invalid_grant")
        verifier = form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if not verifier or not secrets.compare_digest(digest, grant.challenge):
            return _error("invalid_grant", description="PKCE verification failed")
        user = self.users[grant.sub]
        if user.disabled:
            return _error("invalid_grant")
        return self._tokens(user, grant.nonce)

    def _tokens(self, user: FakeUser, nonce: str | None):
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        with self._lock:
            self._access[access] = user.sub
            self._refresh[refresh] = user.sub
        return jsonify(
            access_token=access,
            token_type="Bearer",
            expires_in=TOKEN_SECONDS,
            refresh_token=refresh,
            id_token=(self.forge or str)(self.sign(self.id_token_claims(user, nonce))),
        )

    def _userinfo(self):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        user = self.users.get(self._access.get(token, "")) if scheme.lower() == "bearer" else None
        if user is None or user.disabled:
            return _error("invalid_token", 401)
        claims = self.id_token_claims(user, None)
        return jsonify({key: claims[key] for key in ("sub", "email", "email_verified", "name", "groups")})

    def _end(self):
        hint = request.values.get("id_token_hint", "")
        sub = None
        if hint:
            try:
                sub = jwt.decode(hint, self.key).claims.get("sub")
            except (JoseError, ValueError):
                sub = None
        self.ended_sessions.append({"sub": sub, "client_id": request.values.get("client_id")})
        after = request.values.get("post_logout_redirect_uri")
        if after:
            state = request.values.get("state")
            return redirect(after + (f"?{urlencode({'state': state})}" if state else ""), 303)
        return _page("Signed out", "<p>You have signed out of the fake provider.</p>")


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass


def _error(code: str, status: int = 400, description: str = ""):
    body = {"error": code}
    if description:
        body["error_description"] = description
    return jsonify(body), status


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )
