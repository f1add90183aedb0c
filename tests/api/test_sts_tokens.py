"""Session tokens on the wire: expired, altered, borrowed, and used on another node."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import secrets
import subprocess
import sys
from typing import Any

import pytest
from botocore.exceptions import ClientError

from iamd.store.db import Database
from iamd.store.secrets import AesGcmBox
from iamd.sts import tokens
from iamd.sts.keyring import KeyRing
from iamd.sts.tokens import SessionClaims, SessionKind

from .conftest import Credentials, IamdServer
from .sts_support import allow, code_of, creds, message_of, role, trust, user


def _session(server: IamdServer, iam: Any, account: Credentials) -> Credentials:
    acct = account.account_id
    arn = role(iam, "r", trust(f"arn:aws:iam::{acct}:root"), allow("iam:ListRoles"))
    u = user(iam, "u", allow("sts:AssumeRole"), account=acct)
    return creds(server.client("sts", u).assume_role(RoleArn=arn, RoleSessionName="s1"), acct)


def _database(server: IamdServer) -> Database:
    return Database(server.db_url or f"sqlite:///{server.data_dir / 'iamd.sqlite3'}")


def _sealed(server: IamdServer, claims: SessionClaims, key_id: str) -> str:
    """A token sealed with the server's own key ring, as another node would seal it."""
    ring = KeyRing(AesGcmBox(base64.b64decode(server.master_key)))
    with _database(server) as db, db.transaction() as conn:
        now = dt.datetime.now(dt.UTC)
        return tokens.seal(ring, conn, claims, key_id, now=now, random=secrets.token_bytes)


def test_an_expired_session_is_expired_token(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    live = _session(iamd_server, iam, account)
    now = int(dt.datetime.now(dt.UTC).timestamp())
    role_arn = iam.get_role(RoleName="r")["Role"]["Arn"]
    claims = SessionClaims(
        kind=SessionKind.ROLE,
        account_id=str(account.account_id),
        principal_id=iam.get_role(RoleName="r")["Role"]["RoleId"],
        principal_arn=role_arn,
        name="s1",
        issued_at=now - 7200,
        expires_at=now - 3600,
        secret=live.secret_access_key,
    )
    expired = dataclasses.replace(
        live, session_token=_sealed(iamd_server, claims, live.access_key_id)
    )
    for service, call in (("sts", "get_caller_identity"), ("iam", "list_roles")):
        with pytest.raises(ClientError) as error:
            getattr(iamd_server.client(service, expired), call)()
        assert code_of(error) == "ExpiredToken"
        assert message_of(error) == "The security token included in the request is expired"
        assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    # The same claims, not yet expired, are a working session: the token is the session.
    fresh = dataclasses.replace(claims, expires_at=now + 600)
    valid = dataclasses.replace(live, session_token=_sealed(iamd_server, fresh, live.access_key_id))
    assert iamd_server.client("iam", valid).list_roles()["Roles"]


def test_altered_truncated_and_borrowed_tokens(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    live = _session(iamd_server, iam, account)
    token = live.session_token or ""
    flipped = token[:40] + ("A" if token[40] != "A" else "B") + token[41:]
    other = _session_for_other_key(iamd_server, iam, account)
    bad = [
        dataclasses.replace(live, session_token=flipped),
        dataclasses.replace(live, session_token=token[:-8]),
        dataclasses.replace(live, session_token="AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22"),
        dataclasses.replace(live, session_token=other.session_token),
        dataclasses.replace(live, session_token=None),
    ]
    for credentials in bad:
        with pytest.raises(ClientError) as error:
            iamd_server.client("sts", credentials).get_caller_identity()
        assert code_of(error) == "InvalidClientTokenId"
        assert message_of(error) == "The security token included in the request is invalid."
    wrong_secret = dataclasses.replace(live, secret_access_key="x" * 40)
    with pytest.raises(ClientError) as error:
        iamd_server.client("sts", wrong_secret).get_caller_identity()
    assert code_of(error) == "SignatureDoesNotMatch"


def _session_for_other_key(server: IamdServer, iam: Any, account: Credentials) -> Credentials:
    u = user(iam, "u2", allow("sts:AssumeRole"), account=account.account_id)
    arn = iam.get_role(RoleName="r")["Role"]["Arn"]
    return creds(server.client("sts", u).assume_role(RoleArn=arn, RoleSessionName="s2"))


def test_the_aws_cli_uses_session_credentials(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    session = _session(iamd_server, iam, account)
    done = iamd_server.aws("sts", "get-caller-identity", credentials=session)
    assert done.returncode == 0, done.stderr
    assert done.json()["Arn"].endswith(":assumed-role/r/s1")
    done = iamd_server.aws("iam", "list-roles", credentials=session)
    assert done.returncode == 0, done.stderr


def _keys(server: IamdServer, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "iamd.cli.main", "keys", *args]
    command += ["--db", server.db_url] if server.db_url else ["--data-dir", str(server.data_dir)]
    return subprocess.run(command, env=server.env(), capture_output=True, text=True, check=False)


def test_a_session_works_on_every_node_and_across_a_key_rotation(
    iamd_cluster: list[IamdServer],
) -> None:
    node_a, node_b = iamd_cluster
    account = node_a.create_account()
    iam = node_a.client("iam", account)
    before = _session(node_a, iam, account)
    assert node_b.client("iam", before).list_roles()["Roles"]
    rotated = _keys(node_a, "rotate", "--json")
    assert rotated.returncode == 0, rotated.stderr
    u = user(iam, "u3", allow("sts:AssumeRole"), account=account.account_id)
    arn = iam.get_role(RoleName="r")["Role"]["Arn"]
    # Node B has not reloaded its ring yet; the token it mints may use either key, and
    # node A opens it either way (an unknown key id makes it reload).
    after = creds(node_b.client("sts", u).assume_role(RoleArn=arn, RoleSessionName="s3"))
    assert node_a.client("iam", after).list_roles()["Roles"]
    assert node_a.client("sts", before).get_caller_identity()["Arn"].endswith("/r/s1")


def test_a_session_token_is_taken_in_the_one_spelling_iamd_issued(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    live = _session(iamd_server, iam, account)
    token = live.session_token or ""
    # Opened once, so a variant that matched the server's memory of it would pass.
    assert iamd_server.client("sts", live).get_caller_identity()["Arn"].endswith("/s1")
    variants = [
        token + "=" * (-len(token) % 4 or 4),
        token[:20] + "!" + token[20:],
        token[:20] + "." + token[20:],
        token.replace("-", "+").replace("_", "/")
        if ("-" in token or "_" in token)
        else token + "==",
    ]
    for variant in variants:
        spelled = dataclasses.replace(live, session_token=variant)
        with pytest.raises(ClientError) as error:
            iamd_server.client("sts", spelled).get_caller_identity()
        assert code_of(error) == "InvalidClientTokenId"
        assert message_of(error) == "The security token included in the request is invalid."
    assert iamd_server.client("sts", live).get_caller_identity()["Arn"].endswith("/s1")
