"""Every Prometheus metric the services expose at `GET /metrics` (docs/operations.md, Metrics).

One registry per process (prometheus_client's default): each replica exposes its own numbers,
and Prometheus sums them. Label values are bounded: a service, a queue, a route template, a
status, an event type, an outcome; never a user, a registration or a raw path.
"""

from prometheus_client import Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Seconds: a request, an SMTP exchange."""
LATENESS_BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0)
"""Seconds after its time that something due happened (an expiry, a reminder)."""
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500)

# --- HTTP (every service) ----------------------------------------------------------------------

http_requests = Counter(
    "http_requests_total",
    "HTTP requests answered, by route template (or `unmatched`) and status.",
    ["service", "method", "route", "status"],
)
http_request_duration = Histogram(
    "http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by route template.",
    ["service", "method", "route"],
    buckets=LATENCY_BUCKETS,
)

# --- messaging (every service) -----------------------------------------------------------------

messages_consumed = Counter(
    "messages_consumed_total",
    "Deliveries consumed from a service queue, by outcome: handled, duplicate (dropped by the "
    "inbox), retried (parked on a retry queue), dead_lettered.",
    ["service", "queue", "outcome"],
)
outbox_rows_waiting = Gauge(
    "outbox_rows_waiting",
    "Outbox rows committed and not yet published, as the relay last counted them.",
    ["service"],
)
outbox_oldest_row_age = Gauge(
    "outbox_oldest_row_age_seconds",
    "Age of the oldest outbox row not yet published (0 when none), as the relay last saw it.",
    ["service"],
)
events_published = Counter(
    "events_published_total",
    "Outbox rows (events and commands) published and confirmed by RabbitMQ, by CloudEvents type.",
    ["service", "type"],
)

# --- registration ------------------------------------------------------------------------------

registration_decisions = Counter(
    "registration_decisions_total",
    "Registration decisions committed, by outcome: seat (pending or confirmed), waitlist, "
    "offer (a freed seat offered to the head of the line), refused (the request answered 4xx).",
    ["outcome"],
)
registration_batch_size = Histogram(
    "registration_batch_size",
    "New registration requests decided together in one transaction (one admission batch).",
    buckets=BATCH_BUCKETS,
)
registration_expiry_lateness = Histogram(
    "registration_expiry_lateness_seconds",
    "How long after its deadline an unconfirmed request or an offer was ended (expired).",
    buckets=LATENESS_BUCKETS,
)

# --- notification ------------------------------------------------------------------------------

notification_emails = Counter(
    "notification_emails_total",
    "Email attempts and decisions, by status: sent, captured (no SMTP_URL), retried (a failed "
    "attempt to be tried again), failed (the last attempt failed), suppressed (turned off by "
    "its recipient).",
    ["status"],
)
notification_smtp_send_duration = Histogram(
    "notification_smtp_send_duration_seconds",
    "Duration of one SMTP exchange (one email), whatever its outcome.",
    buckets=LATENCY_BUCKETS,
)
notification_reminders_due = Gauge(
    "notification_reminders_due",
    "Reminders due and not yet sent or dropped, as the scheduler last counted them.",
)
notification_reminders_late = Gauge(
    "notification_reminders_late_seconds",
    "How long ago the oldest reminder still unsent fell due (0 when none is), as the scheduler "
    "last saw it.",
)
notification_reminder_lateness = Histogram(
    "notification_reminder_lateness_seconds",
    "How long after its due time each reminder was written for sending.",
    buckets=LATENESS_BUCKETS,
)
