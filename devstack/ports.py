"""Ports for a stack of its own (system tests run theirs beside `make run`)."""

import socket

from devstack.defaults import FRONT_END, SERVICES


def free_port() -> int:
    """A loopback port nothing listens on right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def free_ports_env() -> dict[str, str]:
    """GATEWAY_PORT, each service's port and the console's, all free: the env overrides for
    `Stack`."""
    names = ["GATEWAY_PORT", *(f"{name.upper()}_PORT" for name in (*SERVICES, FRONT_END))]
    ports: set[int] = set()
    while len(ports) < len(names):
        ports.add(free_port())
    return {name: str(port) for name, port in zip(names, sorted(ports), strict=True)}
