"""The verified-token cache: a token's signature checked once while it is good, never past its
`exp`, at most `size` tokens kept, a refused token never kept."""

from typing import Any

import jwt
import pytest

from shared.auth import Principal, TokenVerifier, VerifiedTokens, mint_token
from shared.problems import Problem

pytestmark = pytest.mark.unit
SECRET = "test-secret-0123456789-0123456789-abc"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def principal(sub: str) -> Principal:
    return Principal(sub=sub)


def test_a_token_is_kept_until_its_exp_and_not_a_moment_longer() -> None:
    clock = Clock(1000.0)
    tokens = VerifiedTokens(clock=clock)
    tokens.put("t", principal("lea"), expires_at=1060.0)
    assert tokens.get("t") == principal("lea")
    clock.now = 1059.9
    assert tokens.get("t") == principal("lea")
    clock.now = 1060.0
    assert tokens.get("t") is None
    assert len(tokens) == 0  # dropped, not kept expired


def test_at_most_size_tokens_the_least_recently_used_go_first() -> None:
    tokens = VerifiedTokens(size=2, clock=Clock(0.0))
    tokens.put("a", principal("a"), 100.0)
    tokens.put("b", principal("b"), 100.0)
    assert tokens.get("a") is not None  # a used last: b is the oldest now
    tokens.put("c", principal("c"), 100.0)
    assert len(tokens) == 2
    assert tokens.get("b") is None
    assert tokens.get("a") == principal("a")
    assert tokens.get("c") == principal("c")


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each token jwt.decode is asked to check."""
    seen: list[str] = []
    decode = jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(token)
        return decode(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting)
    return seen


async def test_a_good_token_is_checked_once_and_gives_the_same_principal(
    decodes: list[str],
) -> None:
    verifier = TokenVerifier(secret=SECRET)
    token = mint_token(SECRET, sub="lea", name="Léa", roles=["training_manager"])
    first = await verifier.verify(token)
    again = await verifier.verify(f"{token}")
    assert first == again == Principal(sub="lea", name="Léa", roles=("training_manager",))
    assert decodes == [token]


async def test_a_refused_token_is_checked_every_time(decodes: list[str]) -> None:
    verifier = TokenVerifier(secret=SECRET)
    forged = mint_token("another-secret-0123456789-0123456789", sub="mallory")
    for _ in range(2):
        with pytest.raises(Problem) as refused:
            await verifier.verify(forged)
        assert refused.value.status == 401
    assert decodes == [forged, forged]


async def test_past_its_exp_a_token_is_checked_anew(decodes: list[str]) -> None:
    token = mint_token(SECRET, sub="lea", ttl_seconds=60)
    exp = jwt.decode(token, options={"verify_signature": False})["exp"]
    decodes.clear()
    clock = Clock(exp - 1)
    verifier = TokenVerifier(secret=SECRET, verified=VerifiedTokens(clock=clock))
    await verifier.verify(token)
    await verifier.verify(token)
    assert decodes == [token]
    clock.now = exp  # the cache's clock at the token's exp: PyJWT decides again
    await verifier.verify(token)
    assert decodes == [token, token]
