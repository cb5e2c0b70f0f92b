"""Registration use cases, one module per family; each use case is one transaction, the state
change and its outbox rows together.

Session registrations: `admission` (new ones, in batches), `actions` (confirm, validate, refuse,
cancel), `move`, `expiry`, `replicas` (catalog's sessions), `queries`, `exports`; `changes`
writes what they change, `announcements` what they tell, `rights` who the caller is to them.
`registrations.Registrations` is the facade the routes, consumers and expiry rounds call.
Event registrations (`event_registrations`) and curriculum registrations (`curricula`) are
families of their own. What a session registration sets off in event registrations is wired in
one place, `follow_ups`.
"""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

# Named for what it opens: `sessions` is a training's sessions here.
Database = async_sessionmaker[AsyncSession]
