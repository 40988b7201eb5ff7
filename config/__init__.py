"""Settings (defaults + environment variables) and the YAML rules that council staff edit."""

from config.settings import CONFIG_DIR, ConfigError, load_settings

__all__ = ["CONFIG_DIR", "ConfigError", "load_settings"]
