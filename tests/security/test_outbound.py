"""Where outbound requests may go: the policy, checked on the URL and on every address connected to.

The servers are loopback recorders; a host name that "resolves" elsewhere is played by answering
the name lookup of this process (socket.getaddrinfo), which is what a hostile or rebinding DNS
server would do. A refused request must never reach any server.
"""

from __future__ import annotations

import gzip
import ipaddress
import socket
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
import requests

from connectors.outbound import OutboundPolicy, OutboundRefused, url_problem
from connectors.platform.client import PlatformClient, RetryPolicy, upsert
from connectors.platform.errors import PlatformConfigurationError
from connectors.replies import OTHER_LIMIT
from connectors.spectrum.client import SpectrumClient
from connectors.spectrum.config import DataExchangeConfig
from connectors.spectrum.errors import (
    SpectrumBadReply,
    SpectrumConfigurationError,
    SpectrumError,
    SpectrumUnknownOutcome,
)
from tests.platform.helpers import recorder, serving

ITEMS = [upsert("AC1:C1", {"code": "C1"})]
UPDATE_JOB = {"Company_Code": "DC1", "Job_Number": "J1"}
FAST = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.01, budget=5)


class Recorded:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.content_type = "application/json"
        self.body = b'{"ok": true}'
        self.headers: dict[str, str] = {}


@pytest.fixture
def server() -> Iterator[tuple[str, Recorded]]:
    rec = Recorded()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            rec.requests.append(
                {"path": self.path, "headers": dict(self.headers.items()), "body": self.rfile.read(length)}
            )
            self.send_response(rec.status)
            self.send_header("Content-Type", rec.content_type)
            for name, value in rec.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(rec.body)))
            self.end_headers()
            self.wfile.write(rec.body)

        do_GET = do_POST

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with serving(Handler) as url:
        yield url, rec


def resolving(monkeypatch: pytest.MonkeyPatch, name: str, address: str) -> None:
    """Make ``name`` resolve to ``address`` in this process, as a DNS answer would."""
    real = socket.getaddrinfo

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == name:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (address, int(port), 0, 0) if family == socket.AF_INET6 else (address, int(port))
            return [(family, socket.SOCK_STREAM, 6, "", sockaddr)]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def spectrum(url: str, policy: OutboundPolicy) -> SpectrumClient:
    config = DataExchangeConfig(url, "AUTH-ID-1", ("DC1",), connect_timeout=2, read_timeout=5, outbound=policy)
    return SpectrumClient(config, get_attempts=1)


def platform(url: str, policy: OutboundPolicy) -> PlatformClient:
    return PlatformClient(f"{url}/deliveries/acme", "signing-secret-1", policy=policy, retry=FAST, timeout=(2, 5))


# --- the policy on its own -------------------------------------------------------------------------


def test_metadata_and_link_local_addresses_are_refused_outside_development() -> None:
    policy = OutboundPolicy.build(["spectrum.example.com"], ["0.0.0.0/0", "::/0"])
    for address in (
        "169.254.169.254",
        "169.254.10.1",
        "fd00:ec2::254",
        "100.100.100.200",
        "fe80::1",
        "::ffff:169.254.169.254",
    ):
        assert "metadata" in policy.refusal("spectrum.example.com", ipaddress.ip_address(address)), address
    development = OutboundPolicy.build(debug=True)
    assert development.refusal("anything", ipaddress.ip_address("169.254.169.254")) == ""


def test_private_addresses_only_inside_an_allowed_network_or_for_a_named_host() -> None:
    policy = OutboundPolicy.build(["spectrum.acme.local"], ["10.20.0.0/16"])
    assert policy.refusal("db.example.com", ipaddress.ip_address("10.20.1.5")) == ""
    assert "private" in policy.refusal("db.example.com", ipaddress.ip_address("10.30.1.5"))
    assert "private" in policy.refusal("db.example.com", ipaddress.ip_address("192.168.1.1"))
    assert policy.refusal("spectrum.acme.local", ipaddress.ip_address("192.168.1.1")) == ""
    # A named host may still not point at this machine: loopback must be named as such.
    assert "this machine" in policy.refusal("spectrum.acme.local", ipaddress.ip_address("127.0.0.1"))
    assert OutboundPolicy.build(["localhost"]).refusal("localhost", ipaddress.ip_address("127.0.0.1")) == ""


