from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

import pytest
from urllib3.util import connection


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A safety net under the policy being tested: should it fail, no connection leaves this
    machine (the test then fails on the attempt it records instead)."""
    attempts: list[str] = []
    real = connection.create_connection

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
        host = address[0]
        try:
            local = ipaddress.ip_address(host).is_loopback
        except ValueError:
            local = host == "localhost"
        if not local:
            attempts.append(host)
            raise OSError(f"test safety net: refused to contact {host}")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(connection, "create_connection", create_connection)
    yield attempts
    assert attempts == [], f"connections outside this machine were attempted: {attempts}"
