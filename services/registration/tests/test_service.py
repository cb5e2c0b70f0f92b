"""Registration use cases on the real database: seats, the line, validations, expiry, replicas,
and the events and commands each change leaves in the outbox."""

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from registration import store
from registration.use_cases.admission import RegistrationRequest
from registration.use_cases.registrations import Registrations
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.auth import Principal
from shared.events import RegistrationUser, SessionData
from shared.listing import Listing
from shared.refusals import Conflict, Forbidden, Invalid, NotFound

from .conftest import session_data

pytestmark = pytest.mark.integration

ADMIN = Principal(sub="admin", roles=("platform_admin",))
MANAGER = Principal(sub="manager", roles=("training_manager",), organizations=("org-a",))


def learner(n: int | str, **claims: Any) -> Principal:
    return Principal(sub=f"learner-{n}", email=f"l{n}@example.org", name=f"L {n}", **claims)


def someone(n: int | str) -> RegistrationUser:
    return RegistrationUser(id=f"learner-{n}", email=f"l{n}@example.org", name=f"L {n}")


async def new_session(registrations: Registrations, **fields: Any) -> SessionData:
    session = session_data(**fields)
    await registrations.replicate_session(str(uuid.uuid4()), "catalog.session.created", session)
    return session


async def update_session(
    registrations: Registrations, session: SessionData, event: str = "updated", **fields: Any
) -> SessionData:
    newer = session.model_copy(update={"version": session.version + 1, **fields})
    await registrations.replicate_session(str(uuid.uuid4()), f"catalog.session.{event}", newer)
    return newer


async def outbox_of(engine: AsyncEngine, reg_id: uuid.UUID) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(store.outbox.c.routing_key, store.outbox.c.payload, store.outbox.c.exchange)
            .where(store.outbox.c.payload["subject"].astext == str(reg_id))
            .order_by(store.outbox.c.seq)
        )
        return [dict(r._mapping) for r in rows]


async def line_of(registrations: Registrations, session_id: uuid.UUID) -> list[tuple[str, int]]:
    items, _ = await registrations.registrations(
        ADMIN,
        {"session_id": session_id, "status": "waitlisted"},
        Listing(limit=500, sort="waitlist_position"),
    )
    return [(r.user.id, r.waitlist_position or 0) for r in items]


async def test_freed_seats_go_to_the_head_of_the_line_in_order(
    registrations: Registrations, engine: AsyncEngine
) -> None:
    session = await new_session(registrations, max_users=2)
    regs = [
        await registrations.register(learner(i), RegistrationRequest(session.id)) for i in range(5)
    ]
    assert [r.status for r in regs] == ["confirmed"] * 2 + ["waitlisted"] * 3
    assert await line_of(registrations, session.id) == [
        ("learner-2", 1),
        ("learner-3", 2),
        ("learner-4", 3),
    ]
    # leaving the line renumbers it, without a gap
    left = await registrations.cancel(MANAGER, regs[3].id, None)
    assert left.status == "cancelled"
    assert left.waitlist_position is None
    assert await line_of(registrations, session.id) == [("learner-2", 1), ("learner-4", 2)]
    # a freed seat goes at once to the head of the line
    await registrations.cancel(MANAGER, regs[0].id, "ill")
    promoted = await registrations.registration(ADMIN, regs[2].id)
    assert promoted.status == "confirmed"
    assert promoted.version == 2
    assert await line_of(registrations, session.id) == [("learner-4", 1)]
    events = [e["routing_key"] for e in await outbox_of(engine, regs[2].id)]
    assert events == [
        "registration.requested",
        "registration.waitlisted",
        "registration.promoted",
        "registration.confirmed",
    ]
    cancelled = (await outbox_of(engine, regs[0].id))[-1]
    assert cancelled["routing_key"] == "registration.cancelled"
    assert cancelled["payload"]["data"]["reason"] == "ill"
    assert cancelled["payload"]["data"]["previous_status"] == "confirmed"
    assert cancelled["payload"]["data"]["actor"] == "manager"
    seats = (await registrations.seats([session.id]))[0]
    assert (seats.taken, seats.waitlisted, seats.free) == (2, 1, 0)


async def test_a_second_active_registration_conflicts_with_the_existing_id(
    registrations: Registrations,
) -> None:
    session = await new_session(registrations)
    first = await registrations.register(learner("dup"), RegistrationRequest(session.id))
    with pytest.raises(Conflict) as refused:
        await registrations.register(learner("dup"), RegistrationRequest(session.id))
    assert refused.value.extra == {"id": str(first.id)}


