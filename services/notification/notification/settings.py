import hmac
from typing import Self

from pydantic import Field, field_validator, model_validator

from shared.settings import ServiceSettings, default_database_url

LINK_SECRET_MIN_LENGTH = 32


class NotificationSettings(ServiceSettings):
    port: int = Field(default=8003, validation_alias="NOTIFICATION_PORT")
    database_url: str = Field(
        default=default_database_url("notification"), validation_alias="NOTIFICATION_DATABASE_URL"
    )
    own_amqp_url: str | None = Field(default=None, validation_alias="NOTIFICATION_AMQP_URL")
    mail_from: str = Field(
        default="Formation <no-reply@training.local>", validation_alias="NOTIFICATION_MAIL_FROM"
    )
    # the sender loop: attempts per email, back-off doubling from base up to max, polling
    send_max_attempts: int = Field(
        default=8, ge=1, validation_alias="NOTIFICATION_SEND_MAX_ATTEMPTS"
    )
    send_backoff_seconds: float = Field(
        default=5.0, gt=0, validation_alias="NOTIFICATION_SEND_BACKOFF_SECONDS"
    )
    send_backoff_max_seconds: float = Field(
        default=900.0, gt=0, validation_alias="NOTIFICATION_SEND_BACKOFF_MAX_SECONDS"
    )
    send_poll_seconds: float = Field(
        default=2.0, gt=0, validation_alias="NOTIFICATION_SEND_POLL_SECONDS"
    )
    send_batch_size: int = Field(default=100, ge=1, validation_alias="NOTIFICATION_SEND_BATCH_SIZE")
    smtp_timeout_seconds: float = Field(
        default=30.0, gt=0, validation_alias="NOTIFICATION_SMTP_TIMEOUT_SECONDS"
    )
    # the reminder scheduler's longest sleep: a reminder goes out at most about this late
    reminder_poll_seconds: float = Field(
        default=5.0, gt=0, le=50, validation_alias="NOTIFICATION_REMINDER_POLL_SECONDS"
    )
    # what the secrets of calendar feed and unsubscribe URLs are derived with (links.py);
    # unset, a key derived from JWT_SECRET
    link_secret: str | None = Field(default=None, validation_alias="NOTIFICATION_LINK_SECRET")

    @field_validator("link_secret", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def link_key(self) -> str:
        if self.link_secret:
            return self.link_secret
        return hmac.new(self.jwt_secret.encode(), b"notification links", "sha256").hexdigest()

    @model_validator(mode="after")
    def _a_link_key_of_its_own_outside_local(self) -> Self:
        if self.environment == "local":
            return self
        if self.link_secret is not None and len(self.link_secret) < LINK_SECRET_MIN_LENGTH:
            raise ValueError(
                f"NOTIFICATION_LINK_SECRET must be {LINK_SECRET_MIN_LENGTH} characters at least"
            )
        if self.link_secret is None and self.jwt_jwks_url is not None:
            # JWT_SECRET is then no secret of ours to derive the key from
            raise ValueError(
                f"ENVIRONMENT={self.environment} with JWT_JWKS_URL needs a NOTIFICATION_LINK_SECRET"
            )
        return self
