"""A local OpenID Connect provider for development and tests: discovery, a JWKS with an RSA key, a sign-in
page that lists its test people, the token endpoint (authorization code with PKCE, refresh tokens), userinfo
and end_session. It signs real RS256 ID tokens, so the app's checks (signature, issuer, audience, expiry,
nonce) are checked for real. It is not a provider to run in production: anyone may sign in as anyone.

Run it:    python -m accounts.fake_oidc --port 8098   (then OIDC_ISSUER=http://127.0.0.1:8098)
Embed it:  with FakeOidc(users=[FakeUser("sub-1", "ann@council.example", "Ann", ["helpline"])]) as idp: ...
For tests: idp.disable(sub), idp.set_groups(sub, [...]), idp.sign(claims) (a token signed by its key),
           idp.ended_sessions (who asked for the provider's session to end).
"""

from accounts.fake_oidc.server import DEMO_USERS, FakeOidc, FakeUser

__all__ = ["DEMO_USERS", "FakeOidc", "FakeUser"]
