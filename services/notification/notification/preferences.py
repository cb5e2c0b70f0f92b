"""Which optional emails a user gets; no I/O.

An email of a category (a reminder, a manager's message, a change notice) is optional: the user
may turn its category off. One without a category (a registration fact, the confirmation link)
always goes out, and the inbox is always written."""

from dataclasses import dataclass, replace
from typing import Final, Literal, get_args

Category = Literal["reminders", "messages", "changes"]
CATEGORIES: Final[tuple[Category, ...]] = get_args(Category)


@dataclass(frozen=True)
class EmailPreferences:
    reminders: bool = True
    messages: bool = True
    changes: bool = True

    def without(self, category: Category) -> "EmailPreferences":
        return replace(self, **{category: False})


def email_allowed(preferences: EmailPreferences, category: Category | None) -> bool:
    """Whether an email of this category goes out (None: a transactional email, always)."""
    return category is None or bool(getattr(preferences, category))


def category_of(value: str | None) -> Category | None:
    """A stored category as the type it is (None for anything else)."""
    for category in CATEGORIES:
        if value == category:
            return category
    return None
