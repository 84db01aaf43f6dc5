"""The lock files pin every package, transitive ones too, with hashes, and agree with their inputs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s\\;]+)")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked(path: Path) -> dict[str, tuple[str, int]]:
    """{package: (version, number of hashes)} from a `uv pip compile --generate-hashes` file."""
    pins: dict[str, tuple[str, int]] = {}
    current = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        match = PIN.match(line)
        if match:
            current = _norm(match.group(1))
            pins[current] = (match.group(3), 0)
        elif line.startswith("--hash=sha256:") and current:
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
        elif line and not line.startswith("#"):
            raise AssertionError(f"{path.name}: a line that is neither a pin, a hash nor a comment: {raw!r}")
    return pins


def inputs(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-r "):
            continue
        match = PIN.match(line)
        assert match, f"{path.name}: {raw!r} is not pinned with =="
        pins[_norm(match.group(1))] = match.group(3)
    return pins


@pytest.mark.parametrize("lock", ["requirements.txt", "requirements-dev.txt", "requirements-bootstrap.txt"])
def test_every_locked_package_has_hashes(lock: str) -> None:
    pins = locked(ROOT / lock)
    assert len(pins) > (0 if lock == "requirements-bootstrap.txt" else 20)  # the installer alone, or a lock
    unhashed = [name for name, (_, hashes) in pins.items() if hashes == 0]
    assert unhashed == []


@pytest.mark.parametrize(
    ("source", "lock"), [("requirements.in", "requirements.txt"), ("requirements-dev.in", "requirements-dev.txt")]
)
def test_lock_matches_its_input(source: str, lock: str) -> None:
    pins = locked(ROOT / lock)
    wanted = inputs(ROOT / source)
    if source == "requirements-dev.in":
        wanted |= inputs(ROOT / "requirements.in")
    wrong = {name: (version, pins.get(name, ("missing", 0))[0]) for name, version in wanted.items()}
    assert {name: pair for name, pair in wrong.items() if pair[0] != pair[1]} == {}


def test_runtime_lock_agrees_with_the_dev_lock() -> None:
    runtime, dev = locked(ROOT / "requirements.txt"), locked(ROOT / "requirements-dev.txt")
    differ = {name: (version, dev.get(name, ("missing", 0))[0]) for name, (version, _) in runtime.items()}
    assert {name: pair for name, pair in differ.items() if pair[0] != pair[1]} == {}


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def test_security_floors() -> None:
    pins = locked(ROOT / "requirements.txt")
    assert _version(pins["lxml"][0]) >= (6, 2, 0)  # lxml's latest security release
    assert _version(pins["urllib3"][0]) >= (2, 6, 0)  # bounded decompression in the streaming API


def test_the_parser_notices_an_unhashed_pin(tmp_path: Path) -> None:
    """Negative control: a pin without hashes is reported."""
    lock = tmp_path / "requirements.txt"
    lock.write_text("django==5.2.19 \\\n    --hash=sha256:abc\nrequests==2.34.2\n")
    pins = locked(lock)
    assert [name for name, (_, hashes) in pins.items() if hashes == 0] == ["requests"]


def _ci_audit_step(tmp_path: Path, audit_exit: int) -> tuple[int, str]:
    """Runs the audit lines of .ci/run with tools/audit.py replaced by a script exiting `audit_exit`."""
    import subprocess

    text = (ROOT / ".ci" / "run").read_text()
    step = text.split("# audit-begin\n", 1)[1].split("# audit-end\n", 1)[0]
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    fake = tmp_path / ".venv" / "bin" / "python"
    fake.write_text(f"#!/bin/sh\nexit {audit_exit}\n")
    fake.chmod(0o755)
    (tmp_path / "Makefile").write_text("venv:\n\t@true\n")
    script = "set -euo pipefail\n" + step + "echo reached-the-tests\n"
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=30)
    return done.returncode, done.stdout


def test_ci_goes_on_with_a_warning_when_the_vulnerability_service_is_unreachable(tmp_path: Path) -> None:
    code, out = _ci_audit_step(tmp_path, 3)
    assert code == 0
    assert "WARNING" in out and "reached-the-tests" in out


def test_ci_stops_on_a_known_vulnerability(tmp_path: Path) -> None:
    code, out = _ci_audit_step(tmp_path, 1)
    assert code == 1
    assert "reached-the-tests" not in out


def test_ci_goes_on_quietly_after_a_clean_audit(tmp_path: Path) -> None:
    code, out = _ci_audit_step(tmp_path, 0)
    assert code == 0
    assert "WARNING" not in out and "reached-the-tests" in out
