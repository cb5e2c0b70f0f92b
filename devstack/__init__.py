"""The local stack launcher: `python -m devstack run` (behind `make run`), tokens, and `Stack`,
which system tests use to start every process exactly as `make run` does."""

from devstack.config import ConfigError, StackConfig
from devstack.gateway import Gateway, GatewayError
from devstack.ports import free_port, free_ports_env
from devstack.stack import Stack, StackError
from devstack.tokens import admin_token, mint

__all__ = [
    "ConfigError",
    "Gateway",
    "GatewayError",
    "Stack",
    "StackConfig",
    "StackError",
    "admin_token",
    "free_port",
    "free_ports_env",
    "mint",
]
