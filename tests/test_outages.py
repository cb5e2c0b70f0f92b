"""Normal life: the broker or the database goes away and comes back."""

import uuid

import pytest

from testsupport.subscriber import subscribed
from testsupport.system import System
from testsupport.waiting import eventually

pytestmark = pytest.mark.system


async def _all_unhealthy(system: System) -> bool:
    for service in ("catalog", "registration", "notification"):
        response = await system.http.get(f"/health/{service}")
        if response.status_code != 503:
            return False
        assert response.headers["content-type"] == "application/problem+json"
    return True


async def test_a_change_made_while_the_broker_is_away_is_published_when_it_returns(
    healthy_system: System,
) -> None:
    system = healthy_system
    manager = system.auth("manager-o", roles=["training_manager"], organizations=["org-o"])
    code = f"OUT-{uuid.uuid4().hex[:8]}"
    async with subscribed(system.amqp_url, ["catalog.training.#"]) as bus:
        await system.amqp_proxy.cut()
        try:
            await eventually(lambda: _all_unhealthy(system), what="health 503 without the broker")
            created = await system.http.post(
                "/api/trainings",
                json={"code": code, "title": "Pendant la panne", "organizations": ["org-o"]},
                headers=manager,
            )
            assert created.status_code == 201, created.text
        finally:
            await system.amqp_proxy.restore()
        await eventually(system.healthy, within=60, what="health back with the broker")
        event = await bus.wait_for(
            lambda e: e["type"] == "catalog.training.created" and e["data"]["code"] == code,
            within=30,
            what="the training created during the outage",
        )
        assert event.envelope["subject"] == created.json()["id"]


async def test_health_reports_a_lost_database(healthy_system: System) -> None:
    system = healthy_system
    await system.postgres_proxy.cut()
    try:
        await eventually(lambda: _all_unhealthy(system), what="health 503 without the database")
        # liveness is not readiness: an orchestrator must not restart a process for an outage
        for service, port in system.stack.config.service_ports.items():
            live = await system.http.get(f"http://127.0.0.1:{port}/health/live")
            assert live.status_code == 200, service
    finally:
        await system.postgres_proxy.restore()
    await eventually(system.healthy, within=60, what="health back with the database")
