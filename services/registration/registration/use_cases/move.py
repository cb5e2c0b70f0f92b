"""Moving a registration to another session: the old one ends `cancelled` (reason `moved`), a
new one in the target session keeps the validations already given and the answers that fit the
target's questions — both sessions locked."""

import uuid
from dataclasses import replace
from datetime import UTC, datetime

from registration import domain, store
from registration.answers import Answers, carried_answers
from registration.records import SessionRow
from registration.use_cases.announcements import announce, confirmation_command
from registration.use_cases.changes import (
    apply,
    by_manager,
    confirmation,
    new_row,
    registration_of,
    seated,
    state_of,
)
from registration.use_cases.rights import session_rights
from registration.use_cases.seat_book import SeatBook, SeatBooks
from shared.auth import Principal
from shared.events import Registration, RegistrationUser, SessionRules, ValidationStep
from shared.refusals import conflict, forbidden, not_found


async def move(
    books: SeatBooks, actor: Principal, reg_id: uuid.UUID, target_id: uuid.UUID
) -> Registration:
    """Answers the new registration."""
    now = datetime.now(UTC)
    async with books.transaction() as book:
        found = await book.registration_by_id(reg_id)
        if found is None:
            raise not_found("registration", reg_id)
        if found["session_id"] == target_id:
            raise conflict("The registration is already in that session.", id=str(reg_id))
        locked = {
            row["id"]: row for row in await book.lock_sessions([found["session_id"], target_id])
        }
        source, target = locked.get(found["session_id"]), locked.get(target_id)
        row = await book.registration_by_id(reg_id)
        assert row is not None
        assert source is not None
        old = registration_of(row)
        rights = session_rights(actor, source, old.user)
        if not rights.may_read:
            raise forbidden("Only a manager moves a registration.")
        if target is None or target["status"] == "deleted":
            raise not_found("session", target_id)
        if not actor.manages_training_of(target["organizations"]):
            raise forbidden("Only a manager of the target session's training moves to it.")
        if target["status"] == "cancelled":
            raise conflict("The target session is cancelled.", session_id=str(target_id))
        change = domain.move_out(state_of(row), rights)
        existing = await book.active_registration_id(target_id, old.user.id)
        if existing is not None:
            raise conflict("Already registered to the target session.", id=str(existing))
        rules = SessionRules.model_validate(target["rules"])
        required = domain.required_validations(rules, by_manager=by_manager(row))
        pending = domain.carried_validations(required, row["validations_given"])
        moved = await _move_in(
            book,
            target,
            actor,
            old.user,
            pending,
            now=now,
            requested_by=row["requested_by"],
            given=row["validations_given"],
            answers=carried_answers(row["answers"], rules.questions),
        )
        change = replace(change, moved_to=(moved.id, moved.session_id))
        await apply(book, source, row, [change], actor.sub, now)
        return moved


async def _move_in(
    book: SeatBook,
    session: SessionRow,
    actor: Principal,
    learner: RegistrationUser,
    pending: list[ValidationStep],
    *,
    now: datetime,
    requested_by: str | None,
    given: list[ValidationStep],
    answers: Answers,
) -> Registration:
    """The new registration in the target session, decided against its seats as a new one."""
    rules = SessionRules.model_validate(session["rules"])
    admission = domain.admit(store.seats_of(session), pending, force=False)
    await book.set_seats(session["id"], admission.seats)
    seated(session, admission.seats)
    token, expires_at = confirmation(pending, rules, now)
    values = new_row(
        session,
        learner,
        admission,
        pending,
        force=False,
        now=now,
        requested_by=requested_by,
        given=given,
        token=token,
        expires_at=expires_at,
        answers=answers,
    )
    row = await book.insert_registration(values)
    registration = registration_of(row)
    await announce(book, "requested", registration, actor.sub)
    if admission.status in ("confirmed", "waitlisted"):
        await announce(book, admission.status, registration, actor.sub)
    await book.registration_changed(row, None, actor.sub, now)
    if token and expires_at:
        await book.record_command(confirmation_command(registration, token, expires_at))
    return registration