def test_nothing_is_contacted_outside_development_until_the_operator_names_destinations() -> None:
    with pytest.raises(OutboundRefused, match="OUTBOUND_ALLOWED_HOSTS or OUTBOUND_ALLOWED_NETWORKS"):
        OutboundPolicy.build().check_url("https://spectrum.example.com", "Spectrum base URL")
    OutboundPolicy.build(debug=True).check_url("https://spectrum.example.com", "Spectrum base URL")
    with pytest.raises(OutboundRefused, match="not in the allowed outbound hosts"):
        OutboundPolicy.build(["other.example.com"]).check_url("https://spectrum.example.com", "Spectrum base URL")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://spectrum.example.com/?", "query"),
        ("https://spectrum.example.com/x?y=1", "query"),
        ("https://spectrum.example.com#", "fragment"),
        ("https://user:pw@spectrum.example.com", "user name or password"),
        ("https://@spectrum.example.com", "user name or password"),
        ("ftp://spectrum.example.com", "http"),
        ("https://", "host"),
    ],
)
def test_base_urls_with_query_fragment_or_credentials_are_refused(url: str, words: str) -> None:
    assert words in url_problem(url)
    assert url_problem("https://spectrum.example.com:8482/base") == ""


# --- at connect time, through both clients ---------------------------------------------------------


