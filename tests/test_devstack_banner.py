"""What `make run` prints: the console's sign-in link only where the console honours it
(ENVIRONMENT=local, docs/console.md), the sign-in page to paste the token into elsewhere."""

import pytest

from devstack.__main__ import _banner
from devstack.stack import Stack

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("env", [{}, {"ENVIRONMENT": "local"}])
def test_in_development_the_banner_prints_the_sign_in_link(env: dict[str, str]) -> None:
    stack = Stack(env, inherit_environment=False)
    assert f"{stack.gateway_url}/sign-in?token={stack.admin_token}" in _banner(stack)


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_elsewhere_it_prints_the_sign_in_page_without_the_token(environment: str) -> None:
    stack = Stack({"ENVIRONMENT": environment, "JWT_SECRET": "s" * 40}, inherit_environment=False)
    banner = _banner(stack)
    assert "/sign-in?token=" not in banner
    assert f"{stack.gateway_url}/sign-in\n" in banner
    assert stack.admin_token in banner  # still there, to paste into the form
