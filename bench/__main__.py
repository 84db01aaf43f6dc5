"""``make bench``: every benchmark in turn, each in its own process, each printing its baseline.

    .venv/bin/python -m bench                         # all of them, with their default sizes
    .venv/bin/python -m bench export_throughput odbc_read   # only these

Each benchmark builds what it needs on loopback (its own databases on DATABASE_URL's PostgreSQL
server, its own redis-server where it publishes much); the environment below only names them.
A benchmark that fails is reported, and the rest still run; the exit code is 1 if any failed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SERVER = "postgres://postgres@127.0.0.1:5432"

# name -> environment it needs beyond the caller's (see each file's docstring)
BENCHES: dict[str, dict[str, str]] = {
    "parse_customers": {},
    "odbc_read": {},
    "poll_throughput": {},
    "platform_deliver": {},
    "dispatch_tick": {"CELERY_BROKER_URL": "redis://127.0.0.1:6379/6"},
    "export_throughput": {},
    "job_update": {},
    "api_intake": {},
    "admin_history": {"DATABASE_URL": f"{SERVER}/bench_admin"},
}


def main(names: list[str]) -> int:
    unknown = [name for name in names if name not in BENCHES]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHES)}", file=sys.stderr)
        return 2
    failed: list[str] = []
    for name in names or list(BENCHES):
        print(f"\n=== bench/{name}.py", flush=True)
        started = time.monotonic()
        code = subprocess.call(
            [sys.executable, str(HERE / f"{name}.py")], cwd=ROOT, env={**os.environ, **BENCHES[name]}
        )
        print(f"=== bench/{name}.py: exit {code} after {time.monotonic() - started:.0f} s", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
