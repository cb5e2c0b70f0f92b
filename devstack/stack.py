"""The whole local system as `make run` starts it: three services, the console and the nginx
gateway.

async with Stack({"GATEWAY_PORT": "18080", ...}) as stack:
    httpx.get(f"{stack.gateway_url}/api/trainings",
              headers={"Authorization": f"Bearer {stack.admin_token}"})
"""

import asyncio
import shlex
import shutil
import socket
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from devstack.broker_users import BrokerAdminError, ServiceUsers
from devstack.config import StackConfig, load_environment, repo_root
from devstack.defaults import FRONT_END, SERVICES
from devstack.gateway import Gateway, GatewayError
from devstack.processes import Child, LogSink, print_sink
from devstack.tokens import admin_token, mint

ServiceCommand = Callable[[str], Sequence[str]]


class StackError(RuntimeError):
    """The stack could not start, or one of its processes died."""


def python_module_command(name: str) -> list[str]:
    """How a service starts: `python -m <service>` with this interpreter (the project venv)."""
    return [sys.executable, "-m", name]


def command_from_template(template: str | None) -> ServiceCommand:
    """`DEVSTACK_SERVICE_COMMAND`, e.g. "py-spy record -o {service}.svg -- {python} -m {service}":
    another way to start each service (profilers, stand-ins); unset means `python -m <service>`."""
    if not template:
        return python_module_command
    words = shlex.split(template)

    def command(name: str) -> list[str]:
        return [word.format(python=sys.executable, service=name) for word in words]

    return command


def _in_use(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.3):
            return True
    except OSError:
        return False


