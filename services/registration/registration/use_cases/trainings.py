"""What catalog tells of its trainings: the code and title the reports and certificates print."""

from registration import store
from registration.records import TrainingRow
from registration.use_cases import Database
from shared.db import transaction
from shared.events import TrainingData
from shared.messaging import first_delivery

TRAININGS_CONSUMER = "registration.trainings"


class Trainings:
    def __init__(self, sessions: Database) -> None:
        self._sessions = sessions

    async def replicate_training(self, event_id: str, event_type: str, data: TrainingData) -> None:
        """catalog.training.* → the replica, by version; a deleted training stays a tombstone
        (its certificates still print its code and title)."""
        deleted = event_type == "catalog.training.deleted"
        values: TrainingRow = {
            "id": data.id,
            "version": data.version,
            "code": data.code,
            "title": data.title,
            "organizations": data.organizations,
            "status": "deleted" if deleted else "active",
            "created_at": data.created_at,
        }
        async with transaction(self._sessions) as db:
            if not await first_delivery(db, store.inbox, TRAININGS_CONSUMER, event_id):
                return
            if await store.insert_replica_if_new(db, store.trainings, values):
                return
            training = await store.lock_training(db, data.id)
            assert training is not None
            if training["version"] >= data.version or training["status"] == "deleted":
                return
            await store.update_replica(
                db, store.trainings, data.id, {k: v for k, v in values.items() if k != "id"}
            )
