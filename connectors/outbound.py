"""Where this service may send a request: one policy for every outbound connection.

A tenant's Spectrum base URL and platform URL are typed in by implementation staff, so each is a
way to make a worker contact a host of someone's choice (and show what answered to accountants).
:class:`OutboundPolicy` decides, and is checked twice:

- on the URL (:meth:`OutboundPolicy.check_url`): http(s) only, no credentials, query or fragment
  (either would take over the path the client appends), and a host the operator allowed;
- on every address the host name resolves to, when the connection is opened (:class:`GuardedPool`
  connections resolve, check every address, and connect to the checked address itself), so a name
  that resolves to the cloud metadata service or to loopback is refused even when the name looks
  harmless, and a DNS answer cannot change between the check and the connect.

The rules, by the kind of address:

- cloud metadata and link-local addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254,
  100.100.100.200, 168.63.129.16): only in development (``debug``);
- loopback and "this host" (127.0.0.0/8, ::1, 0.0.0.0/8, ::): in development, or when the operator
  names them (an address or network in the allowed networks, a loopback literal or ``localhost``
  in the allowed hosts);
- private and other non-public addresses (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7...):
  only inside an allowed network, for a host named in the allowed hosts, or in development;
- public addresses: a host named in the allowed hosts, or inside an allowed network.

Outside development the operator must name the allowed hosts or networks; with neither, nothing
is contacted. Proxies are never used: a proxy would open the connection instead of us.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlsplit

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NameResolutionError, NewConnectionError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_METADATA = tuple(
    ipaddress.ip_network(n)
    for n in ("169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "100.100.100.200/32", "168.63.129.16/32")
)
_LOOPBACK = tuple(ipaddress.ip_network(n) for n in ("127.0.0.0/8", "::1/128", "0.0.0.0/8", "::/128"))
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})

# What a base URL may look like, for the admin forms and the clients alike.
URL_PROBLEMS = {
    "scheme": "must start with http:// or https://",
    "host": "has no host name",
    "credentials": "must not contain a user name or password (the secrets have their own fields)",
    "query": "must not contain a query ('?'): it would take over the path that is added to it",
    "fragment": "must not contain a fragment ('#'): it would take over the path that is added to it",
}


class OutboundRefused(Exception):
    """The policy refused a destination: permanent until the URL or the policy changes."""


def url_problem(url: str) -> str:
    """What is wrong with ``url`` as a base URL, in words for the form ('' when nothing)."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 (raises ValueError on a port that is not a number)
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("http", "https"):
        return URL_PROBLEMS["scheme"]
    if not parts.hostname:
        return URL_PROBLEMS["host"]
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return URL_PROBLEMS["credentials"]
    if parts.query or "?" in url:
        return URL_PROBLEMS["query"]
    if parts.fragment or "#" in url:
        return URL_PROBLEMS["fragment"]
    return ""


