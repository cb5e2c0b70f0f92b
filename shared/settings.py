"""Configuration every service shares: environment variables only, or `.env`
(docs/reference/configuration.md)."""

from collections.abc import Callable
from typing import Literal, Self, TypeVar

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "dev-secret-change-me-0123456789abcdef"  # noqa: S105 - the documented local default
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_GATEWAY_PORT = 8080


Environment = Literal["local", "staging", "production"]


def default_database_url(service: str) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/training_{service}"


class ServiceSettings(BaseSettings):
    """What every service reads; each service adds its own port and database URL."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    host: str = Field(default="127.0.0.1", validation_alias="HOST")
    gateway_port: int = Field(default=DEFAULT_GATEWAY_PORT, validation_alias="GATEWAY_PORT")
    amqp_url: str = Field(default=DEFAULT_AMQP_URL, validation_alias="AMQP_URL")
    """The broker URL this service connects with: its own one when set (below), else AMQP_URL."""
    jwt_secret: str = Field(default=DEV_JWT_SECRET, validation_alias="JWT_SECRET")
    jwt_jwks_url: str | None = Field(default=None, validation_alias="JWT_JWKS_URL")
    jwt_audience: str | None = Field(default=None, validation_alias="JWT_AUDIENCE")
    jwt_issuer: str | None = Field(default=None, validation_alias="JWT_ISSUER")
    smtp_url: str | None = Field(default=None, validation_alias="SMTP_URL")
    public_url_override: str | None = Field(default=None, validation_alias="PUBLIC_URL")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    environment: Environment = Field(default="local", validation_alias="ENVIRONMENT")
    # each service redeclares these with its own variable names (CATALOG_PORT, ...)
    port: int = 0
    database_url: str = ""
    own_amqp_url: str | None = None
    """`<SERVICE>_AMQP_URL`: the service's own broker user (docs/reference/events.md, Sources)."""

    @property
    def public_url(self) -> str:
        return (self.public_url_override or f"http://127.0.0.1:{self.gateway_port}").rstrip("/")

    @field_validator("jwt_jwks_url", "jwt_audience", "jwt_issuer", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `JWT_AUDIENCE=` in a `.env` (or an empty value in a manifest) leaves it unset: an empty
        # JWT_JWKS_URL is no identity provider, the secret must then be one of our own
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _audience_and_issuer_with_jwks(self) -> Self:
        # an identity provider signs the tokens of all its applications with the keys of its JWKS
        if not self.jwt_jwks_url:
            return self
        named = {"JWT_AUDIENCE": self.jwt_audience, "JWT_ISSUER": self.jwt_issuer}
        missing = [variable for variable, value in named.items() if value is None]
        if missing:
            raise ValueError(
                f"JWT_JWKS_URL needs {' and '.join(missing)} too: without "
                f"{'them' if len(missing) > 1 else 'it'}, the identity provider's tokens for "
                "other applications would be accepted"
            )
        return self

    @model_validator(mode="after")
    def _own_broker_user(self) -> Self:
        if self.own_amqp_url:
            self.amqp_url = self.own_amqp_url
        return self

    @model_validator(mode="after")
    def _own_secret_outside_local(self) -> Self:
        # the development secret is public: anyone could mint a platform_admin token with it
        uses_hs256 = self.jwt_jwks_url is None
        weak = not self.jwt_secret.strip() or self.jwt_secret == DEV_JWT_SECRET
        if self.environment != "local" and uses_hs256 and weak:
            raise ValueError(
                f"ENVIRONMENT={self.environment} needs a JWT_SECRET of its own (or JWT_JWKS_URL): "
                "the development secret is public, anyone could sign tokens with it"
            )
        return self


class SettingsError(ValueError):
    """The environment holds settings a service cannot start with; the message says which."""


Settings = TypeVar("Settings", bound=ServiceSettings)


def read_settings(settings: Callable[[], Settings]) -> Settings:
    """`settings()` from the environment, every problem in it one line of a `SettingsError`."""
    try:
        return settings()
    except ValidationError as error:
        raise SettingsError(settings_problem(error)) from None


def settings_problem(error: ValidationError) -> str:
    """One line naming each variable that is wrong and why (for a refusal to start)."""
    problems = []
    for detail in error.errors(include_url=False):
        message = str(detail["msg"]).removeprefix("Value error, ")
        variable = ".".join(str(part) for part in detail["loc"])
        if variable and "input" in detail and not _may_hold_a_secret(variable):
            message = f"{variable}={detail['input']!r}: {message}"
        elif variable:
            message = f"{variable}: {message}"
        problems.append(message)
    return "; ".join(problems)


def _may_hold_a_secret(variable: str) -> bool:
    return any(word in variable.upper() for word in ("SECRET", "PASSWORD", "URL", "TOKEN"))
