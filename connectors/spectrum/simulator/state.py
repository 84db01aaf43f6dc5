"""What the simulator remembers besides the Spectrum tables: Authorization IDs, GUIDs, tokens,
fault knobs and counters. In memory, guarded by one lock (the server is threaded).

Authorization IDs (docs/spectrum.md#authorization-id-and-guid): each grants some services on some
companies, is Active or not, and may carry Enhanced Authentication credentials
(docs/spectrum.md#enhanced-authentication). The GUID table is keyed by (method, GUID) and
remembers the Authorization ID and the last use, so a GUID idle past the time-out answers "Time out
has occurred" and a GUID of another Authorization ID is refused.
"""

from __future__ import annotations

import random
import secrets
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

ALL_SERVICES = "*"

FAULT_KINDS = (
    "http500",  # before processing: nothing written
    "http503",
    "fault",  # SOAP-ENV:Server "Error executing Web Service", before processing
    "timeout",  # after processing: the reply comes too late
    "drop",  # after processing: connection closed without a reply
    "truncate",  # after processing: closing tags cut after the last complete response (the quirk)
    "truncate_mid",  # after processing: cut in the middle of a row
    "garbage",  # after processing: an HTML error page instead of XML
    "reset_mid",  # after processing: part of the body, then the connection is closed
    "drip",  # after processing: the whole reply, valid, but drip_bytes at a time every drip_seconds
    "hostile_xxe",  # a reply with an external entity pointing at a local file
    "hostile_bomb",  # entity expansion bomb
    "hostile_huge",  # a 200 MB text node
    "other_shape",  # REST only, after processing: a 200 in a reply shape no page documents
)
BEFORE_PROCESSING = ("http500", "http503", "fault")
_GUID_TABLE_LIMIT = 100_000


@dataclass
class AuthIdentity:
    authorization_id: str
    companies: tuple[str, ...]
    services: tuple[str, ...] = (ALL_SERVICES,)
    active: bool = True
    client_id: str = ""
    client_secret: str = ""
    secret_expires_at: datetime | None = None

    @property
    def default_company(self) -> str:
        return self.companies[0] if self.companies else ""

    def allows(self, service: str) -> bool:
        return ALL_SERVICES in self.services or service in self.services

    def as_dict(self) -> dict[str, Any]:
        return {
            "authorization_id": self.authorization_id,
            "companies": list(self.companies),
            "services": list(self.services),
            "active": self.active,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }


@dataclass
class Faults:
    rate: float = 0.0
    kinds: tuple[str, ...] = ("fault",)
    services: tuple[str, ...] = ()  # empty = every service
    queue: list[str] = field(default_factory=list)  # deterministic: the next matching requests
    latency_ms: int = 0
    timeout_seconds: float = 3.0
    drip_bytes: int = 16  # "drip": bytes per piece
    drip_seconds: float = 0.5  # "drip": pause after each piece
    drip_after_bytes: int = 0  # "drip": bytes sent at full speed first (0: the headers drip too)
    seed: int | None = None


@dataclass
class Config:
    row_cap: int = 500  # docs/spectrum.md#row-cap: ~500 rows then a W row; 0 = no cap
    guid_timeout_seconds: int = 24 * 3600  # docs/spectrum.md#authorization-id-and-guid: 24 h idle
    server_version: str = "2.0"
    token_lifetime_seconds: int = 3600
    rotation_days: int = 30  # docs/spectrum.md#enhanced-authentication: 7-120 days
    ar_window_days_back: int = 365
    ar_window_days_ahead: int = 60


@dataclass
class _GuidUse:
    authorization_id: str
    last_used: float