def _in(address: IPAddress, networks: Iterable[IPNetwork]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def _plain(address: IPAddress) -> IPAddress:
    """An IPv4 address written as IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _literal(host: str) -> IPAddress | None:
    try:
        return _plain(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


@dataclass(frozen=True)
class OutboundPolicy:
    """Allowed host names, allowed networks, and whether this is a development machine."""

    allowed_hosts: frozenset[str] = field(default_factory=frozenset)
    allowed_networks: tuple[IPNetwork, ...] = ()
    debug: bool = False

    @classmethod
    def build(cls, hosts: Iterable[str] = (), networks: Iterable[str] = (), *, debug: bool = False) -> OutboundPolicy:
        """From the operator's lists; a network that is not CIDR raises ``ValueError``."""
        names = frozenset(h.strip().lower().rstrip(".") for h in hosts if h.strip())
        nets = tuple(ipaddress.ip_network(n.strip(), strict=False) for n in networks if n.strip())
        return cls(names, nets, debug)

    @classmethod
    def loopback_only(cls) -> OutboundPolicy:
        """For a client built without a policy (tools, tests): this machine and nothing else."""
        return cls(frozenset(), _LOOPBACK[:2], False)

    @property
    def configured(self) -> bool:
        return bool(self.allowed_hosts or self.allowed_networks)

    # -- the URL -----------------------------------------------------------------------------------

    def check_url(self, url: str, what: str) -> None:
        """Refuse a URL that is malformed or names a host the operator did not allow."""
        problem = url_problem(url)
        if problem:
            raise OutboundRefused(f"the {what} {problem}")
        host = (urlsplit(url).hostname or "").rstrip(".")
        if not self.configured and not self.debug:
            raise OutboundRefused(
                f"the {what} cannot be contacted: no outbound destinations are configured "
                "(the operator sets OUTBOUND_ALLOWED_HOSTS or OUTBOUND_ALLOWED_NETWORKS)"
            )
        literal = _literal(host)
        if self._named(host) or not self.configured or (literal and _in(literal, self.allowed_networks)):
            return
        if literal is None and self.allowed_networks:
            return  # judged by the addresses it resolves to, when the connection is opened
        raise OutboundRefused(f"the {what}'s host {host!r} is not in the allowed outbound hosts or networks")

    def _named(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.allowed_hosts

    # -- the addresses -----------------------------------------------------------------------------

    def refusal(self, host: str, address: IPAddress) -> str:
        """Why ``host`` may not be contacted at ``address`` ('' when it may)."""
        address = _plain(address)
        if _in(address, _METADATA):
            return "" if self.debug else f"{host!r} resolves to {address}, a link-local or cloud metadata address"
        if self.debug or _in(address, self.allowed_networks):
            return ""
        if _in(address, _LOOPBACK):
            named = self._named(host) and (_literal(host) is not None or host.lower() in _LOOPBACK_NAMES)
            return "" if named else f"{host!r} resolves to {address}, an address of this machine"
        if not address.is_global:
            return "" if self._named(host) else f"{host!r} resolves to {address}, a private address"
        return "" if self._named(host) else f"{host!r} resolves to {address}, outside the allowed networks"

    def addresses(self, host: str, port: int) -> list[tuple[int, str]]:
        """Every address of ``host`` (family, address), each allowed; else :class:`OutboundRefused`.

        One refused address refuses the name: a name must not be half internal. Raises
        ``socket.gaierror`` when the name does not resolve."""
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        result: list[tuple[int, str]] = []
        for family, _type, _proto, _name, sockaddr in found:
            text = str(sockaddr[0]).split("%", 1)[0]
            problem = self.refusal(host, ipaddress.ip_address(text))
            if problem:
                raise OutboundRefused(f"refused to connect: {problem}")
            if (family, str(sockaddr[0])) not in result:
                result.append((family, str(sockaddr[0])))
        return result


class _Guarded:
    """Opens the socket itself: resolve, check every address, connect to a checked address."""

    outbound_policy: ClassVar[OutboundPolicy]
    host: str
    port: int
    _dns_host: str

    def _new_conn(self) -> socket.socket:
        last: Exception | None = None
        name = self._dns_host
        try:
            addresses = self.outbound_policy.addresses(name, self.port)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc  # type: ignore[arg-type]
        for _family, address in addresses:
            self._dns_host = address  # the base class connects to exactly this, without resolving
            try:
                sock: socket.socket = super()._new_conn()  # type: ignore[misc]
            except NewConnectionError as exc:
                last = exc
                continue
            finally:
                self._dns_host = name
            return sock
        raise last or NewConnectionError(self, f"no address for {name!r}")  # type: ignore[arg-type]


def guarded_pools(
    policy: OutboundPolicy, http_cls: type[HTTPConnection], https_cls: type[HTTPSConnection]
) -> dict[str, type[HTTPConnectionPool]]:
    """urllib3 pool classes for ``pool_classes_by_scheme`` whose connections obey ``policy``."""
    attrs: dict[str, Any] = {"outbound_policy": policy}
    http_conn = type("GuardedHTTPConnection", (_Guarded, http_cls), attrs)
    https_conn = type("GuardedHTTPSConnection", (_Guarded, https_cls), attrs)
    return {
        "http": type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
        "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}),
    }


__all__ = ["OutboundPolicy", "OutboundRefused", "guarded_pools", "url_problem"]
