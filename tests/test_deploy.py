"""deploy/kubernetes: each overlay renders with kustomize, every object is valid against the
Kubernetes JSON schemas (KEDA's objects against tests/schemas), and the pieces fit together:
probes on the health endpoints, budgets and autoscaling that select real deployments, the queue
KEDA watches is the one registration consumes, ports and upstreams agree with the code, every
replica of each service is scraped on its own port. The Prometheus Operator's objects are
checked against its CRDs' schemas (tests/schemas/prometheus-operator-*.json: datreeio/CRDs-catalog's
monitoring.coreos.com/*_v1.json, unchanged); tests/test_alerts.py tests the alert rules."""

import base64
import json
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml  # type: ignore[import-untyped]
from console.settings import ConsoleSettings
from registration.consumers import COMMANDS_QUEUE

from devstack.defaults import (
    DEFAULT_FRONT_END_PORT,
    DEFAULT_SERVICE_PORTS,
    FRONT_END,
    GATEWAY_RATE_DEFAULTS,
    SERVICES,
)
from devstack.gateway import TEMPLATE, placeholders
from shared.settings import ServiceSettings, SettingsError, read_settings

ROOT = Path(__file__).resolve().parents[1]
KUBERNETES = ROOT / "deploy" / "kubernetes"
OVERLAYS = ("dev", "prod")
KUBERNETES_VERSION = "1.30.0"
KEDA_SCHEMAS = {
    "ScaledObject": ROOT / "tests" / "schemas" / "keda-scaledobject.json",
    "TriggerAuthentication": ROOT / "tests" / "schemas" / "keda-triggerauthentication.json",
}
PROMETHEUS_OPERATOR_SCHEMAS = {
    kind: ROOT / "tests" / "schemas" / f"prometheus-operator-{kind.lower()}.json"
    for kind in ("PodMonitor", "ServiceMonitor", "PrometheusRule")
}
CUSTOM_SCHEMAS = {**KEDA_SCHEMAS, **PROMETHEUS_OPERATOR_SCHEMAS}
SERVICE_PORTS = DEFAULT_SERVICE_PORTS
SECRET_KEYS = {
    "AMQP_URL",
    "JWT_SECRET",
    "NOTIFICATION_LINK_SECRET",  # the key of notification's feed and unsubscribe URLs
    *(f"{service.upper()}_DATABASE_URL" for service in SERVICES),
}


