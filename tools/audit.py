"""`make audit`: pip-audit over the locked requirements, with an honest verdict.

pip-audit prints "No known vulnerabilities found" even when it could not look a single package up
(it lists those as skipped). This wrapper tells the three cases apart:

- exit 0: every locked package was checked and none has a known vulnerability;
- exit 1: at least one locked package has a known vulnerability (listed with its fix version);
- exit 3: the vulnerability service could not be reached for some packages (they are listed), so
  nothing can be promised about them. CI reports this loudly and goes on: an unreachable service
  is not a known vulnerability, but it is never shown as a clean audit either.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

LOCKS = ("requirements-dev.txt",)  # includes every runtime pin of requirements.txt


def audit(lock: str) -> dict:
    pip_audit = Path(sys.executable).with_name("pip-audit")
    command = [
        str(pip_audit),
        "-r",
        lock,
        "--require-hashes",
        "--disable-pip",
        "--progress-spinner",
        "off",
        "-f",
        "json",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if not done.stdout.strip():
        sys.exit(f"pip-audit gave no report for {lock}:\n{done.stderr.strip()}")
    report: dict = json.loads(done.stdout)
    return report


def main() -> int:
    vulnerable: list[str] = []
    skipped: list[str] = []
    checked = 0
    for lock in LOCKS:
        for dep in audit(lock)["dependencies"]:
            if "skip_reason" in dep:
                skipped.append(f"{dep['name']}: {dep['skip_reason']}")
                continue
            checked += 1
            for vuln in dep.get("vulns", []):
                fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix released"
                vulnerable.append(f"{dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})")
    print(f"audit: {checked} packages checked, {len(vulnerable)} known vulnerabilities, {len(skipped)} not checked")
    for line in vulnerable:
        print(f"  VULNERABLE {line}")
    if vulnerable:
        return 1
    if skipped:
        print("  The vulnerability service could not be reached for these packages; nothing is promised about them:")
        for line in skipped[:10]:
            print(f"  not checked: {line}")
        if len(skipped) > 10:
            print(f"  … and {len(skipped) - 10} more")
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
