"""What every request body of the catalog shares: unknown fields refused, PATCH semantics."""

from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, model_validator

from shared.bounds import Hours, Ident, MaxUsers
from shared.events import EventRegistrationMode


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Patch(Strict):
    """Only the fields a PATCH names change; `null` is refused except where a field may be empty."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _null_only_where_allowed(self) -> Self:
        for name in self.model_fields_set:
            if getattr(self, name) is None and name not in self.nullable:
                raise ValueError(f"{name} may not be null")
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class RulesPatch(Patch):
    """The registration rules a training's or a session's PATCH may change."""

    public_registration: bool | None = None
    public_unregistration: bool | None = None
    event_registration_mode: EventRegistrationMode | None = None
    max_users: MaxUsers | None = None
    user_validation: bool | None = None
    organization_validation: bool | None = None
    registration_validation: bool | None = None
    validators: list[Ident] | None = None
    confirmation_hours: Hours | None = None
