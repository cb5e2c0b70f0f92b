from pydantic import Field

from shared.settings import ServiceSettings, default_database_url


class NotificationSettings(ServiceSettings):
    port: int = Field(default=8003, validation_alias="NOTIFICATION_PORT")
    database_url: str = Field(
        default=default_database_url("notification"), validation_alias="NOTIFICATION_DATABASE_URL"
    )
