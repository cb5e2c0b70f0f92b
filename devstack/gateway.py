"""The nginx gateway of deploy/gateway/, rendered and run from a runtime directory.

The template's `${NAME}` placeholders are filled here exactly as the nginx image's envsubst fills
them in docker compose; nginx's own `$variables` never use braces and are left alone.
"""

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

from devstack.processes import Child, LogSink, print_sink

TEMPLATE = Path("deploy/gateway/gateway.conf.template")
MAIN_CONF = Path("deploy/gateway/nginx.conf")
_PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")
_NGINX_FALLBACKS = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")


class GatewayError(RuntimeError):
    """The gateway cannot be configured or started."""


def placeholders(template: str) -> set[str]:
    return set(_PLACEHOLDER.findall(template))


def render(template: str, variables: Mapping[str, str]) -> str:
    missing = sorted(placeholders(template) - variables.keys())
    if missing:
        raise GatewayError(f"no value for gateway template variable(s): {', '.join(missing)}")
    return _PLACEHOLDER.sub(lambda m: variables[m.group(1)], template)


def find_nginx() -> str:
    found = shutil.which("nginx") or next(
        (path for path in _NGINX_FALLBACKS if Path(path).is_file()), None
    )
    if found is None:
        raise GatewayError(
            "nginx is not installed: `make setup` installs it "
            "(apt-get update && apt-get install -y nginx-light)"
        )
    return found


def write_config(root: Path, prefix: Path, variables: Mapping[str, str]) -> Path:
    """Write nginx.conf and the rendered gateway.conf into `prefix`; the main file's path."""
    prefix.mkdir(parents=True, exist_ok=True)
    rendered = render((root / TEMPLATE).read_text(), variables)
    (prefix / "gateway.conf").write_text(rendered)
    main = prefix / "nginx.conf"
    shutil.copyfile(root / MAIN_CONF, main)
    return main


def nginx_argv(nginx: str, prefix: Path, *extra: str) -> list[str]:
    prefix = prefix.resolve()
    argv = [nginx, "-e", "stderr", "-p", f"{prefix}/", "-c", str(prefix / "nginx.conf")]
    if os.geteuid() == 0:
        # Started by root, nginx would hand its workers to `nobody`, who may not reach the
        # runtime directory (under /root, or a 0700 temporary directory) to buffer large bodies.
        # This is a development launcher: the workers keep the launcher's user.
        argv += ["-g", "user root;"]
    return [*argv, *extra]


def check_config(nginx: str, prefix: Path) -> None:
    result = subprocess.run(  # noqa: S603 - our own nginx binary and files
        nginx_argv(nginx, prefix, "-t", "-q"),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise GatewayError(f"nginx rejects the gateway configuration:\n{result.stderr.strip()}")


def _connectable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class Gateway:
    """nginx in the foreground with deploy/gateway/'s configuration, rendered into `prefix`."""

    def __init__(
        self,
        root: Path,
        prefix: Path,
        variables: Mapping[str, str],
        *,
        sink: LogSink = print_sink,
        name: str = "gateway",
    ) -> None:
        self.root = root
        self.prefix = prefix
        self.variables = dict(variables)
        self.nginx = find_nginx()
        listen = self.variables["GATEWAY_LISTEN"]
        host, _, port = listen.rpartition(":")
        host = host.strip("[]")
        self.connect_host = "127.0.0.1" if host in ("", "0.0.0.0", "*", "::") else host
        self.port = int(port)
        self.child = Child(
            name,
            nginx_argv(self.nginx, prefix),
            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
            cwd=prefix,
            sink=sink,
            stop_signal=signal.SIGTERM,
        )

    @property
    def url(self) -> str:
        return f"http://{self.connect_host}:{self.port}"

    def prepare(self) -> None:
        """Render the configuration and have nginx check it."""
        write_config(self.root, self.prefix, self.variables)
        check_config(self.nginx, self.prefix)

    async def start(self, listen_within: float = 10.0) -> None:
        """Start nginx and return once it accepts connections."""
        if await asyncio.to_thread(_connectable, self.connect_host, self.port):
            raise GatewayError(f"port {self.port} is already in use: is another gateway running?")
        self.prepare()
        await self.child.start()
        deadline = time.monotonic() + listen_within
        while not await asyncio.to_thread(_connectable, self.connect_host, self.port):
            if not self.child.running:
                await self.child.wait()
                raise GatewayError(self.child.describe_exit())
            if time.monotonic() > deadline:
                raise GatewayError(f"nginx did not listen on {self.url} within {listen_within:g}s")
            await asyncio.sleep(0.05)

    async def stop(self, grace: float = 5.0) -> None:
        await self.child.stop(grace)
