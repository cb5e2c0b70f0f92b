"""`make run` behind an audience and an issuer: devstack hands JWT_AUDIENCE and JWT_ISSUER to the
services, and the tokens it mints (the printed admin token, `python -m devstack token`) carry
them, so the services it starts accept them."""

import os
import subprocess
import sys

import jwt
import pytest

from devstack.config import StackConfig, repo_root
from devstack.defaults import DEV_JWT_SECRET
from devstack.stack import Stack
from shared.auth import TokenVerifier

AUDIENCE = "training-platform"
ISSUER = "https://idp.example.org/realms/training"
OURS = {"JWT_AUDIENCE": AUDIENCE, "JWT_ISSUER": ISSUER}


@pytest.mark.unit
@pytest.mark.parametrize("service", ["catalog", "registration", "notification"])
def test_audience_and_issuer_reach_every_service_when_set(service: str) -> None:
    env = StackConfig.from_env(OURS).service_env(service)
    assert (env["JWT_AUDIENCE"], env["JWT_ISSUER"]) == (AUDIENCE, ISSUER)
    blank = StackConfig.from_env({"JWT_AUDIENCE": "", "JWT_ISSUER": ""}).service_env(service)
    assert "JWT_AUDIENCE" not in blank
    assert "JWT_ISSUER" not in blank


@pytest.mark.unit
async def test_the_admin_token_is_accepted_by_services_holding_to_audience_and_issuer() -> None:
    stack = Stack(OURS, inherit_environment=False)
    services = TokenVerifier(secret=DEV_JWT_SECRET, audience=AUDIENCE, issuer=ISSUER)
    assert (await services.verify(stack.admin_token)).is_platform_admin
    assert (await services.verify(stack.token("lea"))).sub == "lea"


@pytest.mark.unit
def test_without_them_tokens_carry_no_audience_or_issuer() -> None:
    claims = jwt.decode(
        Stack({}, inherit_environment=False).admin_token,
        DEV_JWT_SECRET,
        algorithms=["HS256"],
    )
    assert "aud" not in claims
    assert "iss" not in claims


def token_cli(*args: str, env: dict[str, str]) -> dict[str, object]:
    inherited = {
        k: v for k, v in os.environ.items() if k not in ("JWT_SECRET", *OURS, "JWT_JWKS_URL")
    }
    result = subprocess.run(
        [sys.executable, "-m", "devstack", "token", "--sub", "u-1", *args],
        cwd=repo_root(),
        env={**inherited, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    claims: dict[str, object] = jwt.decode(
        result.stdout.strip(), DEV_JWT_SECRET, algorithms=["HS256"], options={"verify_aud": False}
    )
    return claims


@pytest.mark.system
def test_the_token_cli_uses_the_environments_audience_and_issuer_unless_told() -> None:
    claims = token_cli("--aud", "console", env=OURS)  # one process: each start costs seconds
    assert claims["aud"] == "console"
    assert claims["iss"] == ISSUER
