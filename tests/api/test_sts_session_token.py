"""GetSessionToken, GetFederationToken and DecodeAuthorizationMessage through boto3."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from iamd.authz import Authorizer
from iamd.operations import RequestInfo, Target
from iamd.store.db import Database
from iamd.store.secrets import AesGcmBox
from iamd.sts.keyring import KeyRing
from iamd.sts.sessions import TemporaryCredentials

from .conftest import Credentials, IamdServer
from .sts_support import allow, code_of, creds, message_of, policy, role, trust, user


def test_get_session_token_for_a_user(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    acct = account.account_id
    ann = user(iam, "ann", allow("iam:ListUsers"), allow("sts:AssumeRole"), account=acct)
    got = iamd_server.client("sts", ann).get_session_token(DurationSeconds=900)
    assert set(got) >= {"Credentials"} and "AssumedRoleUser" not in got
    expires = got["Credentials"]["Expiration"]
    assert (
        dt.timedelta(seconds=880) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(seconds=901)
    )
    session = creds(got, acct)
    me = iamd_server.client("sts", session).get_caller_identity()
    assert me["Arn"] == iam.get_user(UserName="ann")["User"]["Arn"]
    assert me["UserId"] == iam.get_user(UserName="ann")["User"]["UserId"]
    with pytest.raises(ClientError) as no_mfa:
        iamd_server.client("iam", session).list_users()
    assert code_of(no_mfa) == "InvalidClientTokenId"
    with pytest.raises(ClientError) as again:
        iamd_server.client("sts", session).get_session_token()
    assert code_of(again) == "AccessDenied"
    assert message_of(again) == "Cannot call GetSessionToken with session credentials"
    # GetSessionToken credentials may assume roles.
    arn = role(iam, "r", trust(f"arn:aws:iam::{acct}:root"))
    assert iamd_server.client("sts", session).assume_role(RoleArn=arn, RoleSessionName="s1")


def test_get_session_token_for_root_lasts_an_hour(sts: Any) -> None:
    got = sts.get_session_token(DurationSeconds=129600)
    left = got["Credentials"]["Expiration"] - dt.datetime.now(dt.UTC)
    assert dt.timedelta(seconds=3500) < left <= dt.timedelta(seconds=3601)


def test_get_session_token_default_duration_and_limits(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    bo = user(iam, "bo", account=account.account_id)
    got = iamd_server.client("sts", bo).get_session_token()
    left = got["Credentials"]["Expiration"] - dt.datetime.now(dt.UTC)
    assert dt.timedelta(hours=11, minutes=59) < left <= dt.timedelta(hours=12, seconds=1)
    raw = iamd_server.client("sts", bo, validate=False)
    with pytest.raises(ClientError) as error:
        raw.get_session_token(DurationSeconds=129601)
    assert code_of(error) == "ValidationError"


def _caller_of(server: IamdServer, session: Credentials) -> Any:
    """Open a session token with the server's own key ring, as any node would."""
    ring = KeyRing(AesGcmBox(base64.b64decode(server.master_key)))
    opener = TemporaryCredentials(ring, _Clock())
    db = Database(server.db_url or f"sqlite:///{server.data_dir / 'iamd.sqlite3'}")
    return db, opener


class _Clock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


def _allowed(server: IamdServer, session: Credentials, action: str, resource: str) -> bool:
    db, opener = _caller_of(server, session)
    with db, db.transaction(write=False) as conn:
        caller = opener.open(conn, session.access_key_id, session.session_token).caller
        now = dt.datetime.now(dt.UTC)
        decision = Authorizer().evaluate(
            conn, caller, action, Target(resource), request=RequestInfo(), now=now
        )
    return decision.allowed