async def test_the_token_goes_only_to_notification_and_only_its_hash_is_kept(
    registrations: Registrations, engine: AsyncEngine
) -> None:
    session = await new_session(registrations, user_validation=True, confirmation_hours=2)
    reg = await registrations.register(learner("tok"), RegistrationRequest(session.id))
    assert reg.status == "pending"
    assert reg.pending_validations == ["user"]
    out = await outbox_of(engine, reg.id)
    assert [(e["exchange"], e["routing_key"]) for e in out] == [
        ("training.events", "registration.requested"),
        ("training.commands", "notification.send_confirmation"),
    ]
    command = out[1]["payload"]["data"]
    token = command["token"]
    assert len(token) >= 43
    assert command["registration"]["id"] == str(reg.id)
    assert "token" not in str(out[0]["payload"])
    row = await _row(engine, reg.id)
    assert row["confirmation_hash"] == hashlib.sha256(token.encode()).hexdigest()
    deadline = datetime.fromisoformat(command["expires_at"])
    assert deadline - reg.created_at == timedelta(hours=2)

    with pytest.raises(Invalid):
        await registrations.confirm(learner("tok"), reg.id, "not-the-token")
    with pytest.raises(Forbidden):
        await registrations.confirm(learner("else"), reg.id, token)
    confirmed = await registrations.confirm(learner("tok"), reg.id, token)
    assert confirmed.status == "confirmed"
    assert (await _row(engine, reg.id))["confirmation_hash"] is None
    with pytest.raises(Conflict):
        await registrations.confirm(learner("tok"), reg.id, token)
    validated = (await outbox_of(engine, reg.id))[-2]
    assert validated["routing_key"] == "registration.validated"
    assert validated["payload"]["data"]["step"] == "user"


async def test_unconfirmed_requests_expire_and_free_their_seat(
    registrations: Registrations, engine: AsyncEngine
) -> None:
    session = await new_session(
        registrations, user_validation=True, confirmation_hours=1, max_users=1
    )
    first = await registrations.register(learner("exp1"), RegistrationRequest(session.id))
    second = await registrations.register(learner("exp2"), RegistrationRequest(session.id))
    assert (first.status, second.status) == ("pending", "waitlisted")
    assert await registrations.expire_due(datetime.now(UTC)) == 0
    later = datetime.now(UTC) + timedelta(hours=1, seconds=1)
    # the waitlisted one awaits the learner too: both are due
    assert await registrations.expire_due(later) == 2
    for reg in (first, second):
        now = await registrations.registration(ADMIN, reg.id)
        assert now.status == "expired"
        assert (await outbox_of(engine, reg.id))[-1]["routing_key"] == "registration.expired"
    seats = (await registrations.seats([session.id]))[0]
    assert (seats.taken, seats.waitlisted) == (0, 0)


async def test_several_expiries_in_one_round_keep_the_line_gap_free(
    registrations: Registrations, engine: AsyncEngine
) -> None:
    session = await new_session(
        registrations, user_validation=True, confirmation_hours=1, max_users=1
    )
    seated, first, second, last = [
        await registrations.register(learner(f"line{n}"), RegistrationRequest(session.id))
        for n in range(4)
    ]
    assert [r.waitlist_position for r in (first, second, last)] == [1, 2, 3]
    async with engine.begin() as conn:  # the first two in line are overdue, in line order
        for overdue, by in ((first, 2), (second, 1)):
            await conn.execute(
                store.registrations.update()
                .where(store.registrations.c.id == overdue.id)
                .values(expires_at=datetime.now(UTC) - timedelta(seconds=by))
            )
    assert await registrations.expire_due(datetime.now(UTC)) == 2
    moved_up = await registrations.registration(ADMIN, last.id)
    assert (moved_up.status, moved_up.waitlist_position) == ("waitlisted", 1)
    assert moved_up.version == last.version + 2  # once per place it moved up
    assert (await registrations.registration(ADMIN, seated.id)).status == "pending"
    newcomer = await registrations.register(learner("line4"), RegistrationRequest(session.id))
    assert newcomer.waitlist_position == 2
    seats = (await registrations.seats([session.id]))[0]
    assert (seats.taken, seats.waitlisted) == (1, 2)


