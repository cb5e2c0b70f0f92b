"""A domain refusal as the HTTP problem the API answers (the domain knows no HTTP)."""

from collections.abc import Callable
from typing import TypeVar

from registration.domain import RegistrationRefused
from shared.problems import Problem, forbidden

T = TypeVar("T")


def decided(decide: Callable[[], T]) -> T:
    """Run a domain decision; a refusal becomes its problem (403, 409, 422...)."""
    try:
        return decide()
    except RegistrationRefused as refused:
        if refused.status == 403:
            raise forbidden(refused.detail) from refused
        raise Problem(refused.status, None, refused.detail) from refused
