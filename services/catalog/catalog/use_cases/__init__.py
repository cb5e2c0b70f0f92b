"""Catalog use cases, one module per aggregate: each use case is one transaction, the state
change and its outbox rows together (`versions.announce`).

What one aggregate's change sets off in another is an explicit call: a training's organizations
flow into its sessions (`sessions.change`) and curricula (`curricula.refresh_organizations`), a
session's tutors and organizations into its events (`events.change`).
"""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

# Named for what it opens: `sessions` is a training's sessions here.
Database = async_sessionmaker[AsyncSession]
