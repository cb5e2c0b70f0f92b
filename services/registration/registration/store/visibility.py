"""Who sees which registrations in a listing, as the queries filter them."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, cast
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import array as pg_array


@dataclass(frozen=True)
class Visibility:
    """A caller who is not platform_admin: their `sub`, the `organizations` whose trainings they
    manage (training_manager) and the `managed_organizations` whose learners they manage."""

    sub: str
    organizations: Sequence[str] = ()
    managed_organizations: Sequence[str] = ()


def texts(values: Sequence[str]) -> Any:
    """A text array parameter, for `jsonb_exists_any`."""
    return cast(pg_array(list(values)), ARRAY(Text))
