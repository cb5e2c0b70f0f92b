"""Certificates of attendance: one per registration, its id the same on every download."""

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from registration.records import CertificateRow
from registration.store.rows import first, one
from registration.tables import certificates


async def issue_certificate(
    db: AsyncSession, registration_id: uuid.UUID, now: datetime
) -> CertificateRow:
    """The registration's certificate, issued `now` the first time it is asked for.

    Two first downloads at once issue one: the second insert waits on the first's unique
    `registration_id`, then does nothing, and the select (a statement of its own, so a snapshot
    of its own under READ COMMITTED) reads the row the first committed."""
    await db.execute(
        pg_insert(certificates)
        .values(certificate_id=uuid.uuid4(), registration_id=registration_id, issued_at=now)
        .on_conflict_do_nothing(index_elements=[certificates.c.registration_id])
    )
    query = select(certificates).where(certificates.c.registration_id == registration_id)
    return await one(db, query, CertificateRow)


async def mark_certificate_announced(
    db: AsyncSession, registration_id: uuid.UUID, now: datetime
) -> bool:
    """Whether this call is the one that marks the registration's certificate announced (it had
    not been): `notification.certificate_available` is then written once per registration."""
    marked = await db.execute(
        update(certificates)
        .where(
            certificates.c.registration_id == registration_id,
            certificates.c.certificate_announced_at.is_(None),
        )
        .values(certificate_announced_at=now)
        .returning(certificates.c.certificate_id)
    )
    return marked.first() is not None


async def certificate_by_id(db: AsyncSession, certificate_id: uuid.UUID) -> CertificateRow | None:
    query = select(certificates).where(certificates.c.certificate_id == certificate_id)
    return await first(db, query, CertificateRow)
