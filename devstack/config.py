"""The stack's configuration: the variables of docs/reference/configuration.md from the
environment, `.env`, overrides."""

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from devstack.defaults import (
    DEFAULT_AMQP_URL,
    DEFAULT_FRONT_END_PORT,
    DEFAULT_GATEWAY_HOST,
    DEFAULT_GATEWAY_PORT,
    DEFAULT_SERVICE_PORTS,
    DEV_JWT_SECRET,
    FRONT_END,
    GATEWAY_RATE_DEFAULTS,
    SERVICES,
    default_database_url,
)

_RATE = re.compile(r"^[1-9][0-9]*r/[sm]$")
# what a process needs from the machine even when the stack's configuration is given in full
_PASSTHROUGH = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ")
# what the console reads besides its own CONSOLE_* variables: it holds no secret and reaches no
# database nor broker, so it gets nothing else of the stack's configuration
_FRONT_END_SHARED = ("LOG_LEVEL", "ENVIRONMENT")


class ConfigError(ValueError):
    """A variable has a value the stack cannot use."""


def repo_root() -> Path:
    """The checkout this package lives in (it is installed editable by `uv sync`)."""
    here = Path(__file__).resolve().parents[1]
    if (here / "deploy" / "gateway").is_dir():
        return here
    return Path.cwd()


def load_environment(
    root: Path,
    overrides: Mapping[str, str] | None = None,
    *,
    inherit: bool = True,
) -> dict[str, str]:
    """`.env` in `root`, then the process environment, then `overrides` (the later wins).

    With `inherit=False` only `overrides` count: neither `.env` nor the environment's settings
    reach the stack (tests use this to be independent of the developer's machine).
    """
    merged: dict[str, str] = {}
    if inherit:
        env_file = root / ".env"
        if env_file.is_file():
            merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        merged.update(os.environ)
    merged.update(overrides or {})
    return merged


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name) or str(default)
    try:
        port = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a port number") from None
    if not 0 < port < 65536:
        raise ConfigError(f"{name}={raw!r} is not a port number")
    return port


def _rate(env: Mapping[str, str], name: str) -> str:
    value = env.get(name) or GATEWAY_RATE_DEFAULTS[name]
    if not _RATE.match(value):
        raise ConfigError(f"{name}={value!r}: expected a rate such as 500r/s or 30r/m")
    return value


def _burst(env: Mapping[str, str], name: str) -> str:
    value = env.get(name) or GATEWAY_RATE_DEFAULTS[name]
    if not value.isdigit():
        raise ConfigError(f"{name}={value!r}: expected a number of requests")
    return value


