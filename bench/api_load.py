"""Load for bench/api.py: requests signed ahead of time with botocore, replayed by wrk.

A boto3 thread tops out near 450 requests/s, far below either server, so requests are
signed once with botocore's own ``SigV4Auth`` (valid for the 15-minute window), written
as raw HTTP/1.1 to a file and replayed over keep-alive connections by ``wrk``
(``apt-get install wrk``) with ``replay.lua``. A call whose requests must differ
(CreateRole's names) gets one signed request per name.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

HERE = Path(__file__).resolve().parent
REPLAY = HERE / "replay.lua"
REGION = "us-east-1"
VERSIONS = {"iam": "2010-05-08", "sts": "2011-06-15"}
FORM = "application/x-www-form-urlencoded; charset=utf-8"


@dataclass(frozen=True)
class Keys:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def botocore(self) -> Credentials:
        return Credentials(self.access_key_id, self.secret_access_key, self.session_token)


@dataclass(frozen=True)
class Call:
    """One API call as the benchmark sends it: a service, an action and its parameters."""

    service: str
    action: str
    params: tuple[tuple[str, str], ...]

    def body(self) -> str:
        pairs = [("Action", self.action), ("Version", VERSIONS[self.service]), *self.params]
        return urllib.parse.urlencode(pairs)


def signed_request(endpoint: str, call: Call, keys: Keys) -> bytes:
    """The raw HTTP/1.1 request botocore would send for ``call``, signed now."""
    host = urllib.parse.urlsplit(endpoint).netloc
    body = call.body().encode("ascii")
    request = AWSRequest(
        method="POST", url=endpoint + "/", data=body, headers={"Content-Type": FORM}
    )
    SigV4Auth(keys.botocore(), call.service, REGION).add_auth(request)
    lines = ["POST / HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in request.headers.items()]
    head = "\r\n".join(lines) + "\r\n\r\n"
    return head.encode("ascii") + body


def write_requests(path: Path, requests: Iterable[bytes]) -> int:
    """Records ``<length>\\n<raw request>`` for replay.lua; returns how many."""
    count = 0
    with path.open("wb") as out:
        for raw in requests:
            out.write(b"%d\n" % len(raw))
            out.write(raw)
            count += 1
    return count


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def replay(
    endpoint: str,
    requests_file: Path,
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
    timeout: int = 10,
) -> Result:
    """Run wrk against ``endpoint`` for ``seconds`` with the signed requests of the file."""
    command: Sequence[str] = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        f"{timeout}s",
        "-s",
        str(REPLAY),
        endpoint + "/",
        "--",
        str(requests_file),
        str(threads),
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=seconds + timeout + 30
    )
    line = next(ln for ln in reversed(done.stdout.splitlines()) if ln.startswith("{"))
    raw = json.loads(line)
    return Result(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        non_2xx=raw["non_2xx"],
        socket_errors=raw["connect_errors"]
        + raw["read_errors"]
        + raw["write_errors"]
        + raw["timeouts"],
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
    )
