"""What the pages refuse to start with: a session cookie sent over plain http in production, a single sign-on
setting that cannot work. Light on purpose (no page, no form, no template): the app factory asks it when the
app is built, so a `flask` command that never installs the pages refuses the same settings
(`api.OneRouteApp`); the pages ask it again when they are installed (`web/blueprint.py`)."""

import os
from collections.abc import Mapping

from config.settings import ConfigError

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


def check_settings(settings: Mapping[str, object]) -> None:
    cookie_is_secure(settings)
    oidc_config(settings)


def cookie_is_secure(settings: Mapping[str, object], environ: Mapping[str, str] = os.environ) -> bool:
    """SESSION_COOKIE_SECURE if set (setting or environment), else true in production or behind https."""
    explicit = settings.get("SESSION_COOKIE_SECURE", environ.get("SESSION_COOKIE_SECURE"))
    production = settings.get("APP_ENV") == "production"
    if explicit is None:
        return production or str(settings.get("PUBLIC_BASE_URL", "")).startswith("https://")
    secure = explicit if isinstance(explicit, bool) else str(explicit).strip().casefold() in TRUE_WORDS
    if production and not secure:
        raise ConfigError("refusing to start with APP_ENV=production: SESSION_COOKIE_SECURE must be true")
    return secure


def oidc_config(settings: Mapping[str, object]):
    from accounts.oidc import OidcConfigError, config_from

    try:
        return config_from(settings)
    except OidcConfigError as exc:
        raise ConfigError(str(exc)) from exc
