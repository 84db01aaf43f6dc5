"""Drive a running platform simulator over HTTP: its JSON test endpoints, for tests and benchmarks."""

from __future__ import annotations

from typing import Any

import requests


class SimulatorControl:
    """The ``/_sim/...`` endpoints of a simulator at ``url`` (e.g. ``http://127.0.0.1:8600``)."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()

    def close(self) -> None:
        self._session.close()

    def tenant_url(self, slug: str) -> str:
        """The platform URL to give a tenant: deliveries go to ``{tenant_url}/{resource}``."""
        return f"{self.url}/deliveries/{slug}"

    def _get(self, path: str, **params: Any) -> Any:
        response = self._session.get(f"{self.url}{path}", params=params, timeout=self.timeout)
        response.raise_for_status()
        return response.json()

    def _post(self, path: str, payload: dict[str, Any]) -> Any:
        response = self._session.post(f"{self.url}{path}", json=payload, timeout=self.timeout)
        response.raise_for_status()
        return response.json()

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self._get("/_sim/health")
        return result

    def deliveries(self, tenant: str = "", resource: str = "", limit: int = 1000) -> list[dict[str, Any]]:
        """Stored deliveries, newest first: delivery_id, tenant, resource, received_at, counts and items."""
        result: list[dict[str, Any]] = self._get("/_sim/deliveries", tenant=tenant, resource=resource, limit=limit)
        return result

    def state(self, tenant: str, resource: str) -> dict[str, dict[str, Any]]:
        """The platform's current records of one resource: key → data (deleted keys are absent)."""
        result: dict[str, dict[str, Any]] = self._get(f"/_sim/state/{tenant}/{resource}")
        return result

    def requests(self, tenant: str = "", limit: int = 1000) -> list[dict[str, Any]]:
        """Every delivery request seen, newest first, with its HTTP status (0 for a dropped connection)."""
        result: list[dict[str, Any]] = self._get("/_sim/requests", tenant=tenant, limit=limit)
        return result

    def documents(self, limit: int = 50) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._get("/_sim/documents", limit=limit)
        return result

    def fail(
        self, count: int = 1, status: int | str = 503, *, retry_after: float | None = None, delay: float = 5.0
    ) -> None:
        """Make the next ``count`` delivery requests fail: an HTTP status, ``"timeout"`` or ``"reset"``."""
        payload: dict[str, Any] = {"count": count, "status": status, "delay": delay}
        if retry_after is not None:
            payload["retry_after"] = retry_after
        self._post("/_sim/fail", payload)

    def add_tenant(self, slug: str, secret: str) -> None:
        self._post("/_sim/tenants", {"slug": slug, "secret": secret})

    def reset(self) -> None:
        self._post("/_sim/reset", {})

    def post_sample(self, sample: str, *, sync_url: str = "", api_key: str = "") -> dict[str, Any]:
        """Make the simulator post a sample document to Spectrum Sync; returns its status and answer."""
        payload = {"sample": sample, "sync_url": sync_url, "api_key": api_key}
        result: dict[str, Any] = self._post("/_sim/post-document", payload)
        return result
