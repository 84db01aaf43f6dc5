"""Is Spectrum there, and what may this Authorization ID do: WSTestConnection and service probes.

Nothing here writes to Spectrum: a Put is probed with an empty record (Spectrum checks authorization
before the fields), a Get reads one row and hangs up, a REST service gets an empty batch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from connectors.spectrum import layouts, rules
from connectors.spectrum.errors import (
    SpectrumAuthorizationError,
    SpectrumBadReply,
    SpectrumConfigurationError,
    SpectrumError,
    SpectrumMessage,
    SpectrumRejected,
)
from connectors.spectrum.gets import Capped, Gets
from connectors.spectrum.puts import Puts, raise_for_put_messages
from connectors.spectrum.rest import Rest

# The version we announce to WSTestConnection ("n.n", validated against the PRO-IV file,
# docs/spectrum.md#wstestconnection). When the server disagrees it names its own, which we then
# read and report.
CLIENT_VERSION = "2.0"


@dataclass(frozen=True)
class ConnectionTest:
    ok: bool
    version: str
    message: str


class Checks:
    """The connection test and the authorization probes of one connection."""

    def __init__(self, gets: Gets, puts: Puts, rest: Rest) -> None:
        self.gets = gets
        self.puts = puts
        self.rest = rest

    def test_connection(self, company: str) -> ConnectionTest:
        """WSTestConnection, reading the server's version; then, if ``company`` is given, whether
        the Authorization ID may read that company."""
        # docs/spectrum.md#wstestconnection: Authorization_ID and Version, no GUID (Puts.put_once leaves it out)
        try:
            messages = self.puts.call_put_like(layouts.WS_TEST_CONNECTION, {"Version": CLIENT_VERSION}, guid="")
            version = CLIENT_VERSION
            server_version = _version_named(messages)
            if server_version and _failed(messages):
                # The server told us its version: announce that one (the page says it is "validated").
                version = server_version
                malformed = rules.record_problems("WSTestConnection", {"Version": version})
                if malformed:  # a version we could not send in the page's n.n format
                    raise SpectrumRejected(malformed, service="WSTestConnection", client_side=True)
                messages = self.puts.call_put_like(layouts.WS_TEST_CONNECTION, {"Version": version}, guid="")
            raise_for_put_messages("WSTestConnection", messages, raw="")
        except SpectrumError as exc:
            return ConnectionTest(ok=False, version="", message=str(exc))
        ok_text = "; ".join(m.message for m in messages if m.code == "S") or "Connected"
        if company:
            allowed = self.check_services(["GetJob"], company)
            if not allowed.get("GetJob"):
                message = f"Company {company} cannot be read with this Authorization ID (GetJob refused)"
                return ConnectionTest(False, version, message)
        return ConnectionTest(ok=True, version=_version_named(messages) or version, message=ok_text)

    def check_services(self, names: Iterable[str], company: str) -> dict[str, bool]:
        """Is each service authorized on this Authorization ID (and company)?"""
        result: dict[str, bool] = {}
        for name in names:
            try:
                self._probe(name, company)
                result[name] = True
            except SpectrumAuthorizationError:
                result[name] = False
        return result

    def _probe(self, name: str, company: str) -> None:
        if name not in layouts.SOAP_SERVICES and name not in layouts.REST_SERVICES:
            raise SpectrumConfigurationError(f"no layout declared for the {name} web service", service=name)
        if name in layouts.REST_SERVICES:
            self.rest.probe(name, company)
            return
        layout = layouts.layout_for(name)
        if layout.kind == "get":
            params = {f.name: "" for f in layout.fields}
            params["pCompany_Code"] = company
            try:
                for _row in self.gets.query(layout, params):
                    break
            except (Capped, SpectrumRejected, SpectrumBadReply):
                pass
            return
        fields = {"Company_Code": company} if layout.field("Company_Code") else {}
        messages, raw = self.puts.put_once(layout, fields, "")
        if any(m.code == "A" for m in messages):
            raise_for_put_messages(name, messages, raw)


def _failed(messages: list[SpectrumMessage]) -> bool:
    return any(m.code in ("I", "M") for m in messages)


def _version_named(messages: list[SpectrumMessage]) -> str:
    for m in messages:
        found = re.search(r"[Vv]ersion\D*(\d+(?:\.\d+)*)", m.message)
        if found:
            return found.group(1)
    return ""
