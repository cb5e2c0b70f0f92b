"""Each service its own broker user: the settings that choose it, and how the stack makes it
from deploy/rabbitmq/definitions.json (what those users may do: test_broker_permissions.py)."""

import base64
import hashlib

import pytest
from catalog.settings import CatalogSettings
from notification.settings import NotificationSettings
from registration.settings import RegistrationSettings

from devstack.broker_users import (
    SUBSCRIBER_TEMPLATE,
    BrokerAccount,
    ServiceUsers,
    amqp_url_as,
    can_log_in,
    in_vhost,
    load_definitions,
    shipped_user,
    subscriber_definitions,
    vhost_of,
)
from devstack.config import StackConfig, repo_root
from shared.settings import ServiceSettings
from testsupport.infra import Servers, create_vhost, delete_vhost, unique_name

SHARED_URL = "amqp://guest:guest@127.0.0.1:5672/"
OWN_URL = "amqp://training-catalog:pw@127.0.0.1:5672/"
SETTINGS = {
    "catalog": CatalogSettings,
    "registration": RegistrationSettings,
    "notification": NotificationSettings,
}


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("AMQP_URL", *(f"{s.upper()}_AMQP_URL" for s in SETTINGS)):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setitem(ServiceSettings.model_config, "env_file", None)
    return monkeypatch


@pytest.mark.unit
@pytest.mark.parametrize("service", SETTINGS)
def test_a_service_connects_with_its_own_url_when_set(
    environ: pytest.MonkeyPatch, service: str
) -> None:
    environ.setenv("AMQP_URL", SHARED_URL)
    environ.setenv(f"{service.upper()}_AMQP_URL", OWN_URL)
    assert SETTINGS[service]().amqp_url == OWN_URL


@pytest.mark.unit
@pytest.mark.parametrize("own", [None, ""])
def test_without_its_own_url_a_service_uses_amqp_url(
    environ: pytest.MonkeyPatch, own: str | None
) -> None:
    environ.setenv("AMQP_URL", SHARED_URL)
    environ.setenv("REGISTRATION_AMQP_URL", OWN_URL)  # another service's user
    if own is not None:
        environ.setenv("CATALOG_AMQP_URL", own)
    assert CatalogSettings().amqp_url == SHARED_URL


@pytest.mark.unit
def test_a_service_process_gets_its_own_broker_user_alone() -> None:
    config = StackConfig.from_env({"AMQP_URL": SHARED_URL, "NOTIFICATION_AMQP_URL": OWN_URL})
    catalog = config.service_env("catalog", own_amqp_url=OWN_URL)
    assert catalog["CATALOG_AMQP_URL"] == OWN_URL
    assert "AMQP_URL" not in catalog
    assert "NOTIFICATION_AMQP_URL" not in catalog
    notification = config.service_env("notification")
    assert notification["NOTIFICATION_AMQP_URL"] == OWN_URL
    assert "AMQP_URL" not in notification
    registration = config.service_env("registration")
    assert registration["AMQP_URL"] == SHARED_URL
    assert not {"CATALOG_AMQP_URL", "NOTIFICATION_AMQP_URL"} & set(registration)


@pytest.mark.unit
def test_the_stack_moves_the_shipped_users_to_its_vhost_under_names_of_its_own() -> None:
    shipped = load_definitions(repo_root())
    accounts = {shipped_user("catalog"): BrokerAccount("training-catalog@run:8080", "pw")}
    rendered = in_vhost(shipped, "run", accounts)
    [user] = rendered["users"]
    assert user["name"] == "training-catalog@run:8080"
    salted = base64.b64decode(user["password_hash"])
    assert salted[4:] == hashlib.sha256(salted[:4] + b"pw").digest()
    [permissions] = rendered["permissions"]
    [shipped_permissions] = [p for p in shipped["permissions"] if p["user"] == "training-catalog"]
    assert permissions == {**shipped_permissions, "user": user["name"], "vhost": "run"}
    [topics] = rendered["topic_permissions"]
    assert (topics["user"], topics["vhost"], topics["exchange"], topics["write"]) == (
        user["name"],
        "run",
        "training.events",
        "^catalog\\.",
    )
    assert "vhosts" not in rendered  # the stack's vhost exists: the stack does not own it


