"""docker-compose.yml: valid per the Compose Specification, the same system as `make run` (the
same gateway template, rendered the same way, the console at its `/`), images that run each
service and the console as a non-root user, and Prometheus, Grafana and Jaeger watching it with
the files of deploy/."""

import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from console.settings import ConsoleSettings

from devstack.defaults import DEFAULT_FRONT_END_PORT, FRONT_END, GATEWAY_RATE_DEFAULTS, SERVICES
from devstack.gateway import TEMPLATE, check_config, find_nginx, placeholders, render
from shared.settings import DEV_JWT_SECRET, ServiceSettings, SettingsError, read_settings
from testsupport.promql import promtool

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
APP_SERVICES = set(SERVICES)
OBSERVABILITY_SERVICES = {"prometheus", "grafana", "jaeger"}
_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def interpolate(value: str, environ: Mapping[str, str] | None = None) -> str:
    """What compose makes of `${VAR:-default}` with `environ` (default: nothing) set."""
    given = environ or {}
    return _INTERPOLATION.sub(lambda m: given.get(m.group(1)) or m.group(2) or "", value)


def service_environment(name: str, environ: Mapping[str, str]) -> dict[str, str]:
    """A service container's environment when compose runs with `environ` (shell or .env)."""
    env: dict[str, str] = {}
    for key, value in compose()["services"][name]["environment"].items():
        if value is None:  # `KEY:` with no value passes the variable through when it is set
            if key in environ:
                env[key] = environ[key]
        else:
            env[key] = interpolate(str(value), environ)
    return env


def gateway_environment() -> dict[str, str]:
    env = compose()["services"]["gateway"]["environment"]
    return {name: interpolate(str(value)) for name, value in env.items()}


