"""registration.* in batches: what a burst of registrations makes notification tell, for the
cost of a few statements per batch rather than a dozen per fact.

A batch is one transaction: the facts' inbox rows (one insert), the sessions they name and the
registrations they change (locked, then read, in one statement each), the roster and contacts
written (one upsert each), the validators' contacts (one query), then the notices of every fact
rendered and written (one insert of inbox messages, one of emails). The facts are applied in the
order they were delivered, as if one after the other: each finds the registration as the facts
before it in the batch left it (a stale one tells no one), and each fact's inbox messages and
emails keep that order.

A fact naming a session not known yet is left out of the batch (no inbox row) and retried with
the queue's back-off, as before; on its last attempt it is told with what we know. Should the
batch fail as a whole, each fact is applied again in a transaction of its own, so that only the
one that fails is retried.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notification import domain, fact_store, store, tables
from notification.records import ContactValues, RegistrationState, RegistrationValues
from notification.registration_notices import registration_notices
from notification.use_cases import changes
from notification.use_cases.facts import REGISTRATIONS, NotKnownYet, contact_row, roster_row
from notification.use_cases.notices import Letterhead, Told, deliver_all
from notification.use_cases.views import recipient, session_view
from shared.db import transaction
from shared.events import CloudEvent, RegistrationData
from shared.messaging import first_deliveries
from shared.messaging.batches import Outcomes, Trace
from shared.metrics import delivery_duplicates
from shared.tracing import context_of, within

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Heard:
    """A fact as delivered: on its last attempt or not, and the trace its emails continue."""

    event: CloudEvent
    last_chance: bool = True
    trace: Trace | None = None


@dataclass(frozen=True)
class _Fact:
    heard: Heard
    data: RegistrationData
    session: domain.SessionView | None
    before: RegistrationState | None = None


async def on_registration_facts(
    sessions: async_sessionmaker[AsyncSession], letterhead: Letterhead, heard: Sequence[Heard]
) -> Outcomes:
    """registration.*: the roster and contacts, then the learners' (and validators') notices;
    the outcome of each fact, in order (None: told, or a duplicate)."""
    try:
        async with transaction(sessions) as db:
            return await _tell(db, letterhead, heard)
    except Exception as error:
        if len(heard) == 1:
            return [error]
        log.warning("a batch of %d facts failed, each on its own now: %r", len(heard), error)
    outcomes: list[Exception | None] = []
    for one in heard:
        try:
            async with transaction(sessions) as db:
                outcomes += await _tell(db, letterhead, [one])
        except Exception as error:
            outcomes.append(error)
    return outcomes


async def _tell(db: AsyncSession, letterhead: Letterhead, heard: Sequence[Heard]) -> Outcomes:
    outcomes: list[Exception | None] = [None] * len(heard)
    datas: dict[int, RegistrationData] = {}
    for n, one in enumerate(heard):
        try:
            datas[n] = RegistrationData.model_validate(one.event.data)
        except ValueError as error:  # retried, then parked, as any fact that fails
            outcomes[n] = error
    known_sessions = await fact_store.sessions_by_ids(db, {d.session_id for d in datas.values()})
    facts: list[_Fact] = []
    for n, data in datas.items():
        session = session_view(known_sessions.get(data.session_id))
        if session is None and not heard[n].last_chance:
            outcomes[n] = NotKnownYet(f"session {data.session_id} is not known yet")
        else:
            facts.append(_Fact(heard[n], data, session))
    facts = await _first_deliveries(db, facts)
    facts = await _apply_in_order(db, facts)
    validators = sorted({v for fact in facts if fact.session for v in fact.session.validators})
    contacts = {
        user_id: recipient(row)
        for user_id, row in (await store.contacts_of(db, validators)).items()
    }
    told = []
    for fact in facts:
        notices = registration_notices(
            fact.heard.event.type.removeprefix("registration."),
            fact.heard.event.id,
            fact.data,
            fact.session,
            public_url=letterhead.public_url,
            known_version=fact.before.version if fact.before else None,
            contacts=contacts,
        )
        told.append(Told(notices, fact.heard.trace or {}))
    await deliver_all(db, letterhead, told)
    for fact in facts:
        data = fact.data
        ended = data.status not in domain.ACTIVE
        if ended and not domain.is_stale(
            data.version, fact.before.version if fact.before else None
        ):
            with within(context_of(fact.heard.trace or {})):
                await changes.registration_ended(db, letterhead, data, fact.session)
    return outcomes


async def _first_deliveries(db: AsyncSession, facts: list[_Fact]) -> list[_Fact]:
    """The facts delivered for the first time (the inbox), each once however often the batch
    holds it."""
    ids = [fact.heard.event.id for fact in facts]
    first = await first_deliveries(db, tables.inbox, REGISTRATIONS, ids)
    delivery_duplicates(len(ids) - len(set(ids)))
    kept = []
    for fact in facts:
        if fact.heard.event.id in first:
            first.discard(fact.heard.event.id)
            kept.append(fact)
    return kept


async def _apply_in_order(db: AsyncSession, facts: list[_Fact]) -> list[_Fact]:
    """Each fact with the registration as it finds it (held, or left by the facts before it);
    the roster and contacts as the facts leave them, written once each."""
    held = await fact_store.registration_states(db, {fact.data.id for fact in facts})
    roster: dict[uuid.UUID, RegistrationValues] = {}
    contacts: dict[str, ContactValues] = {}
    found = []
    for fact in facts:
        data, user = fact.data, fact.data.user
        before = held.get(data.id)
        found.append(_Fact(fact.heard, data, fact.session, before))
        # as store.save_registration: replaced by a newer version only
        if before is None or before.version < data.version:
            held[data.id] = RegistrationState(data.version, data.status)
            roster[data.id] = roster_row(data)
        # as store.save_contact: the most recent change, the later of two as recent
        contact = contacts.get(user.id)
        if contact is None or contact["as_of"] <= data.updated_at:
            contacts[user.id] = contact_row(user, data.updated_at)
    await fact_store.save_registrations(db, [roster[key] for key in sorted(roster)])
    await fact_store.save_contacts(db, [contacts[key] for key in sorted(contacts)])
    return found