async def test_confirming_after_the_deadline_expires_the_request(
    registrations: Registrations, engine: AsyncEngine
) -> None:
    session = await new_session(registrations, user_validation=True, confirmation_hours=1)
    reg = await registrations.register(learner("late"), RegistrationRequest(session.id))
    async with engine.begin() as conn:
        await conn.execute(
            store.registrations.update()
            .where(store.registrations.c.id == reg.id)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    with pytest.raises(Conflict):
        await registrations.confirm(learner("late"), reg.id, "whatever")
    assert (await registrations.registration(ADMIN, reg.id)).status == "expired"


async def test_validations_in_order_and_all_for_the_admin(
    registrations: Registrations, engine: AsyncEngine
) -> None:
    session = await new_session(
        registrations,
        user_validation=True,
        organization_validation=True,
        validators=["val-1"],
    )
    me = learner("v", organizations=("org-l",))
    reg = await registrations.register(me, RegistrationRequest(session.id))
    assert reg.pending_validations == ["user", "organization", "validator"]
    org_manager = Principal(sub="om", managed_organizations=("org-l",))
    with pytest.raises(Conflict):
        await registrations.validate(org_manager, reg.id, "organization")
    with pytest.raises(Forbidden):
        await registrations.validate(Principal(sub="x"), reg.id, "organization")
    with pytest.raises(Forbidden):
        await registrations.validate(org_manager, reg.id, "validator")
    done = await registrations.validate(ADMIN, reg.id, "all")
    assert done.status == "confirmed"
    assert done.pending_validations == []
    assert done.version == 4
    out = await outbox_of(engine, reg.id)
    events = [(e["routing_key"], e["payload"]["data"].get("step")) for e in out]
    assert events[-4:] == [
        ("registration.validated", "user"),
        ("registration.validated", "organization"),
        ("registration.validated", "validator"),
        ("registration.confirmed", None),
    ]


async def test_made_for_someone_else_keeps_only_the_user_step(
    registrations: Registrations,
) -> None:
    session = await new_session(
        registrations,
        public_registration=False,
        user_validation=True,
        registration_validation=True,
        tutors=["tutor-1"],
    )
    tutor = Principal(sub="tutor-1")
    reg = await registrations.register(tutor, RegistrationRequest(session.id, someone("t")))
    assert reg.pending_validations == ["user"]
    with pytest.raises(Forbidden):
        await registrations.register(tutor, RegistrationRequest(session.id, someone("u"), True))


async def test_force_goes_beyond_max_users(registrations: Registrations) -> None:
    session = await new_session(registrations, max_users=1)
    await registrations.register(learner("f1"), RegistrationRequest(session.id))
    waiting = await registrations.register(learner("f2"), RegistrationRequest(session.id))
    forced = await registrations.register(
        MANAGER, RegistrationRequest(session.id, someone("f3"), force=True)
    )
    assert forced.status == "confirmed"
    assert forced.forced
    seats = (await registrations.seats([session.id]))[0]
    assert (seats.max_users, seats.taken, seats.waitlisted) == (1, 2, 1)
    # the forced seat leaving frees nothing below the limit: the line waits
    await registrations.cancel(MANAGER, forced.id, None)
    assert (await registrations.registration(ADMIN, waiting.id)).status == "waitlisted"


async def test_raising_max_users_promotes_and_stale_events_change_nothing(
    registrations: Registrations,
) -> None:
    session = await new_session(registrations, max_users=1)
    regs = [
        await registrations.register(learner(f"m{i}"), RegistrationRequest(session.id))
        for i in range(4)
    ]
    raised = await update_session(registrations, session, max_users=3)
    statuses = [(await registrations.registration(ADMIN, r.id)).status for r in regs]
    assert statuses == ["confirmed", "confirmed", "confirmed", "waitlisted"]
    assert await line_of(registrations, session.id) == [("learner-m3", 1)]
    # a replayed older version (max_users=1) changes nothing
    await registrations.replicate_session(str(uuid.uuid4()), "catalog.session.updated", session)
    seats = (await registrations.seats([session.id]))[0]
    assert (seats.max_users, seats.taken) == (3, 3)
    # lowering the limit keeps the seats held
    await update_session(registrations, raised, max_users=1)
    seats = (await registrations.seats([session.id]))[0]
    assert (seats.max_users, seats.taken, seats.waitlisted) == (1, 3, 1)


async def test_a_cancelled_session_ends_every_active_registration(
    registrations: Registrations, engine: AsyncEngine
) -> None:
    session = await new_session(registrations, max_users=1)
    regs = [
        await registrations.register(learner(f"c{i}"), RegistrationRequest(session.id))
        for i in range(2)
    ]
    await update_session(registrations, session, "cancelled", status="cancelled")
    for reg in regs:
        last = (await outbox_of(engine, reg.id))[-1]
        assert last["routing_key"] == "registration.cancelled"
        assert last["payload"]["data"]["reason"] == "session_cancelled"
        assert last["payload"]["data"]["status"] == "cancelled"
    with pytest.raises(Conflict):
        await registrations.register(learner("c9"), RegistrationRequest(session.id))


async def test_a_deleted_session_ends_them_too_and_is_then_unknown(
    registrations: Registrations, engine: AsyncEngine
) -> None:
    session = await new_session(registrations)
    reg = await registrations.register(learner("d"), RegistrationRequest(session.id))
    await update_session(registrations, session, "deleted")
    last = (await outbox_of(engine, reg.id))[-1]
    assert last["payload"]["data"]["reason"] == "session_deleted"
    with pytest.raises(NotFound):
        await registrations.register(learner("d2"), RegistrationRequest(session.id))


async def test_a_move_keeps_the_validations_given(
    registrations: Registrations, engine: AsyncEngine
) -> None:
    source = await new_session(registrations, user_validation=True, registration_validation=True)
    target = await new_session(
        registrations, user_validation=True, registration_validation=True, max_users=1
    )
    me = learner("mv")
    reg = await registrations.register(me, RegistrationRequest(source.id))
    command = (await outbox_of(engine, reg.id))[1]["payload"]["data"]
    await registrations.confirm(me, reg.id, command["token"])
    with pytest.raises(Forbidden):
        await registrations.move(me, reg.id, target.id)
    moved = await registrations.move(MANAGER, reg.id, target.id)
    assert moved.session_id == target.id
    assert moved.status == "pending"
    assert moved.pending_validations == ["registration"]
    old = await registrations.registration(ADMIN, reg.id)
    assert old.status == "cancelled"
    out = await outbox_of(engine, reg.id)
    tail = [(e["routing_key"], e["payload"]["data"].get("reason")) for e in out]
    assert tail[-2:] == [("registration.cancelled", "moved"), ("registration.moved", "moved")]
    with pytest.raises(NotFound):
        await registrations.move(MANAGER, moved.id, uuid.uuid4())


async def test_the_database_refuses_an_oversold_session_and_a_doubled_position(
    registrations: Registrations, engine: AsyncEngine
) -> None:
    session = await new_session(registrations, max_users=1)
    for i in range(3):
        await registrations.register(learner(f"db{i}"), RegistrationRequest(session.id))
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(
                text("UPDATE sessions SET taken = 2 WHERE id = :id"), {"id": session.id}
            )
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "UPDATE registrations SET waitlist_position = 1 "
                    "WHERE session_id = :id AND status = 'waitlisted'"
                ),
                {"id": session.id},
            )


