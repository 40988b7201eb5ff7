"""Single sign-on with the council's OpenID Connect provider: the rules, pure (no Flask, no database, no
network). Who may come in (the email domains allowed) and which role a person's groups give them
(OIDC_GROUP_ROLES, first match in the order written). The conversation with the provider is
`accounts/oidc_client.py`; keeping the person is `accounts/sso.py`."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from accounts.models import USER_ROLES

SEPARATORS = re.compile(r"[;,\n]")
# What the code flow itself sends: OIDC_AUTH_PARAMS cannot change them.
OWN_PARAMS = frozenset(
    {
        "client_id",
        "redirect_uri",
        "response_type",
        "scope",
        "state",
        "nonce",
        "code_challenge",
        "code_challenge_method",
    }
)


class OidcConfigError(ValueError):
    pass


@dataclass(frozen=True)
class GroupRole:
    group: str
    role: str
    org_id: int | None


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    allowed_domains: frozenset[str]
    groups_claim: str
    group_roles: tuple[GroupRole, ...]
    recheck_seconds: int
    button_label: str
    auth_params: tuple[tuple[str, str], ...] = ()

    @property
    def enabled(self) -> bool:
        return bool(self.issuer)


def parse_group_roles(text: str) -> tuple[GroupRole, ...]:
    """`group=role[:org id]` entries separated by commas, semicolons or lines; a group is the provider's
    value (Entra ID: the group's object id; another provider: its name)."""
    found = []
    for entry in (part.strip() for part in SEPARATORS.split(text or "")):
        if not entry:
            continue
        group, equals, target = entry.rpartition("=")
        role, _, org = target.partition(":")
        role, org = role.strip(), org.strip()
        if not equals or not group.strip():
            raise OidcConfigError(f"OIDC_GROUP_ROLES: {entry!r} is not group=role or group=role:org id")
        if role not in USER_ROLES:
            raise OidcConfigError(f"OIDC_GROUP_ROLES: unknown role {role!r} (one of {', '.join(USER_ROLES)})")
        if org and not org.isdigit():
            raise OidcConfigError(f"OIDC_GROUP_ROLES: {org!r} is not an organisation id")
        if role == "hub_coordinator" and not org:
            raise OidcConfigError(f"OIDC_GROUP_ROLES: {group.strip()}=hub_coordinator needs :org id")
        found.append(GroupRole(group.strip(), role, int(org) if org else None))
    return tuple(found)


def _domains(text: str) -> frozenset[str]:
    return frozenset(d.strip().casefold().lstrip("@") for d in text.split(",")) - {""}


def config_from(settings: Mapping[str, object]) -> OidcConfig:
    issuer = str(settings.get("OIDC_ISSUER") or "").rstrip("/")
    config = OidcConfig(
        issuer=issuer,
        client_id=str(settings.get("OIDC_CLIENT_ID") or ""),
        client_secret=str(settings.get("OIDC_CLIENT_SECRET") or ""),
        scopes=str(settings.get("OIDC_SCOPES") or "openid"),
        allowed_domains=_domains(str(settings.get("OIDC_ALLOWED_DOMAINS") or "")),
        groups_claim=str(settings.get("OIDC_GROUPS_CLAIM") or "groups"),
        group_roles=parse_group_roles(str(settings.get("OIDC_GROUP_ROLES") or "")),
        recheck_seconds=int(settings.get("OIDC_RECHECK_SECONDS") or 900),
        button_label=str(settings.get("OIDC_BUTTON_LABEL") or "Sign in with your council account"),
        auth_params=tuple(parse_qsl(str(settings.get("OIDC_AUTH_PARAMS") or ""))),
    )
    fixed = {key for key, _ in config.auth_params} & OWN_PARAMS
    if fixed:
        raise OidcConfigError(
            f"OIDC_AUTH_PARAMS may not set {', '.join(sorted(fixed))}: the service sets them"
        )
    if config.enabled and not config.client_id:
        raise OidcConfigError("OIDC_ISSUER is set without OIDC_CLIENT_ID")
    if config.enabled and "openid" not in config.scopes.split():
        raise OidcConfigError("OIDC_SCOPES must include openid")
    return config


@dataclass(frozen=True)
class Decision:
    """May this person come in, and with which role from their groups (None: none of their groups maps)."""

    allowed: bool
    reason: str = ""
    email: str = ""
    role: GroupRole | None = None


def email_of(claims: Mapping[str, object]) -> str:
    """The address the provider vouches for: `email` (Google, most providers), else Entra ID's
    `preferred_username` (the sign-in name, an address in the tenant's domains)."""
    for claim in ("email", "preferred_username", "upn"):
        value = claims.get(claim)
        if isinstance(value, str) and "@" in value:
            return value.strip().casefold()
    return ""


def groups_of(claims: Mapping[str, object], claim: str) -> list[str]:
    value = claims.get(claim)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def decide(claims: Mapping[str, object], config: OidcConfig) -> Decision:
    email = email_of(claims)
    if not email:
        return Decision(False, "the provider gave no email address")
    if claims.get("email_verified") is False:
        return Decision(False, "the provider has not verified this email address", email)
    domain = email.rpartition("@")[2]
    if config.allowed_domains and domain not in config.allowed_domains:
        return Decision(False, f"the domain {domain} may not sign in here", email)
    groups = set(groups_of(claims, config.groups_claim))
    role = next((mapping for mapping in config.group_roles if mapping.group in groups), None)
    return Decision(True, "", email, role)


class OidcError(RuntimeError):
    """The provider refused, could not be reached, or answered with something that does not check out."""