def test_get_federation_token_intersects_the_users_policies(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    acct = account.account_id
    broker = user(
        iam, "broker", allow(["s3:GetObject", "s3:PutObject"]), allow("sts:*"), account=acct
    )
    sts = iamd_server.client("sts", broker)
    bare = sts.get_federation_token(Name="carol")
    assert bare["FederatedUser"] == {
        "FederatedUserId": f"{acct}:carol",
        "Arn": f"arn:aws:sts::{acct}:federated-user/carol",
    }
    assert bare["PackedPolicySize"] == 0  # AWS reports it even with nothing packed
    session = creds(bare, acct)
    me = iamd_server.client("sts", session).get_caller_identity()
    assert me == {
        **me,
        "Arn": f"arn:aws:sts::{acct}:federated-user/carol",
        "UserId": f"{acct}:carol",
    }
    assert not _allowed(iamd_server, session, "s3:GetObject", "arn:aws:s3:::b/k")

    scoped = sts.get_federation_token(
        Name="carol", Policy=policy(allow(["s3:GetObject", "s3:DeleteObject"]))
    )
    assert 0 < scoped["PackedPolicySize"] <= 100
    session = creds(scoped, acct)
    assert _allowed(iamd_server, session, "s3:GetObject", "arn:aws:s3:::b/k")
    assert not _allowed(iamd_server, session, "s3:PutObject", "arn:aws:s3:::b/k")  # not passed
    assert not _allowed(iamd_server, session, "s3:DeleteObject", "arn:aws:s3:::b/k")  # not user's

    with pytest.raises(ClientError) as no_iam:
        iamd_server.client("iam", session).list_users()
    assert code_of(no_iam) == "InvalidClientTokenId"
    with pytest.raises(ClientError) as again:
        iamd_server.client("sts", session).get_federation_token(Name="dave")
    assert message_of(again) == "Cannot call GetFederationToken with session credentials"


def test_get_federation_token_needs_permission(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    nobody = user(iam, "nobody", account=account.account_id)
    with pytest.raises(ClientError) as denied:
        iamd_server.client("sts", nobody).get_federation_token(Name="x1")
    assert code_of(denied) == "AccessDenied"
    assert "sts:GetFederationToken on resource: arn:aws:sts::" in message_of(denied)


def test_decode_authorization_message(
    iamd_server: IamdServer, iam: Any, sts: Any, account: Credentials
) -> None:
    acct = account.account_id
    arn = role(iam, "locked", trust("arn:aws:iam::111122223333:root"))
    eve = user(iam, "eve", allow("sts:AssumeRole"), account=acct)
    with pytest.raises(ClientError) as denied:
        iamd_server.client("sts", eve).assume_role(RoleArn=arn, RoleSessionName="s1")
    encoded = message_of(denied).split("Encoded authorization failure message: ")[1]
    decoded = json.loads(sts.decode_authorization_message(EncodedMessage=encoded)["DecodedMessage"])
    assert decoded["allowed"] is False and decoded["explicitDeny"] is False
    context = decoded["context"]
    assert context["action"] == "sts:AssumeRole" and context["resource"] == arn
    assert context["principal"]["arn"] == iam.get_user(UserName="eve")["User"]["Arn"]
    keys = {item["key"] for item in context["conditions"]["items"]}
    assert {"sts:rolesessionname", "aws:principalarn"} <= keys

    with pytest.raises(ClientError) as not_allowed:
        iamd_server.client("sts", eve).decode_authorization_message(EncodedMessage=encoded)
    assert code_of(not_allowed) == "AccessDenied"
    for bad in ("not-a-message", encoded[:-4], encoded[:30] + "\n" + encoded[30:]):
        with pytest.raises(ClientError) as invalid:
            sts.decode_authorization_message(EncodedMessage=bad)
        assert code_of(invalid) == "InvalidAuthorizationMessageException"
    other = iamd_server.client("sts", iamd_server.create_account())
    with pytest.raises(ClientError) as foreign:
        other.decode_authorization_message(EncodedMessage=encoded)
    assert code_of(foreign) == "InvalidAuthorizationMessageException"
