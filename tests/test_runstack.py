"""`make run`'s foreground stack: the admin comes up with the printed login and Ctrl-C stops all."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.services import port_open

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _outcome(run: list[str], env: dict[str, str], record_id: int, timeout: float = 180) -> str:
    """The record's status, hold or error code and message once it stops waiting (or as it stands at
    the end). Held for a parent counts as waiting: the customer and job reach the mirror with the
    demo's first polls."""
    script = (
        f"from spectrum_sync.models import SyncRecord as R; r = R.objects.get(pk={record_id}); "
        "print(r.status, r.error_code or '-', r.error_message)"
    )
    deadline = time.monotonic() + timeout
    while True:
        shown = (
            subprocess.run([*run, "shell", "-c", script], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
            .stdout.strip()
            .splitlines()[-1]
        )
        if not shown.startswith(("pending", "sending", "confirming", "held M ")) or time.monotonic() > deadline:
            return shown
        time.sleep(1)


def test_runstack_serves_the_admin_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CELERY_", "TEST_"))}
    env["SPECTRUM_SYNC_VAR_DIR"] = str(tmp_path)
    run = [sys.executable, "manage.py"]
    subprocess.run([*run, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
    boot = subprocess.run([*run, "bootstrap_demo"], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    match = re.search(r"admin login:\s+(\S+) / (\S+)", boot.stdout)
    assert match, boot.stdout
    username, password = match.groups()

    port, platform_port, spectrum_port = _free_port(), _free_port(), _free_port()
    # The demo tenant on this run's ports (bootstrap_demo wires it to the default ones).
    env["SITE_URL"] = f"http://127.0.0.1:{port}"  # where the platform simulator posts
    rewire = (
        "from spectrum_sync.models import SpectrumConnection as C, Tenant as T; "
        f"C.objects.update(base_url='http://127.0.0.1:{spectrum_port}'); "
        f"T.objects.update(platform_url='http://127.0.0.1:{platform_port}/deliveries/demo')"
    )
    subprocess.run([*run, "shell", "-c", rewire], cwd=ROOT, env=env, check=True, capture_output=True)
    proc = subprocess.Popen(
        [
            *run,
            "runstack",
            "--port",
            str(port),
            "--platform-port",
            str(platform_port),
            "--spectrum-port",
            str(spectrum_port),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not port_open("127.0.0.1", port) and time.monotonic() < deadline:
            time.sleep(0.3)
        session = requests.Session()
        login_url = f"http://127.0.0.1:{port}/admin/login/"
        page = session.get(login_url, timeout=10)
        token = session.cookies["csrftoken"]
        response = session.post(
            login_url,
            data={"username": username, "password": password, "csrfmiddlewaretoken": token, "next": "/admin/"},
            headers={"Referer": login_url},
            timeout=10,
        )
        assert page.status_code == 200
        assert "Demo Construction Co" in session.get(f"http://127.0.0.1:{port}/admin/spectrum_sync/tenant/").text
        assert response.url.endswith("/admin/")
        # The demo's own loop on its SQLite database: the platform simulator posts a sample invoice,
        # the worker exports it to the Spectrum simulator and reads it back.
        while not port_open("127.0.0.1", platform_port) and time.monotonic() < deadline:
            time.sleep(0.3)
        posted = requests.post(
            f"http://127.0.0.1:{platform_port}/_sim/post-document", json={"sample": "ar-invoice"}, timeout=30
        ).json()
        assert posted["status"] == 202, posted
        outcome = _outcome(run, env, int(posted["answer"]["id"]))
        # The sample is the invoice whose tax Spectrum computes at the job's rate: pre-flight ran to
        # the end (mappings, mirror, totals) and holds it for an accountant to decide.
        assert outcome.startswith("held TOTAL Spectrum will compute tax 14.56"), outcome
    finally:
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=40)[0].decode()
    assert proc.returncode == 0, output
    assert "stopped." in output
    pids = [int(p) for p in re.findall(r"started \w+ \(pid (\d+)\)", output)]
    assert len(pids) >= 3
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