@pytest.mark.unit
def test_the_shipped_users_have_no_password_until_an_operator_sets_one() -> None:
    shipped = load_definitions(repo_root())
    names = {user["name"] for user in shipped["users"]}
    assert names == {shipped_user(r) for r in (*SETTINGS, "platform")}
    assert all(user["password_hash"] == "" for user in shipped["users"])
    assert {p["user"] for p in shipped["permissions"]} == names
    assert {p["user"] for p in shipped["topic_permissions"]} == names


@pytest.mark.unit
def test_a_subscriber_user_is_made_from_the_template() -> None:
    template = load_definitions(repo_root(), SUBSCRIBER_TEMPLATE)
    rendered = subscriber_definitions(template, "acme-crm", "prod")
    [user] = rendered["users"]
    assert user["name"] == "subscriber-acme-crm"
    [permissions] = rendered["permissions"]
    assert permissions["configure"] == "^subscriber\\.acme-crm\\..+$"
    assert {p["vhost"] for p in rendered["permissions"] + rendered["topic_permissions"]} == {"prod"}
    assert "{name}" not in str(rendered)


@pytest.mark.unit
@pytest.mark.parametrize("name", ["", "Acme", "acme.crm", "acme|.*", "-acme"])
def test_a_subscriber_name_cannot_widen_its_permissions(name: str) -> None:
    template = load_definitions(repo_root(), SUBSCRIBER_TEMPLATE)
    with pytest.raises(ValueError, match="subscriber name"):
        subscriber_definitions(template, name)


@pytest.mark.unit
def test_a_service_url_keeps_the_broker_and_vhost_and_logs_in_as_its_user() -> None:
    account = BrokerAccount("training-catalog@a/b:8080", "p@ss:/w")
    url = amqp_url_as("amqp://guest:guest@127.0.0.1:5673/a%2Fb?heartbeat=5", account)
    assert url == (
        "amqp://training-catalog%40a%2Fb%3A8080:p%40ss%3A%2Fw@127.0.0.1:5673/a%2Fb?heartbeat=5"
    )


@pytest.mark.unit
@pytest.mark.parametrize(
    ("url", "vhost"),
    [
        ("amqp://guest:guest@127.0.0.1:5672/", "/"),
        ("amqp://guest:guest@127.0.0.1:5672", "/"),
        ("amqp://guest:guest@127.0.0.1:5672/%2F", "/"),
        ("amqp://guest:guest@127.0.0.1:5672/sys_1", "sys_1"),
    ],
)
def test_the_vhost_is_the_url_path(url: str, vhost: str) -> None:
    assert vhost_of(url) == vhost


@pytest.mark.unit
async def test_where_it_cannot_administer_the_broker_the_stack_says_so_and_makes_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    said: list[str] = []
    users = ServiceUsers.for_run(SHARED_URL, SETTINGS, run="8080")
    await users.set_up(repo_root(), said.append)
    assert said == [
        "cannot set up a RabbitMQ user per service (rabbitmqctl is not on PATH): "
        "all use AMQP_URL's user"
    ]
    assert users.amqp_urls == {}


@pytest.mark.integration
async def test_the_stack_makes_a_user_per_service_and_deletes_them(servers: Servers) -> None:
    if servers.broker_is_ours:
        pytest.skip("rabbitmqctl administers the local broker, not the test container")
    vhost = unique_name("users")
    admin_url = create_vhost(servers, vhost)
    try:
        said: list[str] = []
        users = ServiceUsers.for_run(admin_url, SETTINGS, run="8080")
        await users.set_up(repo_root(), said.append)
        assert said == [
            "each service connects as its own RabbitMQ user ("
            + ", ".join(f"training-{s}@{vhost}:8080" for s in SETTINGS)
            + ")"
        ]
        urls = users.amqp_urls
        assert set(urls) == set(SETTINGS)
        assert all([await can_log_in(url) for url in urls.values()])
        await users.remove()
        assert not any([await can_log_in(url) for url in urls.values()])
    finally:
        delete_vhost(servers, vhost)
