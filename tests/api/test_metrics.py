"""GET /metrics, scraped and parsed with prometheus-client's own parser, and the request
log: one line per request, JSON with --log-format json, never a secret."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from prometheus_client.parser import text_string_to_metric_families

from .conftest import Credentials, IamdServer, _master_key
from .sts_support import allow, role, trust, user
from .test_web_identity import _unsigned_sts


def scrape(server: IamdServer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics: (name, sorted labels) -> value."""
    with urllib.request.urlopen(f"{server.endpoint}/metrics", timeout=30) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_decisions_sessions_and_failures_are_counted(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    acct = account.account_id
    assert acct is not None
    alice = user(iam, "alice", allow("sts:AssumeRole"), account=acct)
    role_arn = role(iam, "app", trust(f"arn:aws:iam::{acct}:user/alice"))
    before = scrape(iamd_server)
    for _ in range(3):
        iam.get_role(RoleName="app")
    with pytest.raises(ClientError):
        iam.get_role(RoleName="ghost")
    with pytest.raises(ClientError):
        iamd_server.client("iam", alice).list_users()  # alice may not
    iamd_server.client("sts", alice).assume_role(RoleArn=role_arn, RoleSessionName="m1")
    forged = Credentials(alice.access_key_id, "x" * 40)
    with pytest.raises(ClientError):
        iamd_server.client("iam", forged).get_user()
    with pytest.raises(ClientError):
        iamd_server.client("iam", Credentials("ASIAXXXXXXXXXXXXXXXX", "y" * 40, "bad")).get_user()
    with pytest.raises(ClientError):
        _unsigned_sts(iamd_server).assume_role_with_web_identity(
            RoleArn=role_arn, RoleSessionName="ww", WebIdentityToken="not.a.jwt"
        )
    after = scrape(iamd_server)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    ok = {"service": "iam", "operation": "GetRole", "outcome": "ok"}
    assert grew("iamd_requests_total", **ok) == 3
    missing = {"service": "iam", "operation": "GetRole", "outcome": "NoSuchEntity"}
    assert grew("iamd_requests_total", **missing) == 1
    assert (
        grew("iamd_requests_total", service="iam", operation="ListUsers", outcome="AccessDenied")
        == 1
    )
    assert grew("iamd_request_duration_seconds_count", service="iam", operation="GetRole") == 4
    assert grew("iamd_sessions_issued_total", kind="AssumeRole") == 1
    assert grew("iamd_authorization_decisions_total", decision="implicit_deny") >= 1
    assert grew("iamd_authorization_decisions_total", decision="allow") >= 4
    assert grew("iamd_authentication_failures_total", code="SignatureDoesNotMatch") == 1
    assert grew("iamd_authentication_failures_total", code="InvalidClientTokenId") == 1
    assert grew("iamd_token_failures_total", code="InvalidIdentityToken") == 1
    assert ("iamd_database_retries_total", ()) in after  # exported, even at zero
    if iamd_server.db_url is None:  # SQLite: every write above waited for the writer lock
        lock_waits = after[("iamd_writer_lock_wait_seconds_count", ())]
        assert lock_waits - before.get(("iamd_writer_lock_wait_seconds_count", ()), 0) >= 1


def test_an_unserved_action_is_counted_as_unknown(iamd_server: IamdServer, iam: Any) -> None:
    before = scrape(iamd_server)
    request = urllib.request.Request(
        iamd_server.endpoint + "/", data=b"Action=NoSuchThing%00" + b"x" * 100, method="POST"
    )
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(request, timeout=30)
    after = scrape(iamd_server)
    names = {labels for (name, labels) in after if name == "iamd_requests_total"}
    assert not any(("operation", "NoSuchThing\x00" + "x" * 100) in labels for labels in names)
    grew = value(
        after, "iamd_requests_total", service="iam", operation="unknown",
        outcome="MissingAuthenticationToken",
    ) - value(
        before, "iamd_requests_total", service="iam", operation="unknown",
        outcome="MissingAuthenticationToken",
    )  # fmt: skip
    assert grew == 1


@pytest.fixture(scope="module")
def workers_and_json_logs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IamdServer]:
    server = IamdServer("sqlite", tmp_path_factory.mktemp("iamd-metrics"), None, _master_key())
    server.start("--workers", "2", "--log-format", "json")
    yield server
    server.stop()
    server.close_database()


def test_two_workers_are_summed_and_log_json_lines(workers_and_json_logs: IamdServer) -> None:
    server = workers_and_json_logs
    owner = server.create_account()
    made = [
        server.client("iam", owner).create_group(GroupName=f"g{n}")["ResponseMetadata"]["RequestId"]
        for n in range(12)
    ]  # a new client (so a new connection) each time: the kernel spreads them
    key = server.client("iam", owner).create_user(UserName="u")
    secret = server.client("iam", owner).create_access_key(UserName="u")["AccessKey"][
        "SecretAccessKey"
    ]
    samples = scrape(server)
    created = {"service": "iam", "operation": "CreateGroup", "outcome": "ok"}
    assert value(samples, "iamd_requests_total", **created) == 12

    lines = [json.loads(line) for line in server.log_path.read_text().splitlines()
             if line.startswith("{")]  # fmt: skip
    requests = [line for line in lines if line.get("logger") == "iamd.request"]
    by_id = {line["requestId"]: line for line in requests}
    for request_id in made:
        line = by_id[request_id]
        assert line["operation"] == "CreateGroup" and line["status"] == 200
        assert line["outcome"] == "ok" and line["principal"].endswith(":root")
        assert line["accessKeyId"] == owner.access_key_id and line["durationMs"] > 0
    assert by_id[key["ResponseMetadata"]["RequestId"]]["operation"] == "CreateUser"
    assert {line["level"] for line in lines} <= {"INFO", "WARNING", "DEBUG"}
    assert secret not in server.log_path.read_text()
