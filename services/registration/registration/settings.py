from pydantic import Field

from shared.settings import ServiceSettings, default_database_url


class RegistrationSettings(ServiceSettings):
    port: int = Field(default=8002, validation_alias="REGISTRATION_PORT")
    database_url: str = Field(
        default=default_database_url("registration"), validation_alias="REGISTRATION_DATABASE_URL"
    )
    own_amqp_url: str | None = Field(default=None, validation_alias="REGISTRATION_AMQP_URL")
