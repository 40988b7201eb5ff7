"""Who may come in through the council's provider and which role their groups give: pure rules."""

import pytest

from accounts.oidc import GroupRole, OidcConfigError, config_from, decide, email_of, parse_group_roles

SETTINGS = {
    "OIDC_ISSUER": "https://login.example/tenant/v2.0/",
    "OIDC_CLIENT_ID": "client",
    "OIDC_SCOPES": "openid email profile",
    "OIDC_ALLOWED_DOMAINS": "sutton.example, @Coventry.Example",
    "OIDC_GROUP_ROLES": (
        "g-admins=admin; g-net=safety_net_officer:4\ng-hub=hub_coordinator:7, g-all=helpline_staff"
    ),
}


def test_config_reads_the_settings():
    config = config_from(SETTINGS)
    assert config.enabled
    assert config.issuer == "https://login.example/tenant/v2.0"  # the discovery URL adds its own slash
    assert config.allowed_domains == {"sutton.example", "coventry.example"}
    assert config.group_roles == (
        GroupRole("g-admins", "admin", None),
        GroupRole("g-net", "safety_net_officer", 4),
        GroupRole("g-hub", "hub_coordinator", 7),
        GroupRole("g-all", "helpline_staff", None),
    )


def test_more_parameters_for_the_provider_but_not_the_flows_own():
    config = config_from({**SETTINGS, "OIDC_AUTH_PARAMS": "access_type=offline&prompt=consent"})
    assert config.auth_params == (("access_type", "offline"), ("prompt", "consent"))
    with pytest.raises(OidcConfigError, match="nonce"):
        config_from({**SETTINGS, "OIDC_AUTH_PARAMS": "nonce=fixed"})


def test_without_an_issuer_single_sign_on_is_off():
    assert not config_from({}).enabled


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("g=root", "unknown role"),
        ("g=hub_coordinator", "needs :org id"),
        ("g=admin:x", "not an organisation id"),
        ("just-a-group", "not group=role"),
    ],
)
def test_a_wrong_group_mapping_is_refused_with_the_entry(text, problem):
    with pytest.raises(OidcConfigError, match=problem):
        parse_group_roles(text)


@pytest.mark.parametrize(
    "settings", [{"OIDC_ISSUER": "https://x"}, {**SETTINGS, "OIDC_SCOPES": "email profile"}]
)
def test_an_issuer_needs_a_client_and_the_openid_scope(settings):
    with pytest.raises(OidcConfigError):
        config_from(settings)


def claims(**extra) -> dict:
    return {"iss": "https://login.example", "sub": "abc", "email": "ann@sutton.example", **extra}


def test_the_first_group_in_the_settings_wins():
    config = config_from(SETTINGS)
    decision = decide(claims(groups=["g-all", "g-net"]), config)
    assert decision.allowed
    assert decision.role == GroupRole("g-net", "safety_net_officer", 4)


def test_no_group_that_maps_gives_no_role():
    decision = decide(claims(groups=["g-other"]), config_from(SETTINGS))
    assert decision.allowed
    assert decision.role is None


def test_a_domain_not_allowed_is_refused():
    decision = decide(claims(email="eve@elsewhere.example", groups=["g-admins"]), config_from(SETTINGS))
    assert not decision.allowed
    assert decision.role is None
    assert "elsewhere.example" in decision.reason


def test_an_address_the_provider_has_not_verified_is_refused():
    assert not decide(claims(email_verified=False), config_from(SETTINGS)).allowed


def test_entra_ids_sign_in_name_stands_for_the_email():
    assert email_of({"preferred_username": "Ann@Sutton.Example"}) == "ann@sutton.example"
    assert not decide({"sub": "x"}, config_from(SETTINGS)).allowed


def test_any_domain_when_none_is_listed():
    config = config_from({**SETTINGS, "OIDC_ALLOWED_DOMAINS": ""})
    assert decide(claims(email="x@anywhere.example"), config).allowed
