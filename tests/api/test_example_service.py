"""The example object store (examples/storage_service) driven by boto3's S3 client.

A real uvicorn process serves the example; every request it receives is signed by
botocore's S3 signer and decided by iamd through ``AuthorizeMiddleware``: users, a role
session, another account through a bucket policy, anonymous clients of a public bucket,
and clients whose signatures are wrong.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from .conftest import Credentials, IamdServer, _free_port
from .sts_support import creds, role, trust, user

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@dataclass
class Store:
    endpoint: str
    owner: Credentials
    users: dict[str, Credentials]

    def s3(self, creds: Credentials | None) -> Any:
        config = Config(
            s3={"addressing_style": "path"},
            retries={"total_max_attempts": 1, "mode": "standard"},
            signature_version=UNSIGNED if creds is None else "s3v4",
        )
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=creds.access_key_id if creds else "unused",
            aws_secret_access_key=creds.secret_access_key if creds else "unused",
            aws_session_token=creds.session_token if creds else None,
            config=config,
        )


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the example service exited")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.05)
    raise RuntimeError("the example service did not start")


@pytest.fixture(scope="module")
def store(iamd_server: IamdServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    owner = iamd_server.create_account()
    other = iamd_server.create_account()
    iam = iamd_server.client("iam", owner)
    account = str(owner.account_id)
    service = user(
        iam,
        "storage-service",
        {"Effect": "Allow", "Action": "iamd:Authorize", "Resource": "*"},
        account=account,
    )
    photos = "arn:aws:s3:::photos"
    users = {
        "alice": user(
            iam,
            "alice",
            {"Effect": "Allow", "Action": "s3:*", "Resource": [photos, f"{photos}/*"]},
            account=account,
        ),
        "bob": user(
            iam,
            "bob",
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"},
            account=account,
        ),
        "carol": user(
            iamd_server.client("iam", other),
            "carol",
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            account=str(other.account_id),
        ),
    }
    carol = f"arn:aws:iam::{other.account_id}:user/carol"
    buckets = {
        "photos": {"owner": account},
        "shared": {
            "owner": account,
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": carol},
                    "Action": ["s3:GetObject", "s3:PutObject"],
                    "Resource": "arn:aws:s3:::shared/*",
                }
            ),
        },
        "public": {
            "owner": account,
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::public/*",
                }
            ),
        },
    }
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "IAMD_"))}
    env.update(
        PYTHONPATH=os.pathsep.join([str(EXAMPLES), env.get("PYTHONPATH", "")]),
        IAMD_ENDPOINT=iamd_server.endpoint,
        STORAGE_ACCESS_KEY_ID=service.access_key_id,
        STORAGE_SECRET_ACCESS_KEY=service.secret_access_key,
        STORAGE_BUCKETS=json.dumps(buckets),
    )
    log = tmp_path_factory.mktemp("storage") / "storage.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "storage_service.app:app_from_env",
                "--port",
                str(port),
                "--no-access-log",
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait(f"{endpoint}/healthz", process)
        yield Store(endpoint, owner, users)
    finally:
        process.terminate()
        process.wait(timeout=15)


def code_of(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_a_user_puts_gets_lists_and_deletes(store: Store) -> None:
    s3 = store.s3(store.users["alice"])
    body = b"\xff\xd8 not really a jpeg " * 100
    s3.put_object(Bucket="photos", Key="2024/cat.jpg", Body=body, ContentType="image/jpeg")
    assert s3.get_object(Bucket="photos", Key="2024/cat.jpg")["Body"].read() == body
    assert s3.head_object(Bucket="photos", Key="2024/cat.jpg")["ContentLength"] == len(body)
    listed = s3.list_objects_v2(Bucket="photos", Prefix="2024/")
    assert [o["Key"] for o in listed["Contents"]] == ["2024/cat.jpg"]
    s3.delete_object(Bucket="photos", Key="2024/cat.jpg")
    with pytest.raises(ClientError) as raised:
        s3.get_object(Bucket="photos", Key="2024/cat.jpg")
    assert code_of(raised) == ("NoSuchKey", 404)


def test_keys_that_need_encoding(store: Store) -> None:
    s3 = store.s3(store.users["alice"])
    for key in ["with space.txt", "naïve/ünïcödé.txt", "a+b=c&d.txt", "tilde~and%percent"]:
        s3.put_object(Bucket="photos", Key=key, Body=key.encode())
        assert s3.get_object(Bucket="photos", Key=key)["Body"].read() == key.encode()


def test_a_user_without_permission_gets_access_denied(store: Store) -> None:
    store.s3(store.users["alice"]).put_object(Bucket="photos", Key="dog.jpg", Body=b"woof")
    bob = store.s3(store.users["bob"])
    assert bob.get_object(Bucket="photos", Key="dog.jpg")["Body"].read() == b"woof"
    with pytest.raises(ClientError) as raised:
        bob.put_object(Bucket="photos", Key="dog.jpg", Body=b"meow")
    assert code_of(raised) == ("AccessDenied", 403)
    message = raised.value.response["Error"]["Message"]
    assert "user/bob is not authorized to perform: s3:PutObject" in message


def test_a_wrong_secret_is_signature_does_not_match(store: Store) -> None:
    alice = store.users["alice"]
    wrong = Credentials(alice.access_key_id, "not-the-secret")
    with pytest.raises(ClientError) as raised:
        store.s3(wrong).get_object(Bucket="photos", Key="dog.jpg")
    assert code_of(raised) == ("SignatureDoesNotMatch", 403)
    with pytest.raises(ClientError) as raised:
        store.s3(Credentials("AKIAUNKNOWN000000000", "x")).get_object(Bucket="photos", Key="x")
    assert code_of(raised) == ("InvalidClientTokenId", 403)


def test_another_account_through_the_bucket_policy(store: Store) -> None:
    carol = store.s3(store.users["carol"])
    carol.put_object(Bucket="shared", Key="notes.txt", Body=b"hello")
    assert carol.get_object(Bucket="shared", Key="notes.txt")["Body"].read() == b"hello"
    with pytest.raises(ClientError) as raised:
        carol.get_object(Bucket="photos", Key="dog.jpg")
    assert code_of(raised)[0] == "AccessDenied"
    with pytest.raises(ClientError) as raised:
        carol.delete_object(Bucket="shared", Key="notes.txt")
    assert code_of(raised)[0] == "AccessDenied"


def test_anonymous_clients_read_only_the_public_bucket(store: Store) -> None:
    store.s3(store.owner).put_object(Bucket="public", Key="index.html", Body=b"<html/>")
    anonymous = store.s3(None)
    assert anonymous.get_object(Bucket="public", Key="index.html")["Body"].read() == b"<html/>"
    with pytest.raises(ClientError) as raised:
        anonymous.get_object(Bucket="photos", Key="dog.jpg")
    assert code_of(raised) == ("AccessDenied", 403)


def test_a_role_session(iamd_server: IamdServer, store: Store) -> None:
    iam = iamd_server.client("iam", store.owner)
    owner = str(store.owner.account_id)
    arn = role(
        iam,
        "photo-reader",
        trust(f"arn:aws:iam::{owner}:user/alice"),
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::photos/*"},
    )
    sts = iamd_server.client("sts", store.users["alice"])
    session = creds(sts.assume_role(RoleArn=arn, RoleSessionName="job-42"))
    reader = store.s3(session)
    store.s3(store.users["alice"]).put_object(Bucket="photos", Key="r.txt", Body=b"r")
    assert reader.get_object(Bucket="photos", Key="r.txt")["Body"].read() == b"r"
    with pytest.raises(ClientError) as raised:
        reader.delete_object(Bucket="photos", Key="r.txt")
    assert "assumed-role/photo-reader/job-42" in raised.value.response["Error"]["Message"]


def test_an_unknown_bucket_is_refused(store: Store) -> None:
    with pytest.raises(ClientError) as raised:
        store.s3(store.users["alice"]).get_object(Bucket="nope", Key="x")
    assert code_of(raised) == ("AccessDenied", 403)
