"""Configuration every service shares: environment variables only (CONTRACT §1), or `.env`."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "dev-secret-change-me-0123456789abcdef"  # noqa: S105 - the documented local default
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_GATEWAY_PORT = 8080


def default_database_url(service: str) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/training_{service}"


class ServiceSettings(BaseSettings):
    """What every service reads; each service adds its own port and database URL."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    host: str = Field(default="127.0.0.1", validation_alias="HOST")
    gateway_port: int = Field(default=DEFAULT_GATEWAY_PORT, validation_alias="GATEWAY_PORT")
    amqp_url: str = Field(default=DEFAULT_AMQP_URL, validation_alias="AMQP_URL")
    jwt_secret: str = Field(default=DEV_JWT_SECRET, validation_alias="JWT_SECRET")
    jwt_jwks_url: str | None = Field(default=None, validation_alias="JWT_JWKS_URL")
    smtp_url: str | None = Field(default=None, validation_alias="SMTP_URL")
    public_url_override: str | None = Field(default=None, validation_alias="PUBLIC_URL")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    # each service redeclares these two with its own variable names (CATALOG_PORT, ...)
    port: int = 0
    database_url: str = ""

    @property
    def public_url(self) -> str:
        return (self.public_url_override or f"http://127.0.0.1:{self.gateway_port}").rstrip("/")
