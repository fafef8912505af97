"""The training layer's user-error type (light: importing it pulls in no Lightning)."""


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the key."""
