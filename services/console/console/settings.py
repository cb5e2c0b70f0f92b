"""The console's configuration (docs/console.md): environment variables only, or `.env`."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import DEFAULT_GATEWAY_PORT, Environment


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    host: str = Field(default="127.0.0.1", validation_alias="HOST")
    port: int = Field(default=8004, validation_alias="CONSOLE_PORT")
    gateway_port: int = Field(default=DEFAULT_GATEWAY_PORT, validation_alias="GATEWAY_PORT")
    api_url_override: str | None = Field(default=None, validation_alias="CONSOLE_API_URL")
    """Where the console reaches the public API: the gateway, like any other client."""
    time_zone: str = Field(default="Europe/Paris", validation_alias="CONSOLE_TIME_ZONE")
    """Where the trainings take place: the offset a time typed into a form gets."""
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    environment: Environment = Field(default="local", validation_alias="ENVIRONMENT")

    @property
    def api_url(self) -> str:
        return (self.api_url_override or f"http://127.0.0.1:{self.gateway_port}").rstrip("/")

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"not a time zone of the IANA database: {value!r}") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)
