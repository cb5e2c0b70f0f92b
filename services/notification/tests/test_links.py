"""The secrets of feed and unsubscribe URLs, a feed's ETag, the log lines without them; no I/O."""

import logging

import pytest
from notification.feeds import etag_of, not_modified
from notification.links import Links, digest, well_formed
from notification.preferences import EmailPreferences, email_allowed
from notification.redaction import SecretPaths, redact_paths

pytestmark = pytest.mark.unit

LINKS = Links("https://lms.example.org", "k" * 32)


def test_a_secret_is_the_same_each_time_and_another_for_anything_else() -> None:
    secret = LINKS.feed_secret("ada", 0)
    assert secret == LINKS.feed_secret("ada", 0)
    assert well_formed(secret)
    others = {
        LINKS.feed_secret("ada", 1),
        LINKS.feed_secret("bob", 0),
        Links(LINKS.public_url, "another key of 32 characters!!!!").feed_secret("ada", 0),
        LINKS.unsubscribe_token("ada", "messages"),
        LINKS.unsubscribe_token("ada", "reminders"),
    }
    assert secret not in others
    assert len(others) == 5
    assert LINKS.feed_url(secret) == f"https://lms.example.org/calendar/{secret}.ics"
    assert digest(secret) != secret
    assert len(digest(secret)) == 64
    # the parts are kept apart: ("a", "b\0c") and ("a\0b", "c") are not the same input
    assert LINKS.feed_secret("ada\x001", 0) != LINKS.feed_secret("ada", 10)


@pytest.mark.parametrize("value", ["", "a" * 42, "a" * 44, "a" * 42 + "=", "a" * 42 + "/"])
def test_a_secret_has_one_shape(value: str) -> None:
    assert not well_formed(value)


def test_only_optional_emails_follow_the_preferences() -> None:
    off = EmailPreferences().without("messages")
    assert off == EmailPreferences(messages=False)
    assert not email_allowed(off, "messages")
    assert email_allowed(off, "reminders")
    assert email_allowed(EmailPreferences(False, False, False), None)


def test_if_none_match() -> None:
    etag = etag_of("BEGIN:VCALENDAR")
    assert etag == etag_of("BEGIN:VCALENDAR") != etag_of("BEGIN:VCALENDAR ")
    assert not_modified(etag, etag)
    assert not_modified(f'"other", W/{etag}', etag)
    assert not_modified("*", etag)
    assert not not_modified(None, etag)
    assert not not_modified('"other"', etag)


def test_log_lines_name_the_secret_paths_without_their_secret() -> None:
    assert redact_paths("GET /calendar/abc_-9.ics 200") == "GET /calendar/*** 200"
    assert (
        redact_paths("POST /unsubscribe/xyz: the database") == "POST /unsubscribe/*** the database"
    )
    assert redact_paths("POST /api/calendar/rotate 200") == "POST /api/calendar/rotate 200"
    record = logging.LogRecord(
        "access", logging.INFO, __file__, 1, "%s %s %d", ("GET", "/calendar/s.ics", 200), None
    )
    assert SecretPaths().filter(record)
    assert record.getMessage() == "GET /calendar/*** 200"