class SimulatorState:
    def __init__(self, identities: list[AuthIdentity] | None = None) -> None:
        self.lock = threading.RLock()
        self.identities: dict[str, AuthIdentity] = {}
        for identity in identities or []:
            self.identities[identity.authorization_id.upper()] = identity
        self.faults = Faults()
        self.config = Config()
        self.clock_offset = 0.0
        self._guids: dict[tuple[str, str], _GuidUse] = {}
        self._tokens: dict[str, tuple[str, float]] = {}
        self._random = random.Random()
        self.accepted: dict[str, Counter[str]] = defaultdict(Counter)
        self.requests: Counter[str] = Counter()
        self.faults_injected: Counter[str] = Counter()
        self.drips: list[dict[str, Any]] = []

    # -- time -------------------------------------------------------------------------------------

    def now(self) -> float:
        return time.time() + self.clock_offset

    def today(self) -> date:
        return datetime.fromtimestamp(self.now(), UTC).date()

    def ar_window(self) -> tuple[date, date]:
        today = self.today()
        return (
            today - timedelta(days=self.config.ar_window_days_back),
            today + timedelta(days=self.config.ar_window_days_ahead),
        )

    # -- authorization ----------------------------------------------------------------------------

    def identity(self, authorization_id: str) -> AuthIdentity | None:
        with self.lock:
            found = self.identities.get(authorization_id.strip().upper())
            return found if found and found.active else None

    def put_identity(self, identity: AuthIdentity) -> None:
        with self.lock:
            self.identities[identity.authorization_id.upper()] = identity

    def identity_for_client(self, client_id: str, client_secret: str) -> AuthIdentity | None:
        with self.lock:
            for identity in self.identities.values():
                if (
                    identity.active
                    and identity.client_id
                    and identity.client_id == client_id
                    and secrets.compare_digest(identity.client_secret, client_secret)
                ):
                    return identity
            return None

    def issue_token(self, identity: AuthIdentity) -> tuple[str, int]:
        token = secrets.token_urlsafe(32)
        lifetime = self.config.token_lifetime_seconds
        with self.lock:
            self._tokens[token] = (identity.authorization_id.upper(), self.now() + lifetime)
        return token, lifetime

    def identity_for_token(self, token: str) -> AuthIdentity | None:
        with self.lock:
            entry = self._tokens.get(token)
            if not entry or entry[1] < self.now():
                return None
            return self.identity(entry[0])

    def rotate_secret(self, identity: AuthIdentity) -> tuple[str, datetime]:
        with self.lock:
            identity.client_secret = secrets.token_urlsafe(24)
            identity.secret_expires_at = datetime.fromtimestamp(self.now(), UTC) + timedelta(
                days=self.config.rotation_days
            )
            return identity.client_secret, identity.secret_expires_at

    # -- GUIDs ------------------------------------------------------------------------------------

    def use_guid(self, method: str, guid: str, authorization_id: str) -> str:
        """Record a use; returns "" (fine), "reused" (seen before, same auth), "timeout" or "foreign"."""
        if not guid:
            return ""
        key = (method, guid.strip().lower())
        now = self.now()
        with self.lock:
            seen = self._guids.get(key)
            if seen is None:
                if len(self._guids) >= _GUID_TABLE_LIMIT:
                    self._forget_idle_guids(now)
                self._guids[key] = _GuidUse(authorization_id.upper(), now)
                return ""
            if seen.authorization_id != authorization_id.upper():
                return "foreign"
            if now - seen.last_used > self.config.guid_timeout_seconds:
                return "timeout"
            seen.last_used = now
            return "reused"

    def _forget_idle_guids(self, now: float) -> None:
        # A long-running simulator sees a fresh GUID per Get: drop the ones long past their time-out.
        horizon = now - 2 * self.config.guid_timeout_seconds
        self._guids = {k: use for k, use in self._guids.items() if use.last_used >= horizon}

    # -- faults and counters ----------------------------------------------------------------------

    def set_faults(self, **knobs: Any) -> None:
        with self.lock:
            for name, value in knobs.items():
                if not hasattr(self.faults, name):
                    raise ValueError(f"unknown fault knob {name!r}")
                if name in ("kinds", "services"):
                    value = tuple(value)
                    unknown = [k for k in value if name == "kinds" and k not in FAULT_KINDS]
                    if unknown:
                        raise ValueError(f"unknown fault kinds {unknown}")
                if name == "queue":
                    value = list(value)
                    unknown = [k for k in value if k not in FAULT_KINDS]
                    if unknown:
                        raise ValueError(f"unknown fault kinds {unknown}")
                if name in ("drip_bytes", "drip_after_bytes", "drip_seconds"):
                    value = type(getattr(self.faults, name))(value)
                    if value < 0 or (name == "drip_bytes" and value < 1):
                        raise ValueError(f"{name} must be positive")
                setattr(self.faults, name, value)
            if "seed" in knobs and knobs["seed"] is not None:
                self._random.seed(knobs["seed"])

    def set_config(self, **knobs: Any) -> None:
        with self.lock:
            for name, value in knobs.items():
                if name == "advance_clock_seconds":
                    self.clock_offset += float(value)
                    continue
                if not hasattr(self.config, name):
                    raise ValueError(f"unknown config knob {name!r}")
                setattr(self.config, name, type(getattr(self.config, name))(value))

    def pick_fault(self, service: str) -> str:
        """The fault to inject into this request, or ""."""
        with self.lock:
            f = self.faults
            if f.services and service not in f.services:
                return ""
            if f.queue:
                kind = f.queue.pop(0)
            elif f.rate > 0 and self._random.random() < f.rate:
                kind = self._random.choice(f.kinds)
            else:
                return ""
            self.faults_injected[kind] += 1
            return kind

    def count_request(self, service: str) -> None:
        with self.lock:
            self.requests[service] += 1

    def count_accepted(self, service: str, key: str) -> None:
        with self.lock:
            self.accepted[service][key] += 1

    def count_drip(self, path: str, seconds: float, sent: int, *, completed: bool) -> None:
        """One dripped reply: how long it dripped, how much, and whether the client read it all
        (False: the client hung up first)."""
        with self.lock:
            entry = {"path": path, "seconds": round(seconds, 3), "bytes": sent, "completed": completed}
            self.drips.append(entry)
            del self.drips[:-1000]  # a long-running simulator keeps the last ones

    def counters(self) -> dict[str, Any]:
        with self.lock:
            return {
                "accepted": {service: dict(keys) for service, keys in self.accepted.items()},
                "requests": dict(self.requests),
                "faults_injected": dict(self.faults_injected),
                "drips": [dict(d) for d in self.drips],
            }

    def reset(self) -> None:
        with self.lock:
            self.accepted.clear()
            self.requests.clear()
            self.faults_injected.clear()
            self.drips.clear()
            self.faults = Faults()
            self.config = Config()
            self.clock_offset = 0.0
            self._guids.clear()
