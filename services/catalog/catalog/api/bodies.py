"""What every request body of the catalog shares: unknown fields refused, PATCH semantics, its
fields handed to the use cases as their typed shape (`catalog.fields`)."""

from collections.abc import Mapping
from typing import ClassVar, Self, TypeVar, cast

from pydantic import BaseModel, ConfigDict, model_validator

from shared.bounds import CompletionRate, Hours, Ident, MaxUsers
from shared.events import EventRegistrationMode, Questions, ReminderHours

Shape = TypeVar("Shape", bound=Mapping[str, object])


def fields_as(
    body: BaseModel, shape: type[Shape], *, exclude_unset: bool = False, exclude_none: bool = False
) -> Shape:
    """The body's fields as `shape`, the TypedDict of its resource: each body field is a key of
    it with the same type (tests/test_fields.py holds them to it). `exclude_unset` leaves out
    the fields the request did not give, but a nested model given (a question) comes whole."""
    dumped = body.model_dump()
    names = body.model_fields_set if exclude_unset else dumped.keys()
    fields = {name: dumped[name] for name in names}
    if exclude_none:
        fields = {name: value for name, value in fields.items() if value is not None}
    return cast(Shape, fields)


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

    def changes(self, shape: type[Shape]) -> Shape:
        """What the PATCH names, as its resource's changes."""
        return fields_as(self, shape, exclude_unset=True)


class RulesPatch(Patch):
    """The registration rules a training's or a session's PATCH may change."""

    nullable = frozenset({"max_users", "waitlist_offer_hours", "completion_rate"})

    public_registration: bool | None = None
    public_unregistration: bool | None = None
    event_registration_mode: EventRegistrationMode | None = None
    max_users: MaxUsers | None = None
    user_validation: bool | None = None
    organization_validation: bool | None = None
    registration_validation: bool | None = None
    validators: list[Ident] | None = None
    confirmation_hours: Hours | None = None
    waitlist_offer_hours: Hours | None = None
    completion_rate: CompletionRate | None = None
    reminder_hours: ReminderHours | None = None
    questions: Questions | None = None
