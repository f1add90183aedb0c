"""Several uvicorn workers, each accepting on its own socket, the kernel spreading clients.

uvicorn's own ``--workers`` shares one listening socket among the workers, and whichever
wakes first accepts every connection that is waiting: 16 connections opened together
landed 11-16 on one of two workers, so a client with a connection pool (boto3, a load
generator) could keep one worker busy and the other idle. Here each worker binds its own
socket to the same address with ``SO_REUSEPORT``, and Linux hands each new connection to
one of them by a hash of its addresses, as ``gunicorn --reuse-port`` and nginx's
``reuseport`` do. Only processes of the same user may join such a group.

The parent binds the address first (without listening), which fails early if the port is
taken and fixes the port when 0 was asked for; it then starts the workers, passes SIGINT
and SIGTERM on to them (each shuts down gracefully, as uvicorn does), and exits when they
have, or stops the others when one exits on its own. Where ``SO_REUSEPORT`` does not
balance (not Linux) ``reuse_port_supported`` is False and uvicorn's own workers are used.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import sys
from multiprocessing.connection import wait
from typing import Any

STOP_TIMEOUT = 30.0

log = logging.getLogger("iamd.server")


def reuse_port_supported() -> bool:
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def bind_reuse_port(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``(host, port)`` in a ``SO_REUSEPORT`` group, not listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _worker(options: dict[str, Any], host: str, port: int) -> None:
    import uvicorn

    sock = bind_reuse_port(host, port)
    uvicorn.Server(uvicorn.Config(**options)).run(sockets=[sock])


def serve(options: dict[str, Any], host: str, port: int, workers: int) -> int:
    """Run ``workers`` uvicorn servers with ``options`` (``uvicorn.Config``'s keywords) on
    ``host:port``; returns the exit status once they have all stopped."""
    with bind_reuse_port(host, port) as reserved:
        port = reserved.getsockname()[1]
        context = multiprocessing.get_context("spawn")
        processes = [
            context.Process(target=_worker, args=(options, host, port), name=f"iamd-worker-{i}")
            for i in range(workers)
        ]
        stopping = False

        def stop(signum: int, _frame: object) -> None:
            nonlocal stopping
            stopping = True
            for process in processes:
                if process.is_alive():
                    process.terminate()  # SIGTERM: uvicorn shuts down gracefully

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for process in processes:
                process.start()
            log.info(
                "iamd serving on http://%s:%d with %d workers (press CTRL+C to quit)",
                host,
                port,
                workers,
            )
            wait([p.sentinel for p in processes])  # returns when one exits
            if not stopping:
                stop(signal.SIGTERM, None)
            for process in processes:
                process.join(STOP_TIMEOUT)
                if process.is_alive():
                    process.kill()
                    process.join()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    codes = [p.exitcode or 0 for p in processes]
    return 0 if stopping and all(c in (0, -signal.SIGTERM) for c in codes) else 1
