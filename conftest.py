"""Fixtures every suite shares: the run's real servers (see testsupport.infra)."""

from collections.abc import Iterator

import pytest

from testsupport.infra import Servers
from testsupport.infra import servers as find_servers


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    with find_servers() as found:
        yield found
