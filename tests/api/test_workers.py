"""``iamd serve --workers N``: the workers share the clients' connections, and stop together."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import IamdServer, _master_key, children

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="SO_REUSEPORT balances only on Linux"
)


ESTABLISHED, LISTEN = "01", "0A"


def _inodes(port: int, state: str) -> set[str]:
    """Socket inodes of TCP sockets in ``state`` whose local port is ``port``."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == state:
                inodes.add(fields[9])
    return inodes


def _sockets_of(pid: int, inodes: set[str]) -> int:
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            count += 1
    return count


def _workers(pid: int, port: int) -> list[int]:
    """The server's workers: those of its processes that listen on ``port``."""
    listening = _inodes(port, LISTEN)
    return [child for child in children(pid) if _sockets_of(child, listening)]


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[IamdServer]:
    server = IamdServer("sqlite", tmp_path / "data", None, _master_key())
    server.start("--workers", "2")  # ready: one worker answers
    deadline = time.monotonic() + 60
    while len(_inodes(server.port, LISTEN)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # the other is still starting
    yield server
    server.stop()


def test_connections_are_spread_over_the_workers(two_workers: IamdServer) -> None:
    assert two_workers.process is not None
    workers = _workers(two_workers.process.pid, two_workers.port)
    assert len(workers) == 2
    iam = two_workers.client("iam")
    assert iam.get_user()["User"]["Arn"].endswith(":root")
    connections = [socket.create_connection(("127.0.0.1", two_workers.port)) for _ in range(32)]
    try:
        for conn in connections:  # a request on each, so each has been accepted
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert conn.recv(1024).startswith(b"HTTP/1.1 200")
        inodes = _inodes(two_workers.port, ESTABLISHED)
        served = [_sockets_of(pid, inodes) for pid in workers]
    finally:
        for conn in connections:
            conn.close()
    assert sum(served) >= 32  # (and boto3's own connection)
    assert min(served) >= 4, served  # one worker holding (nearly) all leaves the other idle


def test_sigterm_stops_every_worker_and_the_storing_process(two_workers: IamdServer) -> None:
    process = two_workers.process
    assert process is not None
    started = children(process.pid)
    assert len(_workers(process.pid, two_workers.port)) == 2
    assert len(started) == 3  # and the audit storing process
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    for pid in started:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()


def test_a_port_in_use_is_an_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = IamdServer("sqlite", tmp_path / "data", None, _master_key())
        server.data_dir.mkdir(parents=True)
        done = subprocess.run(
            [sys.executable, "-m", "iamd.cli.main", "serve", "--port", str(port), "--workers", "2"],
            env=server.env(),
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