@dataclass(frozen=True)
class StackConfig:
    """What `make run` starts: the gateway, each service and the console, with their variables."""

    gateway_host: str
    gateway_port: int
    service_ports: Mapping[str, int]
    console_port: int
    database_urls: Mapping[str, str]
    amqp_url: str
    jwt_secret: str
    jwt_jwks_url: str | None
    jwt_audience: str | None
    jwt_issuer: str | None
    smtp_url: str | None
    public_url: str
    gateway_limits: Mapping[str, str]
    environment: Mapping[str, str]
    """Everything else the children inherit (PATH, LOG_LEVEL, ...)."""
    service_amqp_urls: Mapping[str, str] = field(default_factory=dict)
    """`<SERVICE>_AMQP_URL` where given: that service's own broker user."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "StackConfig":
        gateway_port = _port(env, "GATEWAY_PORT", DEFAULT_GATEWAY_PORT)
        ports = {
            name: _port(env, f"{name.upper()}_PORT", DEFAULT_SERVICE_PORTS[name])
            for name in SERVICES
        }
        console_port = _port(env, f"{FRONT_END.upper()}_PORT", DEFAULT_FRONT_END_PORT)
        taken: dict[int, str] = {gateway_port: "GATEWAY_PORT"}
        for name, port in [*ports.items(), (FRONT_END, console_port)]:
            if port in taken:
                raise ConfigError(f"{name.upper()}_PORT and {taken[port]} are both {port}")
            taken[port] = f"{name.upper()}_PORT"
        limits = {
            name: _rate(env, name) if name.endswith("_RATE") else _burst(env, name)
            for name in GATEWAY_RATE_DEFAULTS
        }
        return cls(
            gateway_host=env.get("GATEWAY_HOST") or DEFAULT_GATEWAY_HOST,
            gateway_port=gateway_port,
            service_ports=ports,
            console_port=console_port,
            database_urls={
                name: env.get(f"{name.upper()}_DATABASE_URL") or default_database_url(name)
                for name in SERVICES
            },
            amqp_url=env.get("AMQP_URL") or DEFAULT_AMQP_URL,
            jwt_secret=env.get("JWT_SECRET") or DEV_JWT_SECRET,
            jwt_jwks_url=env.get("JWT_JWKS_URL") or None,
            jwt_audience=env.get("JWT_AUDIENCE") or None,
            jwt_issuer=env.get("JWT_ISSUER") or None,
            smtp_url=env.get("SMTP_URL") or None,
            public_url=(env.get("PUBLIC_URL") or f"http://127.0.0.1:{gateway_port}").rstrip("/"),
            gateway_limits=limits,
            environment=dict(env),
            service_amqp_urls={
                name: url for name in SERVICES if (url := env.get(f"{name.upper()}_AMQP_URL"))
            },
        )

    @property
    def uses_dev_secret(self) -> bool:
        return self.jwt_secret == DEV_JWT_SECRET

    @property
    def gateway_url(self) -> str:
        host = self.gateway_host
        if host in ("0.0.0.0", "::", "[::]", ""):
            host = "127.0.0.1"
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.gateway_port}"

    def gateway_variables(self) -> dict[str, str]:
        """The values of deploy/gateway/gateway.conf.template's placeholders."""
        host = self.gateway_host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return {
            "GATEWAY_LISTEN": f"{host}:{self.gateway_port}",
            **{
                f"{name.upper()}_UPSTREAM": f"127.0.0.1:{port}"
                for name, port in self.service_ports.items()
            },
            f"{FRONT_END.upper()}_UPSTREAM": f"127.0.0.1:{self.console_port}",
            **self.gateway_limits,
        }

    def console_env(self) -> dict[str, str]:
        """The full environment of the console process: on loopback (nginx is in front), calling
        the API through this stack's gateway like any other client. Its own `CONSOLE_*` variables
        (`CONSOLE_TIME_ZONE`) pass on; no secret, database or broker URL does."""
        prefix = f"{FRONT_END.upper()}_"
        env = {var: os.environ[var] for var in _PASSTHROUGH if var in os.environ}
        env.update({var: self.environment[var] for var in _PASSTHROUGH if var in self.environment})
        env.update(
            {
                var: value
                for var, value in self.environment.items()
                if var.startswith(prefix) or var in _FRONT_END_SHARED
            }
        )
        env.update(
            {
                "HOST": "127.0.0.1",
                f"{prefix}PORT": str(self.console_port),
                f"{prefix}API_URL": self.gateway_url,
                "GATEWAY_PORT": str(self.gateway_port),
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    def service_env(self, name: str, own_amqp_url: str | None = None) -> dict[str, str]:
        """The full environment of one service process (HOST is loopback: nginx is in front).

        With a broker user of its own (`own_amqp_url`, else `<SERVICE>_AMQP_URL`) a service gets
        that URL alone: neither `AMQP_URL` (often an administrator) nor the others' users.
        """
        if name not in SERVICES:
            raise ConfigError(f"unknown service {name!r}")
        env = {var: os.environ[var] for var in _PASSTHROUGH if var in os.environ}
        env.update(self.environment)
        env.update(
            {
                "HOST": "127.0.0.1",
                "GATEWAY_PORT": str(self.gateway_port),
                "AMQP_URL": self.amqp_url,
                "JWT_SECRET": self.jwt_secret,
                "PUBLIC_URL": self.public_url,
                "PYTHONUNBUFFERED": "1",
            }
        )
        for service in SERVICES:
            env[f"{service.upper()}_PORT"] = str(self.service_ports[service])
            env[f"{service.upper()}_DATABASE_URL"] = self.database_urls[service]
            env.pop(f"{service.upper()}_AMQP_URL", None)
        if own := own_amqp_url or self.service_amqp_urls.get(name):
            env[f"{name.upper()}_AMQP_URL"] = own
            del env["AMQP_URL"]
        for optional, value in (
            ("JWT_JWKS_URL", self.jwt_jwks_url),
            ("JWT_AUDIENCE", self.jwt_audience),
            ("JWT_ISSUER", self.jwt_issuer),
            ("SMTP_URL", self.smtp_url),
        ):
            if value:
                env[optional] = value
            else:
                env.pop(optional, None)
        return env
