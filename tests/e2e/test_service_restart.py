"""The service as a user starts it: embedded PostgreSQL, data kept between runs."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import run_cli


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DPR_")}
    env["DPR_DATA_DIR"] = str(data_dir)
    return env


def _start(data_dir: Path, port: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "procurement.app.cli", "serve", "--port", str(port)],
        env=_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"service exited early: {proc.stdout.read() if proc.stdout else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("service did not become healthy in 60 s")


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)


def test_serve_restart_keeps_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"

    proc = _start(data_dir, port)
    try:
        assert httpx.get(f"{base}/health").json() == {"status": "ok", "database": "ok", "migrations": "head"}
        created = run_cli("token", "create", "--role", "admin", "--name", "First admin", env=_env(data_dir))
        assert created.returncode == 0, created.stderr
        token = created.stdout.strip().splitlines()[-1]
        me = httpx.get(f"{base}/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["name"] == "First admin"
    finally:
        _stop(proc)
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert proc.returncode in (0, -signal.SIGTERM)
    # The embedded server was stopped with the service.
    assert not (data_dir / "pg" / "postmaster.pid").exists()
    assert (data_dir / "secrets.json").exists()

    proc = _start(data_dir, port)
    try:
        me = httpx.get(f"{base}/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
        assert me.json()["name"] == "First admin"
    finally:
        _stop(proc)
