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


def test_runstack_serves_the_admin_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CELERY_", "TEST_"))}
    env["SPECTRUM_SYNC_VAR_DIR"] = str(tmp_path)
    run = [sys.executable, "manage.py"]
    subprocess.run([*run, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
    boot = subprocess.run([*run, "bootstrap_demo"], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    match = re.search(r"admin login:\s+(\S+) / (\S+)", boot.stdout)
    assert match, boot.stdout
    username, password = match.groups()

    port = _free_port()
    proc = subprocess.Popen(
        [
            *run,
            "runstack",
            "--port",
            str(port),
            "--platform-port",
            str(_free_port()),
            "--spectrum-port",
            str(_free_port()),
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
    finally:
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=40)[0].decode()
    assert proc.returncode == 0, output
    assert "stopped." in output
    pids = [int(p) for p in re.findall(r"started \w+ \(pid (\d+)\)", output)]
    assert len(pids) >= 3
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