async def test_lists_show_what_each_caller_may_act_on(registrations: Registrations) -> None:
    session = await new_session(registrations, tutors=["tutor-list"])
    other = await new_session(registrations, organizations=["org-z"])
    mine = await registrations.register(
        learner("li", organizations=("org-li",)), RegistrationRequest(session.id)
    )
    theirs = await registrations.register(learner("lj"), RegistrationRequest(other.id))

    async def ids(actor: Principal) -> set[uuid.UUID]:
        items, _ = await registrations.registrations(actor, {}, Listing(limit=500))
        return {r.id for r in items}

    assert await ids(learner("li")) == {mine.id}
    assert mine.id in await ids(Principal(sub="tutor-list"))
    assert theirs.id not in await ids(Principal(sub="tutor-list"))
    assert mine.id in await ids(Principal(sub="om", managed_organizations=("org-li",)))
    assert mine.id in await ids(MANAGER)
    assert theirs.id not in await ids(MANAGER)
    assert {mine.id, theirs.id} <= await ids(ADMIN)


async def _row(engine: AsyncEngine, reg_id: uuid.UUID) -> dict[str, Any]:
    async with engine.connect() as conn:
        row = await conn.execute(
            select(store.registrations).where(store.registrations.c.id == reg_id)
        )
        return dict(row.mappings().one())
