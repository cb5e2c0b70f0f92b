"""Log lines without the secrets of the URLs that are their own credential: a calendar feed's
path and an unsubscribe link's are written `/calendar/***`, `/unsubscribe/***` by the loggers
that name a request's path (the access log, the server-error handler's)."""

import logging
import re
from typing import Final

SECRET_PATH: Final = re.compile(r"(?<!/api)/(calendar|unsubscribe)/[^\s\"']+")
LOGGERS: Final = ("access", "shared.problems")


def redact_paths(text: str) -> str:
    return SECRET_PATH.sub(r"/\1/***", text)


class SecretPaths(logging.Filter):
    """Rewrites a record's message and string arguments before any handler sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_paths(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_paths(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


def redact_secret_paths() -> None:
    """Once per process, whatever the number of apps made in it."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, SecretPaths) for existing in logger.filters):
            logger.addFilter(SecretPaths())