def test_the_compose_file_is_valid_per_the_compose_spec() -> None:
    cli = Path(sys.executable).with_name("check-jsonschema")
    result = subprocess.run(
        [str(cli), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_runs_the_whole_system() -> None:
    services = compose()["services"]
    assert set(services) == {
        *APP_SERVICES,
        *OBSERVABILITY_SERVICES,
        FRONT_END,
        "gateway",
        "postgres",
        "rabbitmq",
        "mailpit",
    }
    assert "management" in services["rabbitmq"]["image"]
    for name in APP_SERVICES:
        service = services[name]
        port = service["environment"][f"{name.upper()}_PORT"]
        assert service["build"] == {
            "context": ".",
            "dockerfile": "services/Dockerfile",
            "args": {"SERVICE": name, "PORT": port},
        }
        env = service["environment"]
        assert env["HOST"] == "0.0.0.0"
        assert "@rabbitmq:5672" in env["AMQP_URL"]
        for other in APP_SERVICES:
            assert f"@postgres:5432/training_{other}" in env[f"{other.upper()}_DATABASE_URL"]
        assert interpolate(env["SMTP_URL"]) == "smtp://mailpit:1025"
        assert {"postgres", "rabbitmq"} <= set(service["depends_on"])
        # unset unless given, so the services' own development secret applies
        assert env["JWT_SECRET"] is None
        assert interpolate(env["ENVIRONMENT"]) == "local"


def test_the_console_calls_the_api_through_the_gateway_and_holds_no_secret() -> None:
    services = compose()["services"]
    console = services[FRONT_END]
    env = console["environment"]
    assert console["build"] == {
        "context": ".",
        "dockerfile": "services/Dockerfile",
        "args": {"SERVICE": FRONT_END, "PORT": str(DEFAULT_FRONT_END_PORT)},
    }
    assert env["HOST"] == "0.0.0.0"
    assert env["CONSOLE_PORT"] == str(DEFAULT_FRONT_END_PORT)
    # the gateway's address inside the network: its service name and its container port
    listen = gateway_environment()["GATEWAY_LISTEN"]
    assert env["CONSOLE_API_URL"] == f"http://gateway:{listen}"
    assert not [
        key
        for key in env
        if "SECRET" in key or (key.endswith(("_URL", "_PASSWORD")) and key != "CONSOLE_API_URL")
    ]
    assert "depends_on" not in console  # the gateway depends on it, not the other way round
    assert services["gateway"]["depends_on"][FRONT_END] == {"condition": "service_started"}
    settings = ConsoleSettings.model_validate(
        {k: interpolate(str(v)) for k, v in env.items() if v is not None}
    )
    assert (settings.port, settings.api_url) == (DEFAULT_FRONT_END_PORT, "http://gateway:8080")
    assert settings.time_zone == "Europe/Paris"
    told = service_environment(FRONT_END, {"CONSOLE_TIME_ZONE": "America/Montreal"})
    assert told["CONSOLE_TIME_ZONE"] == "America/Montreal"


def settings_from(env: dict[str, str]) -> ServiceSettings:
    return read_settings(lambda: ServiceSettings.model_validate(env))


def test_the_services_start_with_what_compose_gives_them() -> None:
    """ENVIRONMENT and the secrets fit: the settings rule accepts the development set-up."""
    for name in APP_SERVICES:
        given = compose()["services"][name]["environment"]
        env = {k: interpolate(str(v)) for k, v in given.items() if v is not None}
        settings = settings_from(env)
        assert settings.environment == "local"
        assert settings.jwt_secret == DEV_JWT_SECRET


def test_outside_local_the_services_get_no_development_secret() -> None:
    """ENVIRONMENT=staging/production with no JWT_SECRET: nothing here supplies the public one,
    so each service refuses to start, saying why."""
    assert DEV_JWT_SECRET not in COMPOSE.read_text()
    for environment in ("staging", "production"):
        for name in APP_SERVICES:
            env = service_environment(name, {"ENVIRONMENT": environment})
            assert env["ENVIRONMENT"] == environment
            assert "JWT_SECRET" not in env
            assert DEV_JWT_SECRET not in env.values()
            with pytest.raises(SettingsError, match=f"ENVIRONMENT={environment}.*JWT_SECRET"):
                settings_from(env)
            own = service_environment(name, {"ENVIRONMENT": environment, "JWT_SECRET": "s" * 40})
            assert settings_from(own).jwt_secret == "s" * 40


def test_the_gateway_is_published_on_loopback_unless_told_otherwise() -> None:
    services = compose()["services"]
    (published,) = services["gateway"]["ports"]
    assert interpolate(published) == "127.0.0.1:8080:8080"
    told = {"GATEWAY_BIND": "0.0.0.0", "GATEWAY_PORT": "9090"}
    assert interpolate(published, told) == "0.0.0.0:9090:8080"
    # and nothing else is published beyond this machine either
    for name, service in services.items():
        for port in service.get("ports", []):
            assert interpolate(str(port)).startswith("127.0.0.1:"), name


def test_the_gateway_uses_the_template_of_make_run() -> None:
    gateway = compose()["services"]["gateway"]
    assert gateway["image"].startswith("nginx:")
    assert (
        "./deploy/gateway/gateway.conf.template:/etc/nginx/templates/default.conf.template:ro"
        in gateway["volumes"]
    )
    env = gateway_environment()
    assert placeholders((ROOT / TEMPLATE).read_text()) <= env.keys()
    for name, default in GATEWAY_RATE_DEFAULTS.items():
        assert env[name] == default, f"{name}: compose and devstack/defaults.py disagree"
    for name in (*APP_SERVICES, FRONT_END):
        port = compose()["services"][name]["environment"][f"{name.upper()}_PORT"]
        assert env[f"{name.upper()}_UPSTREAM"] == f"{name}:{port}"


def envsubst(text: str, variables: dict[str, str]) -> str:
    """GNU envsubst with a list of variables, as the nginx image's entrypoint runs it."""
    for name, value in variables.items():
        text = text.replace("${" + name + "}", value)
        text = re.sub(r"\$" + name + r"(?![A-Za-z0-9_])", value.replace("\\", r"\\"), text)
    return text


# The stock main file of the nginx image, which includes the rendered template from conf.d/.
IMAGE_MAIN_CONF = """
worker_processes auto;
pid nginx.pid;
error_log stderr notice;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    log_format main '$remote_addr - $remote_user [$time_local] "$request" '
                    '$status $body_bytes_sent "$http_referer" "$http_user_agent"';
    access_log /dev/stdout main;
    sendfile on;
    keepalive_timeout 65;
    include conf.d/*.conf;
}
"""


def test_the_image_renders_the_template_as_devstack_does_and_nginx_accepts_it(
    tmp_path: Path,
) -> None:
    env = gateway_environment()
    allowed = re.compile(env["NGINX_ENVSUBST_FILTER"])
    # the container's environment: ours, filtered as the entrypoint filters it, plus the image's
    machine = {"PATH": "/usr/bin", "HOME": "/root", "HOSTNAME": "gw", "NGINX_VERSION": "1.27"}
    substituted = {k: v for k, v in {**machine, **env}.items() if allowed.search(k)}
    template = (ROOT / TEMPLATE).read_text()
    in_image = envsubst(template, substituted)
    assert in_image == render(template, env)

    # nginx accepts it inside the image's main file (upstream hosts as loopback here)
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "nginx.conf").write_text(IMAGE_MAIN_CONF)
    local = in_image
    for name in (*APP_SERVICES, FRONT_END):
        local = local.replace(f"server {name}:", "server 127.0.0.1:")
    (tmp_path / "conf.d" / "default.conf").write_text(local)
    try:
        check_config(find_nginx(), tmp_path)
    except Exception as exc:  # a clear message, not just "failed"
        pytest.fail(str(exc))


def test_the_service_image_runs_its_service_as_a_non_root_user_with_a_healthcheck() -> None:
    dockerfile = (ROOT / "services" / "Dockerfile").read_text()
    instructions = [
        line.split(maxsplit=1)
        for line in re.sub(r"\\\n", " ", dockerfile).splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    keywords = [parts[0].upper() for parts in instructions]
    assert instructions[0] == ["FROM", "python:3.11-slim"]
    assert ["ARG", "SERVICE"] in instructions
    assert ["ARG", "PORT"] in instructions
    users = [parts[1].strip() for parts in instructions if parts[0].upper() == "USER"]
    assert users
    assert users[-1] not in ("root", "0")
    assert "HEALTHCHECK" in keywords
    assert "/health" in dockerfile
    assert instructions[-1] == ["CMD", '["sh", "-c", "exec python -m \\"$SERVICE\\""]']
    assert 'uv sync --frozen --no-dev --package "${SERVICE}"' in dockerfile
    # everything it copies exists for each service and the console (and .dockerignore keeps it
    # in the context); `uv sync --frozen` needs every workspace member's pyproject.toml
    ignored = (ROOT / ".dockerignore").read_text().split()
    members = {path.parent for path in (ROOT / "services").glob("*/pyproject.toml")}
    copied = {
        ROOT / Path(parts[1].split()[0]).parent
        for parts in instructions
        if parts[0].upper() == "COPY" and parts[1].split()[0].endswith("/pyproject.toml")
    }
    assert members <= copied, "the image copies every member's pyproject.toml"
    assert ROOT / "services" / FRONT_END in members
    for name in (*APP_SERVICES, FRONT_END):
        for parts in instructions:
            if parts[0].upper() == "COPY":
                for source in parts[1].split()[:-1]:
                    path = source.replace("${SERVICE}", name)
                    assert (ROOT / path).exists(), f"the image of {name} copies missing {path}"
                    assert source not in ignored


def test_env_example_names_every_variable() -> None:
    example = (ROOT / ".env.example").read_text()
    names = {
        "GATEWAY_PORT",
        "GATEWAY_HOST",
        "GATEWAY_BIND",
        "AMQP_URL",
        "JWT_SECRET",
        "JWT_JWKS_URL",
        "ENVIRONMENT",
        "SMTP_URL",
        "PUBLIC_URL",
        *GATEWAY_RATE_DEFAULTS,
        *(f"{s.upper()}_PORT" for s in SERVICES),
        *(f"{s.upper()}_DATABASE_URL" for s in SERVICES),
    }
    missing = sorted(name for name in names if f"{name}=" not in example)
    assert not missing


def bind_mounts(service: str) -> dict[str, Path]:
    """Container path → the repository file a service mounts there."""
    mounts: dict[str, Path] = {}
    for volume in compose()["services"][service].get("volumes", []):
        source, target, *_ = volume.split(":")
        if source.startswith("./"):
            mounts[target] = ROOT / source
    return mounts


def test_every_file_a_container_mounts_exists() -> None:
    for name in compose()["services"]:
        for target, source in bind_mounts(name).items():
            assert source.exists(), f"{name} mounts missing {source} at {target}"


def test_prometheus_scrapes_each_service_and_rabbitmq_and_loads_the_alerts() -> None:
    mounts = bind_mounts("prometheus")
    config_path = mounts["/etc/prometheus/prometheus.yml"]
    config = yaml.safe_load(config_path.read_text())
    # the rule files are relative to the configuration, mounted beside it
    for rule_file in config["rule_files"]:
        assert mounts[f"/etc/prometheus/{rule_file}"] == config_path.parent / rule_file
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {*APP_SERVICES, "rabbitmq"}
    for name in APP_SERVICES:
        port = int(compose()["services"][name]["environment"][f"{name.upper()}_PORT"])
        (sd,) = jobs[name]["dns_sd_configs"]  # every replica, not one address of the service
        assert (sd["names"], sd["type"], sd["port"]) == ([name], "A", port)
        assert jobs[name].get("metrics_path", "/metrics") == "/metrics"
    assert jobs["rabbitmq"]["static_configs"] == [{"targets": ["rabbitmq:15692"]}]
    assert jobs["rabbitmq"]["metrics_path"] == "/metrics/per-object"
    plugins = bind_mounts("rabbitmq")["/etc/rabbitmq/enabled_plugins"].read_text()
    assert "rabbitmq_prometheus" in plugins
    assert "rabbitmq_management" in plugins
    result = subprocess.run(
        [promtool(), "check", "config", str(config_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_grafana_is_provisioned_with_the_peak_dashboard_on_prometheus() -> None:
    mounts = bind_mounts("grafana")
    datasources = yaml.safe_load(
        (mounts["/etc/grafana/provisioning/datasources"] / "datasources.yaml").read_text()
    )["datasources"]
    by_uid = {source["uid"]: source for source in datasources}
    assert by_uid["prometheus"]["url"] == "http://prometheus:9090"
    assert by_uid["jaeger"]["url"] == "http://jaeger:16686"
    (provider,) = yaml.safe_load(
        (mounts["/etc/grafana/provisioning/dashboards"] / "dashboards.yaml").read_text()
    )["providers"]
    dashboards = {
        target: source
        for target, source in mounts.items()
        if target.startswith(provider["options"]["path"] + "/")
    }
    assert ROOT / "deploy" / "grafana" / "peak-enrollment.json" in dashboards.values()
    env = compose()["services"]["grafana"]["environment"]
    assert env["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"] in dashboards


def test_the_services_export_their_traces_to_jaeger() -> None:
    for name in APP_SERVICES:
        env = service_environment(name, {})
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://jaeger:4318"
        elsewhere = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}
        assert service_environment(name, elsewhere)["OTEL_EXPORTER_OTLP_ENDPOINT"] == (
            "http://collector:4318"
        )
    jaeger = compose()["services"]["jaeger"]
    assert jaeger["image"].startswith("jaegertracing/all-in-one:")
    assert jaeger["environment"]["COLLECTOR_OTLP_ENABLED"] == "true"
