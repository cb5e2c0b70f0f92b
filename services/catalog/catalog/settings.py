from pydantic import Field

from shared.settings import ServiceSettings, default_database_url


class CatalogSettings(ServiceSettings):
    port: int = Field(default=8001, validation_alias="CATALOG_PORT")
    database_url: str = Field(
        default=default_database_url("catalog"), validation_alias="CATALOG_DATABASE_URL"
    )
    own_amqp_url: str | None = Field(default=None, validation_alias="CATALOG_AMQP_URL")
