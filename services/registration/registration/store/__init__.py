"""The queries on registration's tables (`registration.tables`): the only package that writes
SQL, one module per aggregate, every row typed (`registration.records`).

`session_replica` (catalog's sessions, their seats and locks), `session_registrations`,
`event_replica` (catalog's events, their seats and locks), `event_places` (event
registrations), `curriculum_replica`, `training_replica`, `attendance_reports` (what the
attendance reports and documents read), `certificates`, `journal` (the outbox, and the inbox of
refused commands);
`lines` and `replicas` hold what two aggregates share. Callers name them all as `store.<name>`,
the tables too.
"""

from registration.store.attendance_reports import registered_presences, session_events
from registration.store.certificates import certificate_by_id, issue_certificate
from registration.store.curriculum_replica import (
    curriculum_by_id,
    curriculum_subtree,
    lock_curriculum,
)
from registration.store.event_places import (
    active_event_registration_id,
    active_event_registrations,
    event_head_of_line,
    event_registration_by_id,
    insert_event_registration,
    list_event_registrations,
    move_event_line_up,
    update_event_registration,
)
from registration.store.event_replica import (
    event_by_id,
    lock_auto_events,
    lock_event,
    lock_events,
    set_event_seats,
)
from registration.store.journal import (
    forget_commands,
    record_all,
    record_command,
    record_event,
)
from registration.store.replicas import insert_replica_if_new, update_replica
from registration.store.session_registrations import (
    active_registration_id,
    active_registration_ids,
    active_registrations,
    confirmed_registration,
    confirmed_registrations,
    due_registrations,
    head_of_line,
    insert_registration,
    insert_registrations,
    latest_registration,
    list_registrations,
    move_line_up,
    registration_by_id,
    session_registrations,
    update_registration,
)
from registration.store.session_replica import (
    insert_session_if_new,
    lock_session,
    lock_sessions,
    lock_sessions_with_due_requests,
    seats_for,
    seats_of,
    session_by_id,
    session_values,
    sessions_of_trainings,
    set_seats,
    update_session,
)
from registration.store.training_replica import lock_training, training_by_id
from registration.store.visibility import Visibility
from registration.tables import (
    certificates,
    curricula,
    event_registrations,
    events,
    idempotency_keys,
    inbox,
    metadata,
    outbox,
    registrations,
    sessions,
    trainings,
)

__all__ = [
    "Visibility",
    "active_event_registration_id",
    "active_event_registrations",
    "active_registration_id",
    "active_registration_ids",
    "active_registrations",
    "certificate_by_id",
    "certificates",
    "confirmed_registration",
    "confirmed_registrations",
    "curricula",
    "curriculum_by_id",
    "curriculum_subtree",
    "due_registrations",
    "event_by_id",
    "event_head_of_line",
    "event_registration_by_id",
    "event_registrations",
    "events",
    "forget_commands",
    "head_of_line",
    "idempotency_keys",
    "inbox",
    "insert_event_registration",
    "insert_registration",
    "insert_registrations",
    "insert_replica_if_new",
    "insert_session_if_new",
    "issue_certificate",
    "latest_registration",
    "list_event_registrations",
    "list_registrations",
    "lock_auto_events",
    "lock_curriculum",
    "lock_event",
    "lock_events",
    "lock_session",
    "lock_sessions",
    "lock_sessions_with_due_requests",
    "lock_training",
    "metadata",
    "move_event_line_up",
    "move_line_up",
    "outbox",
    "record_all",
    "record_command",
    "record_event",
    "registered_presences",
    "registration_by_id",
    "registrations",
    "seats_for",
    "seats_of",
    "session_by_id",
    "session_events",
    "session_registrations",
    "session_values",
    "sessions",
    "sessions_of_trainings",
    "set_event_seats",
    "set_seats",
    "training_by_id",
    "trainings",
    "update_event_registration",
    "update_registration",
    "update_replica",
    "update_session",
]