def test_a_name_resolving_to_the_metadata_service_is_refused_when_connecting(
    server: tuple[str, Recorded], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, rec = server
    port = url.rsplit(":", 1)[1]
    resolving(monkeypatch, "spectrum.example.com", "169.254.169.254")
    policy = OutboundPolicy.build(["spectrum.example.com"])

    with spectrum(f"http://spectrum.example.com:{port}", policy) as client:
        result = client.test_connection()
    assert not result.ok
    assert "169.254.169.254" in result.message and "metadata" in result.message
    with (
        platform(f"http://spectrum.example.com:{port}", policy) as client,
        pytest.raises(PlatformConfigurationError) as caught,
    ):
        client.deliver("customers", ITEMS, delivery_id="d1")
    assert "metadata" in str(caught.value)
    assert caught.value.attempts == 0  # permanent: not retried
    assert rec.requests == []


def test_a_name_that_rebinds_to_this_machine_is_refused_though_the_name_is_allowed(
    server: tuple[str, Recorded], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, rec = server
    port = url.rsplit(":", 1)[1]
    resolving(monkeypatch, "platform.example.com", "127.0.0.1")  # where the recorder really listens
    policy = OutboundPolicy.build(["platform.example.com"])

    with (
        platform(f"http://platform.example.com:{port}", policy) as client,
        pytest.raises(PlatformConfigurationError) as caught,
    ):
        client.deliver("customers", ITEMS, delivery_id="d1")
    assert "an address of this machine" in str(caught.value)
    with spectrum(f"http://platform.example.com:{port}", policy) as client, pytest.raises(SpectrumConfigurationError):
        client.put("UpdateJob", UPDATE_JOB)
    assert rec.requests == []

    # Control: the same request, with this machine allowed, does arrive.
    with platform(f"http://platform.example.com:{port}", OutboundPolicy.build(debug=True)) as client:
        assert client.deliver("customers", ITEMS, delivery_id="d1").status == 200
    assert len(rec.requests) == 1


def test_networks_only_policy_judges_the_resolved_address(server: tuple[str, Recorded]) -> None:
    url, rec = server
    port = url.rsplit(":", 1)[1]
    outside = OutboundPolicy.build(networks=["10.0.0.0/8"])
    with platform(f"http://localhost:{port}", outside) as client, pytest.raises(PlatformConfigurationError):
        client.deliver("customers", ITEMS, delivery_id="d1")
    assert rec.requests == []
    inside = OutboundPolicy.build(networks=["127.0.0.0/8", "::1/128"])
    with platform(f"http://localhost:{port}", inside) as client:
        assert client.deliver("customers", ITEMS, delivery_id="d1").status == 200


def test_a_proxy_is_never_used(server: tuple[str, Recorded]) -> None:
    url, rec = server
    with platform(url, OutboundPolicy.build(debug=True)) as client:
        client._session.proxies = {"http": url, "https": url}  # as a proxy variable would set it
        with pytest.raises(PlatformConfigurationError, match="proxy"):
            client.deliver("customers", ITEMS, delivery_id="d1")
    assert rec.requests == []


# --- what is read and kept of a reply ---------------------------------------------------------------


def test_a_reply_that_is_neither_xml_nor_json_is_kept_cut_to_1_kb(server: tuple[str, Recorded]) -> None:
    url, rec = server
    rec.content_type = "text/html"
    rec.body = b"<html><body>" + b"internal admin page " * 1000 + b"</body></html>"
    with spectrum(url, OutboundPolicy.build(debug=True)) as client, pytest.raises(SpectrumError) as caught:
        client.put("UpdateJob", UPDATE_JOB)
    assert "internal admin page" in caught.value.detail
    assert len(caught.value.detail.encode()) < OTHER_LIMIT + 100
    assert rec.requests[0]["headers"]["Accept-Encoding"] == "identity"

    rec.status, rec.content_type = 500, "text/plain"
    with platform(url, OutboundPolicy.build(debug=True)) as client, pytest.raises(Exception) as failed:
        client.deliver("customers", ITEMS, delivery_id="d2")
    assert len(str(failed.value)) < OTHER_LIMIT + 300


def test_a_put_reply_over_1_mb_is_not_read(server: tuple[str, Recorded]) -> None:
    url, rec = server
    rec.content_type = "text/xml"
    rec.body = b"<?xml version='1.0'?><x>" + b"a" * (3 * 1024 * 1024) + b"</x>"
    with spectrum(url, OutboundPolicy.build(debug=True)) as client, pytest.raises(SpectrumUnknownOutcome) as caught:
        client.put("UpdateJob", UPDATE_JOB)
    assert "larger than 1024 KB" in str(caught.value)


def test_a_compressed_bomb_is_refused_though_small_on_the_wire(server: tuple[str, Recorded]) -> None:
    url, rec = server
    rec.content_type = "application/json"
    rec.headers = {"Content-Encoding": "gzip"}  # sent although identity was asked for
    rec.body = gzip.compress(b'{"results": ["' + b"0" * (64 * 1024 * 1024) + b'"]}')
    assert len(rec.body) < 200_000
    with spectrum(url, OutboundPolicy.build(debug=True)) as client, pytest.raises(SpectrumBadReply) as caught:
        list(client.iter_vendors_rest("DC1"))
    assert "larger than 1024 KB" in str(caught.value)
    assert rec.requests[0]["headers"]["Accept-Encoding"] == "identity"


def test_the_platform_client_ignores_proxy_variables_and_netrc(
    server: tuple[str, Recorded], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, target = server
    with recorder(status=200, answer=b"{}") as proxy:
        proxy_url = proxy.url
        host = url.split("//", 1)[1].split(":", 1)[0]
        (tmp_path / ".netrc").write_text(f"machine {host} login netrc-user password netrc-password-77\n")
        monkeypatch.setenv("HOME", str(tmp_path))
        monkeypatch.delenv("NETRC", raising=False)
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
            monkeypatch.setenv(name, proxy_url)

        # Control: an ordinary session in this environment goes through the proxy.
        requests.post(f"{url}/probe", data=b"{}", timeout=5)
        assert len(proxy.requests) == 1 and target.requests == []

        with platform(url, OutboundPolicy.build(debug=True)) as client:
            assert client.deliver("customers", ITEMS, delivery_id="d1").status == 200
        spectrum_client = spectrum(url, OutboundPolicy.build(debug=True))
        with spectrum_client, pytest.raises(SpectrumError):
            spectrum_client.put("UpdateJob", UPDATE_JOB)

    assert len(proxy.requests) == 1  # only the control's
    assert len(target.requests) == 2
    for request in target.requests:
        assert "Authorization" not in request["headers"]  # no netrc credentials