@cache
def rendered(overlay: str) -> tuple[dict[str, Any], ...]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("kubectl (with its built-in kustomize) is needed to render deploy/kubernetes")
    result = subprocess.run(
        [kubectl, "kustomize", str(KUBERNETES / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def objects(overlay: str, kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in rendered(overlay) if o["kind"] == kind}


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return dict(only)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_is_valid_against_its_schema(overlay: str) -> None:
    for obj in rendered(overlay):
        name = f"{obj['kind']}/{obj['metadata']['name']}"
        if obj["kind"] in CUSTOM_SCHEMAS:
            if obj["kind"] in PROMETHEUS_OPERATOR_SCHEMAS:
                assert obj["apiVersion"] == "monitoring.coreos.com/v1", name
            schema = json.loads(CUSTOM_SCHEMAS[obj["kind"]].read_text())
            errors = list(jsonschema.Draft202012Validator(schema).iter_errors(obj))
            assert not errors, f"{name}: {[e.message for e in errors]}"
        else:
            try:
                kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
            except kubernetes_validate.ValidationError as error:
                pytest.fail(f"{name}: {error.message} at {list(error.path)}")


def test_the_schemas_refuse_what_is_wrong() -> None:
    """The validation itself can fail: a typo in a field and a missing required one."""
    deployment = dict(objects("dev", "Deployment")["registration"])
    broken = json.loads(json.dumps(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)
    scaled = json.loads(json.dumps(objects("dev", "ScaledObject")["registration"]))
    del scaled["spec"]["scaleTargetRef"]
    schema = json.loads(KEDA_SCHEMAS["ScaledObject"].read_text())
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(scaled))
    monitor = json.loads(json.dumps(objects("dev", "PodMonitor")["registration"]))
    monitor["spec"]["podMetricsEndpoints"][0]["paht"] = "/metrics"
    schema = json.loads(PROMETHEUS_OPERATOR_SCHEMAS["PodMonitor"].read_text())
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(monitor))
    rule = json.loads(json.dumps(objects("dev", "PrometheusRule")["training-alerts"]))
    del rule["spec"]["groups"][0]["rules"][0]["expr"]
    schema = json.loads(PROMETHEUS_OPERATOR_SCHEMAS["PrometheusRule"].read_text())
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(rule))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_are_probed_on_their_health_endpoints(overlay: str) -> None:
    deployments = objects(overlay, "Deployment")
    assert set(deployments) == {*SERVICES, FRONT_END, "gateway"}
    for service in SERVICES:
        main = container(deployments[service])
        assert main["readinessProbe"]["httpGet"]["path"] == "/health"
        assert main["livenessProbe"]["httpGet"]["path"] == "/health/live"
        assert main["ports"][0]["containerPort"] == SERVICE_PORTS[service]
        assert main["resources"]["requests"]["cpu"]
        assert main["resources"]["limits"]["memory"]
        assert {"training-config", "training-secrets"} == {
            ref.get("configMapRef", ref.get("secretRef", {}))["name"] for ref in main["envFrom"]
        }
        assert main["securityContext"]["allowPrivilegeEscalation"] is False
        pod = deployments[service]["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
    config = objects(overlay, "ConfigMap")["training-config"]["data"]
    for service, port in SERVICE_PORTS.items():
        assert config[f"{service.upper()}_PORT"] == str(port)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_console_calls_the_api_through_the_gateway_and_reads_no_secret(overlay: str) -> None:
    deployment = objects(overlay, "Deployment")[FRONT_END]
    main = container(deployment)
    assert main["readinessProbe"]["httpGet"]["path"] == "/health"
    assert main["livenessProbe"]["httpGet"]["path"] == "/health"
    assert main["ports"][0]["containerPort"] == DEFAULT_FRONT_END_PORT
    assert main["resources"]["requests"]["cpu"]
    assert main["resources"]["limits"]["memory"]
    assert main["envFrom"] == [{"configMapRef": {"name": "training-config"}}]
    assert main["securityContext"]["allowPrivilegeEscalation"] is False
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    config = objects(overlay, "ConfigMap")["training-config"]["data"]
    env = {e["name"]: e["value"] for e in main["env"]}
    settings = ConsoleSettings.model_validate({**config, **env})
    assert settings.port == DEFAULT_FRONT_END_PORT
    # the gateway's Service, on its port
    gateway = objects(overlay, "Service")["gateway"]["spec"]["ports"][0]["port"]
    assert settings.api_url == ("http://gateway" if gateway == 80 else f"http://gateway:{gateway}")
    assert objects(overlay, "Service")[FRONT_END]["spec"]["ports"][0]["port"] == settings.port


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_gateway_reaches_each_service_as_its_kubernetes_service(overlay: str) -> None:
    services = objects(overlay, "Service")
    env = {
        e["name"]: e["value"] for e in container(objects(overlay, "Deployment")["gateway"])["env"]
    }
    for service, port in {**SERVICE_PORTS, FRONT_END: DEFAULT_FRONT_END_PORT}.items():
        assert env[f"{service.upper()}_UPSTREAM"] == f"{service}:{port}"
        assert services[service]["spec"]["ports"][0]["port"] == port
    for name, default in GATEWAY_RATE_DEFAULTS.items():
        assert env[name] == default
    dockerfile = (ROOT / "deploy" / "gateway" / "Dockerfile").read_text()
    assert "COPY deploy/gateway/gateway.conf.template /etc/nginx/templates/" in dockerfile
    # the image substitutes every placeholder of the template, and the deployment sets each
    (envsubst_filter,) = re.findall(r'NGINX_ENVSUBST_FILTER="([^"]+)"', dockerfile)
    template = placeholders((ROOT / TEMPLATE).read_text())
    assert all(re.search(envsubst_filter, name) for name in template)
    assert template <= env.keys()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_disruption_budget_guards_one_deployment(overlay: str) -> None:
    deployments = objects(overlay, "Deployment")
    budgets = objects(overlay, "PodDisruptionBudget")
    assert set(budgets) == set(deployments)
    for name, budget in budgets.items():
        selected = budget["spec"]["selector"]["matchLabels"]
        matching = [
            d
            for d in deployments.values()
            if selected.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert [d["metadata"]["name"] for d in matching] == [name]
        assert budget["spec"]["minAvailable"] < deployments[name]["spec"]["replicas"] or (
            budget["spec"]["minAvailable"] == 0
        )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_registration_scales_on_the_queue_it_consumes(overlay: str) -> None:
    scaled = objects(overlay, "ScaledObject")["registration"]["spec"]
    assert scaled["scaleTargetRef"]["name"] in objects(overlay, "Deployment")
    assert scaled["minReplicaCount"] <= scaled["maxReplicaCount"]
    (queue_trigger,) = [t for t in scaled["triggers"] if t["type"] == "rabbitmq"]
    assert queue_trigger["metadata"]["queueName"] == COMMANDS_QUEUE.name
    auth = objects(overlay, "TriggerAuthentication")[queue_trigger["authenticationRef"]["name"]]
    (secret_ref,) = auth["spec"]["secretTargetRef"]
    assert secret_ref == {"parameter": "host", "name": "training-secrets", "key": "AMQP_URL"}
    assert any(t["type"] == "cpu" for t in scaled["triggers"])


def test_dev_generates_every_secret_the_services_read_and_prod_keeps_it_out_of_git() -> None:
    (secret,) = objects("dev", "Secret").values()
    assert secret["metadata"]["name"] == "training-secrets"
    assert set(secret["data"]) == SECRET_KEYS
    assert objects("prod", "Secret") == {}
    for overlay in OVERLAYS:
        namespaces = {o["metadata"].get("namespace") for o in rendered(overlay)}
        assert len(namespaces) == 1
        assert None not in namespaces


ENVIRONMENTS = {"dev": "local", "prod": "production"}


def overlay_settings(overlay: str, secrets: dict[str, str]) -> ServiceSettings:
    """What a service of `overlay` reads: its ConfigMap, then `secrets` (the names of
    docs/reference/configuration.md)."""
    config = objects(overlay, "ConfigMap")["training-config"]["data"]
    return read_settings(lambda: ServiceSettings.model_validate({**config, **secrets}))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_overlay_says_which_environment_it_runs_as(overlay: str) -> None:
    config = objects(overlay, "ConfigMap")["training-config"]["data"]
    assert config["ENVIRONMENT"] == ENVIRONMENTS[overlay]
    base = yaml.safe_load((KUBERNETES / "base" / "config.yaml").read_text())
    assert base["data"]["ENVIRONMENT"] == "production", "an overlay that forgets it is strict"


def test_dev_starts_with_its_generated_secret_and_prod_refuses_that_secret() -> None:
    (secret,) = objects("dev", "Secret").values()
    generated = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert overlay_settings("dev", generated).environment == "local"
    with pytest.raises(SettingsError, match="ENVIRONMENT=production needs a JWT_SECRET"):
        overlay_settings("prod", generated)
    own = {**generated, "JWT_SECRET": "an-operator-secret-0123456789-0123456789"}
    assert overlay_settings("prod", own).environment == "production"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_replica_of_each_service_is_scraped_on_its_own_port(overlay: str) -> None:
    """A PodMonitor per service (each pod, not the Service's one address), on the container's
    port where /metrics is (the gateway does not route it), its job the service's name as in
    deploy/prometheus/prometheus.yml and the alert rules."""
    deployments = objects(overlay, "Deployment")
    monitors = objects(overlay, "PodMonitor")
    assert set(monitors) == set(SERVICES)
    for name, monitor in monitors.items():
        selected = monitor["spec"]["selector"]["matchLabels"]
        matching = [
            d["metadata"]["name"]
            for d in deployments.values()
            if selected.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert matching == [name]
        pod_labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert pod_labels[monitor["spec"]["jobLabel"]] == name
        (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
        assert endpoint["path"] == "/metrics"
        (port,) = container(deployments[name])["ports"]
        assert endpoint["port"] == port["name"]
        assert port["containerPort"] == SERVICE_PORTS[name]
    (rules,) = objects(overlay, "PrometheusRule").values()
    assert rules["metadata"]["labels"]["app.kubernetes.io/part-of"] == "training"
