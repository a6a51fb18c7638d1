"""The one exception tree of tokenledger.

Every error the package raises on purpose is a `TokenLedgerError`. Messages name the
bad value and say what to do next, because they end up in front of users of the CLI
and in gateway error bodies.
"""

from __future__ import annotations


class TokenLedgerError(Exception):
    """Base of every error tokenledger raises on purpose."""


class InvalidUsageError(TokenLedgerError, ValueError):
    """A token count that cannot be stored: negative, fractional or not a number."""


class ConfigError(TokenLedgerError):
    """The config file, or an environment variable, says something we cannot use."""


class UnknownModelError(TokenLedgerError):
    """No upstream serves the model, or the catalog has no entry for it."""

    def __init__(self, model: str, hint: str = "") -> None:
        self.model = model
        message = f"unknown model {model!r}"
        super().__init__(f"{message}: {hint}" if hint else message)


class MissingKeyError(TokenLedgerError):
    """A provider key is needed and the environment variable that holds it is empty."""

    def __init__(self, provider: str, env_var: str) -> None:
        self.provider = provider
        self.env_var = env_var
        super().__init__(f"no API key for {provider}: set the environment variable {env_var}")


class UpstreamError(TokenLedgerError):
    """The provider answered with an error, or could not be reached at all."""

    def __init__(self, status: int, message: str, *, provider: str = "") -> None:
        self.status = status
        self.provider_message = message
        self.provider = provider
        who = provider or "upstream"
        super().__init__(f"{who} answered HTTP {status}: {message}")


class BudgetExceededError(TokenLedgerError):
    """A request would take a user or team past a hard budget."""


class ContextLimitExceededError(TokenLedgerError):
    """A request would not fit in the model's context window."""

    def __init__(self, model: str, needed_tokens: int, limit_tokens: int) -> None:
        self.model = model
        self.needed_tokens = needed_tokens
        self.limit_tokens = limit_tokens
        super().__init__(
            f"{model} holds {limit_tokens} tokens and this request needs {needed_tokens}: "
            "shorten the history or pick a model with a larger context window"
        )
