import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.settings import (
    DEV_JWT_SECRET,
    ServiceSettings,
    SettingsError,
    read_settings,
)

OWN_SECRET = "an-operator-secret-0123456789-0123456789"
SETTINGS_VARIABLES = (
    "ENVIRONMENT",
    "JWT_SECRET",
    "JWT_JWKS_URL",
    "JWT_AUDIENCE",
    "JWT_ISSUER",
    "GATEWAY_PORT",
)
JWKS_URL = "https://idp.example.org/.well-known/jwks.json"
AUDIENCE = "training-platform"
ISSUER = "https://idp.example.org/realms/training"


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The process environment without the developer's own settings (and no `.env`)."""
    for name in SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setitem(ServiceSettings.model_config, "env_file", None)
    return monkeypatch


def read() -> ServiceSettings:
    return read_settings(ServiceSettings)


@pytest.mark.unit
def test_the_environment_is_local_unless_told(environ: pytest.MonkeyPatch) -> None:
    settings = read()
    assert settings.environment == "local"
    assert settings.jwt_secret == DEV_JWT_SECRET


@pytest.mark.unit
@pytest.mark.parametrize("environment", ["local", "staging", "production"])
def test_each_environment_runs_with_a_secret_of_its_own(
    environ: pytest.MonkeyPatch, environment: str
) -> None:
    environ.setenv("ENVIRONMENT", environment)
    environ.setenv("JWT_SECRET", OWN_SECRET)
    assert read().environment == environment


@pytest.mark.unit
@pytest.mark.parametrize("environment", ["staging", "production"])
@pytest.mark.parametrize("secret", [None, DEV_JWT_SECRET, "", "   "])
def test_outside_local_the_development_secret_or_none_is_refused(
    environ: pytest.MonkeyPatch, environment: str, secret: str | None
) -> None:
    environ.setenv("ENVIRONMENT", environment)
    if secret is not None:
        environ.setenv("JWT_SECRET", secret)
    with pytest.raises(SettingsError) as refused:
        read()
    message = str(refused.value)
    assert message.startswith(f"ENVIRONMENT={environment} needs a JWT_SECRET of its own")
    assert "\n" not in message


@pytest.mark.unit
def test_an_empty_jwks_url_does_not_excuse_the_development_secret(
    environ: pytest.MonkeyPatch,
) -> None:
    environ.setenv("ENVIRONMENT", "production")
    environ.setenv("JWT_JWKS_URL", "")  # the services would verify HS256 with the public secret
    with pytest.raises(SettingsError) as refused:
        read()
    assert str(refused.value).startswith("ENVIRONMENT=production needs a JWT_SECRET of its own")


@pytest.mark.unit
def test_locally_the_development_secret_is_fine(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("ENVIRONMENT", "local")
    environ.setenv("JWT_SECRET", DEV_JWT_SECRET)
    assert read().jwt_secret == DEV_JWT_SECRET


@pytest.mark.unit
def test_with_a_jwks_url_the_hs256_secret_does_not_matter(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("ENVIRONMENT", "production")
    environ.setenv("JWT_JWKS_URL", JWKS_URL)
    environ.setenv("JWT_AUDIENCE", AUDIENCE)
    environ.setenv("JWT_ISSUER", ISSUER)
    settings = read()
    assert settings.jwt_jwks_url == JWKS_URL
    assert (settings.jwt_audience, settings.jwt_issuer) == (AUDIENCE, ISSUER)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("given", "refusal"),
    [
        ({"JWT_ISSUER": ISSUER}, "JWT_JWKS_URL needs JWT_AUDIENCE too: without it,"),
        ({"JWT_AUDIENCE": AUDIENCE}, "JWT_JWKS_URL needs JWT_ISSUER too: without it,"),
        ({}, "JWT_JWKS_URL needs JWT_AUDIENCE and JWT_ISSUER too: without them,"),
        ({"JWT_AUDIENCE": "", "JWT_ISSUER": " "}, "JWT_JWKS_URL needs JWT_AUDIENCE and JWT_ISSUER"),
    ],
    ids=["no-audience", "no-issuer", "neither", "blank"],
)
def test_a_jwks_url_without_audience_and_issuer_is_a_one_line_refusal(
    environ: pytest.MonkeyPatch, given: dict[str, str], refusal: str
) -> None:
    environ.setenv("JWT_JWKS_URL", JWKS_URL)
    for variable, value in given.items():
        environ.setenv(variable, value)
    with pytest.raises(SettingsError) as refused:
        read()
    message = str(refused.value)
    assert message.startswith(refusal)
    assert message.endswith("tokens for other applications would be accepted")
    assert "\n" not in message


@pytest.mark.unit
def test_audience_and_issuer_may_be_set_for_hs256_tokens_too(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("JWT_AUDIENCE", AUDIENCE)
    settings = read()
    assert (settings.jwt_audience, settings.jwt_issuer) == (AUDIENCE, None)


@pytest.mark.unit
@pytest.mark.parametrize("value", ["prod", "Production", "dev", ""])
def test_any_other_environment_is_a_one_line_refusal(
    environ: pytest.MonkeyPatch, value: str
) -> None:
    environ.setenv("ENVIRONMENT", value)
    environ.setenv("JWT_SECRET", OWN_SECRET)
    with pytest.raises(SettingsError) as refused:
        read()
    assert str(refused.value) == (
        f"ENVIRONMENT={value!r}: Input should be 'local', 'staging' or 'production'"
    )


@pytest.mark.unit
def test_every_problem_is_named_on_the_same_line(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("ENVIRONMENT", "qa")
    environ.setenv("GATEWAY_PORT", "eighty")
    with pytest.raises(SettingsError) as refused:
        read()
    message = str(refused.value)
    assert "ENVIRONMENT='qa'" in message
    assert "GATEWAY_PORT='eighty'" in message
    assert "\n" not in message


@pytest.mark.unit
def test_a_refusal_never_echoes_a_secret(environ: pytest.MonkeyPatch) -> None:
    class WithAPort(ServiceSettings):
        smtp_password_port: int = 0

    environ.setenv("ENVIRONMENT", "local")
    with pytest.raises(SettingsError) as refused:
        read_settings(lambda: WithAPort(smtp_password_port="hunter2"))
    assert "hunter2" not in str(refused.value)
    assert "smtp_password_port" in str(refused.value)


@pytest.mark.system
def test_a_service_outside_local_without_a_secret_refuses_to_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    result = subprocess.run(
        [sys.executable, "-m", "catalog"],
        cwd=tmp_path,  # no `.env` of the developer's
        env={**env, "ENVIRONMENT": "production"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "catalog: refusing to start: ENVIRONMENT=production needs a JWT_SECRET of its own "
        "(or JWT_JWKS_URL): the development secret is public, anyone could sign tokens with it"
    )
    assert result.stdout == ""


@pytest.mark.system
def test_a_service_with_a_jwks_url_but_no_audience_refuses_to_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    result = subprocess.run(
        [sys.executable, "-m", "catalog"],
        cwd=tmp_path,  # no `.env` of the developer's
        env={**env, "JWT_JWKS_URL": JWKS_URL, "JWT_ISSUER": ISSUER},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "catalog: refusing to start: JWT_JWKS_URL needs JWT_AUDIENCE too: without it, "
        "the identity provider's tokens for other applications would be accepted"
    )
    assert result.stdout == ""