class Stack:
    """Start, wait for, and stop the gateway, the services and the console, each a child process.

    `services` may be a subset of SERVICES; `console=False` leaves the console out (the gateway's
    `/` then has no upstream). `service_command` starts the console too. `env` overrides the
    process environment and `.env` (the variables of docs/reference/configuration.md). `run_dir`
    holds the rendered gateway configuration (default `<root>/.run/stack-<GATEWAY_PORT>`, removed
    again on stop when the stack made it). A service without its own `<SERVICE>_AMQP_URL` gets a
    broker user of its own for the run where the stack can make one (see `devstack.broker_users`).
    """

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        root: Path | None = None,
        run_dir: Path | None = None,
        services: Sequence[str] = SERVICES,
        console: bool = True,
        service_command: ServiceCommand = python_module_command,
        log: LogSink = print_sink,
        inherit_environment: bool = True,
        startup_timeout: float = 120.0,
        stop_grace: float = 15.0,
    ) -> None:
        unknown = set(services) - set(SERVICES)
        if unknown:
            raise StackError(f"unknown service(s): {', '.join(sorted(unknown))}")
        self.root = root or repo_root()
        self._env = dict(env or {})
        self._run_dir = run_dir
        self.services = tuple(services)
        self.console = console
        self.service_command = service_command
        self.log = log
        self.inherit_environment = inherit_environment
        self.startup_timeout = startup_timeout
        self.stop_grace = stop_grace
        self._config: StackConfig | None = None
        self._admin_token: str | None = None
        self._children: dict[str, Child] = {}
        self._gateway: Gateway | None = None
        self._made_run_dir: Path | None = None
        self._broker_users = ServiceUsers("", {})

    # --- what callers use ---------------------------------------------------------------------

    @property
    def config(self) -> StackConfig:
        if self._config is None:
            self._config = StackConfig.from_env(
                load_environment(self.root, self._env, inherit=self.inherit_environment)
            )
        return self._config

    @property
    def gateway_url(self) -> str:
        return self.config.gateway_url

    @property
    def admin_token(self) -> str:
        """A bearer token with `roles: ["platform_admin"]`, signed with this stack's JWT_SECRET
        (for its JWT_AUDIENCE and from its JWT_ISSUER when they are set)."""
        if self._admin_token is None:
            config = self.config
            self._admin_token = admin_token(
                config.jwt_secret, audience=config.jwt_audience, issuer=config.jwt_issuer
            )
        return self._admin_token

    def token(self, sub: str, **claims: Any) -> str:
        """A token for any claims (see `devstack.tokens.mint`), signed with this stack's secret."""
        config = self.config
        audience = {"audience": config.jwt_audience, "issuer": config.jwt_issuer}
        return mint(config.jwt_secret, sub=sub, **{**audience, **claims})

    @property
    def run_dir(self) -> Path:
        return self._run_dir or self.root / ".run" / f"stack-{self.config.gateway_port}"

    @property
    def children(self) -> Mapping[str, Child]:
        return dict(self._children)

    async def start(self, env: Mapping[str, str] | None = None) -> Self:
        """Start everything and return once every service is healthy through the gateway and the
        console answers there.

        The console starts once the services answer healthy on their own ports, and the gateway
        once the console does too: before that, each health check through it would be an
        upstream error in its log.
        """
        if self._children:
            raise StackError("the stack is already started")
        if env:
            self._env.update(env)
            self._config = None
            self._admin_token = None
        config = self.config
        self._check_ports_free(config)
        if not self.run_dir.exists():
            self._made_run_dir = self.run_dir  # removed again by stop()
        deadline = time.monotonic() + self.startup_timeout
        try:
            self._broker_users = ServiceUsers.for_run(
                config.amqp_url,
                [n for n in self.services if n not in config.service_amqp_urls],
                run=str(config.gateway_port),
            )
            await self._broker_users.set_up(self.root, lambda line: self.log("devstack", line))
            for name in self.services:
                child = Child(
                    name,
                    self.service_command(name),
                    env=config.service_env(name, self._broker_users.amqp_urls.get(name)),
                    cwd=self.root,
                    sink=self.log,
                )
                self._children[name] = child
                await child.start()
            await self._wait_healthy(
                {n: f"http://127.0.0.1:{config.service_ports[n]}/health" for n in self.services},
                deadline,
                on_healthy=lambda name: self.log(name, "[devstack] healthy"),
            )
            if self.console:
                await self._start_console(config, deadline)
            self._gateway = Gateway(
                self.root, self.run_dir / "gateway", config.gateway_variables(), sink=self.log
            )
            self._children["gateway"] = self._gateway.child
            await self._gateway.start()
            through_gateway = {n: f"{config.gateway_url}/health/{n}" for n in self.services}
            if self.console:  # its own /health is not routed: its sign-in page is
                through_gateway[FRONT_END] = f"{config.gateway_url}/sign-in"
            await self._wait_healthy(through_gateway, deadline, where=" through the gateway")
        except BaseException:
            await self.stop()
            raise
        return self

    async def stop(self) -> None:
        """Stop the gateway, then the services (TERM, KILL after the grace period)."""
        gateway = self._children.pop("gateway", None)
        if gateway is not None:
            await gateway.stop(min(self.stop_grace, 5.0))
        children = list(self._children.values())
        self._children.clear()
        self._gateway = None
        await asyncio.gather(*(child.stop(self.stop_grace) for child in children))
        try:
            await self._broker_users.remove()
        except BrokerAdminError as error:
            self.log("devstack", f"could not delete the run's RabbitMQ users: {error}")
        if self._made_run_dir is not None:
            shutil.rmtree(self._made_run_dir, ignore_errors=True)
            self._made_run_dir = None

    async def wait(self) -> Child:
        """Until one of the processes exits (which a healthy stack never does by itself)."""
        if not self._children:
            raise StackError("the stack is not started")
        waits = {
            asyncio.create_task(child.wait(), name=f"wait-{name}"): child
            for name, child in self._children.items()
        }
        try:
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()
        return waits[next(iter(done))]

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # --- the steps ----------------------------------------------------------------------------

    async def _start_console(self, config: StackConfig, deadline: float) -> None:
        """The console (`python -m console`), calling the API through this stack's gateway."""
        child = Child(
            FRONT_END,
            self.service_command(FRONT_END),
            env=config.console_env(),
            cwd=self.root,
            sink=self.log,
        )
        self._children[FRONT_END] = child
        await child.start()
        await self._wait_healthy(
            {FRONT_END: f"http://127.0.0.1:{config.console_port}/health"},
            deadline,
            on_healthy=lambda name: self.log(name, "[devstack] healthy"),
        )

    def _check_ports_free(self, config: StackConfig) -> None:
        ports = {"GATEWAY_PORT": config.gateway_port}
        ports.update({f"{n.upper()}_PORT": config.service_ports[n] for n in self.services})
        if self.console:
            ports[f"{FRONT_END.upper()}_PORT"] = config.console_port
        busy = [f"{var}={port}" for var, port in ports.items() if _in_use(port)]
        if busy:
            raise StackError(
                f"port(s) already in use: {', '.join(busy)} "
                "(is another stack running? set other ports in the environment or .env)"
            )

    def _dead_child(self) -> Child | None:
        return next((c for c in self._children.values() if c.returncode is not None), None)

    async def _wait_healthy(
        self,
        health_urls: Mapping[str, str],
        deadline: float,
        *,
        where: str = "",
        on_healthy: Callable[[str], None] = lambda name: None,
    ) -> None:
        """Until each process's health URL answers 200; a StackError if a child dies first or
        `deadline` passes."""
        pending = dict(health_urls)
        last: dict[str, str] = {}
        async with httpx.AsyncClient(timeout=5.0) as client:
            while pending:
                dead = self._dead_child()
                if dead is not None:
                    await dead.wait()
                    raise StackError(dead.describe_exit())
                for name, url in list(pending.items()):
                    try:
                        response = await client.get(url)
                    except httpx.HTTPError as exc:
                        last[name] = f"{type(exc).__name__}: {exc}"
                        continue
                    if response.status_code == 200:
                        del pending[name]
                        on_healthy(name)
                    else:
                        last[name] = f"{response.status_code} {response.text.strip()[:300]}"
                if not pending:
                    return
                if time.monotonic() > deadline:
                    detail = "; ".join(f"{n}: {last.get(n, 'no answer')}" for n in pending)
                    raise StackError(
                        f"not healthy within {self.startup_timeout:g}s{where} ({detail})"
                    )
                await asyncio.sleep(0.25)


__all__ = [
    "GatewayError",
    "ServiceCommand",
    "Stack",
    "StackError",
    "command_from_template",
    "python_module_command",
]
