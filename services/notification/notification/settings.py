from pydantic import Field

from shared.settings import ServiceSettings, default_database_url


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
    send_batch_size: int = Field(default=20, ge=1, validation_alias="NOTIFICATION_SEND_BATCH_SIZE")
    smtp_timeout_seconds: float = Field(
        default=30.0, gt=0, validation_alias="NOTIFICATION_SMTP_TIMEOUT_SECONDS"
    )
