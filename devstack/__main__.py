"""`python -m devstack run | token | gateway | subscriber-user` — the local launcher behind
`make run`, and its helpers."""

import argparse
import asyncio
import json
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from devstack.broker_users import SUBSCRIBER_TEMPLATE, load_definitions, subscriber_definitions
from devstack.config import ConfigError, StackConfig, load_environment, repo_root
from devstack.defaults import FRONT_END, SERVICES
from devstack.gateway import GatewayError, check_config, find_nginx, write_config
from devstack.stack import Stack, StackError, command_from_template
from devstack.tokens import mint


def _say(line: str = "") -> None:
    print(line, file=sys.stderr, flush=True)


def _banner(stack: Stack) -> str:
    config = stack.config
    url = stack.gateway_url
    secret_line = (
        f"{config.jwt_secret}  (the development default; set JWT_SECRET to change it)"
        if config.uses_dev_secret
        else "from JWT_SECRET"
    )
    lines = [
        "",
        "=" * 78,
        f"  gateway      {url}",
        *(
            [
                f"  console      {url}/sign-in?token={stack.admin_token}",
                "               (the console, signed in as the admin: open it in a browser)",
            ]
            # the console honours a sign-in link only in `local` (docs/console.md)
            if config.environment.get("ENVIRONMENT", "local") == "local"
            else [
                f"  console      {url}/sign-in",
                "               (paste the admin token below into its form)",
            ]
        ),
        f"  health       {url}/health/{{{','.join(SERVICES)}}}",
        f"  API docs     {url}/docs/<service>/openapi.json and asyncapi.json",
        f"  JWT secret   {secret_line}",
    ]
    if config.jwt_jwks_url:
        lines.append("  note         JWT_JWKS_URL is set: services verify RS256 tokens only,")
        lines.append("               so the HS256 admin token below is refused")
    lines += [
        "  admin token  (platform_admin, valid 7 days):",
        "",
        stack.admin_token,
        "",
        f'  try          curl -H "Authorization: Bearer $TOKEN" {url}/api/trainings',
        "  more tokens  .venv/bin/python -m devstack token --sub alice "
        "--role training_manager --org org-1",
        "  stop         Ctrl-C",
        "=" * 78,
        "",
    ]
    return "\n".join(lines)


async def _run() -> int:
    stack = Stack(service_command=command_from_template(os.environ.get("DEVSTACK_SERVICE_COMMAND")))
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)

    _say(
        f"devstack: starting {', '.join((*SERVICES, FRONT_END))} and the gateway "
        f"on {stack.gateway_url}"
    )
    starting = asyncio.create_task(stack.start())
    interrupted = asyncio.create_task(stopping.wait())
    await asyncio.wait({starting, interrupted}, return_when=asyncio.FIRST_COMPLETED)
    if not starting.done():
        _say("devstack: interrupted while starting; stopping everything")
        starting.cancel()
        await asyncio.gather(starting, return_exceptions=True)
        await stack.stop()
        return 130
    interrupted.cancel()
    try:
        starting.result()
    except (StackError, GatewayError, ConfigError) as exc:
        _say(f"devstack: could not start: {exc}")
        return 1

    print(_banner(stack), flush=True)
    died = asyncio.create_task(stack.wait())
    interrupted = asyncio.create_task(stopping.wait())
    await asyncio.wait({died, interrupted}, return_when=asyncio.FIRST_COMPLETED)
    if died.done():
        child = died.result()
        _say(f"devstack: {child.describe_exit()}")
        _say("devstack: stopping the others")
        await stack.stop()
        return 1
    died.cancel()
    _say("devstack: stopping (TERM, then KILL after the grace period)")
    await stack.stop()
    _say("devstack: stopped")
    return 0


def _token(args: argparse.Namespace) -> int:
    config = StackConfig.from_env(load_environment(repo_root()))
    print(
        mint(
            config.jwt_secret,
            sub=args.sub,
            name=args.name,
            email=args.email,
            locale=args.locale,
            roles=args.role,
            organizations=args.org,
            managed_organizations=args.manages,
            ttl_s=args.ttl,
            audience=args.aud or config.jwt_audience,
            issuer=args.iss or config.jwt_issuer,
        )
    )
    return 0


def _gateway(args: argparse.Namespace) -> int:
    root = repo_root()
    config = StackConfig.from_env(load_environment(root))
    prefix: Path = args.dir or root / ".run" / "gateway-check"
    write_config(root, prefix, config.gateway_variables())
    check_config(find_nginx(), prefix)
    print(prefix / "gateway.conf")
    return 0


def _subscriber_user(args: argparse.Namespace) -> int:
    template = load_definitions(repo_root(), SUBSCRIBER_TEMPLATE)
    try:
        definitions = subscriber_definitions(template, args.name, args.vhost)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    print(json.dumps(definitions, indent=2))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="devstack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser(
        "run",
        help="start the three services, the console and the gateway in the foreground "
        "(Ctrl-C stops them)",
    )

    token = commands.add_parser("token", help="print a bearer token (HS256, JWT_SECRET)")
    token.add_argument("--sub", required=True, help="user id")
    token.add_argument("--name")
    token.add_argument("--email")
    token.add_argument("--locale", choices=("fr", "en"), default="fr")
    token.add_argument(
        "--role", action="extend", nargs="+", default=[], help="platform_admin, training_manager"
    )
    token.add_argument(
        "--org", action="extend", nargs="+", default=[], help="organizations the user belongs to"
    )
    token.add_argument(
        "--manages", action="extend", nargs="+", default=[], help="organizations the user manages"
    )
    token.add_argument("--ttl", type=int, default=3600, help="seconds until it expires")
    token.add_argument("--aud", help="the token's audience (default: JWT_AUDIENCE, if set)")
    token.add_argument("--iss", help="the token's issuer (default: JWT_ISSUER, if set)")

    gateway = commands.add_parser(
        "gateway", help="render the gateway configuration and have nginx check it"
    )
    gateway.add_argument("--dir", type=Path, help="where to write it (default .run/gateway-check)")

    subscriber = commands.add_parser(
        "subscriber-user",
        help="print the RabbitMQ definitions of a subscriber's user (for rabbitmqctl "
        "import_definitions; see deploy/README.md)",
    )
    subscriber.add_argument(
        "name", help="lowercase letters, digits and '-': queues subscriber.<name>.*"
    )
    subscriber.add_argument("--vhost", default="training", help="default: training")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            code = asyncio.run(_run())
        elif args.command == "token":
            code = _token(args)
        elif args.command == "subscriber-user":
            code = _subscriber_user(args)
        else:
            code = _gateway(args)
    except (ConfigError, GatewayError, StackError) as exc:
        _say(f"devstack: {exc}")
        code = 1
    sys.exit(code)


if __name__ == "__main__":
    main()
