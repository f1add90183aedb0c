"""The audit trail, read back the way users read CloudTrail: boto3's cloudtrail client and
``aws cloudtrail lookup-events`` against iamd's endpoint.

Reads and refusals reach the trail through a queue flushed within a fraction of a second,
so the tests poll LookupEvents for the event they caused (by its request id).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from iamd.cli.idp import saml as idp_lib
from iamd.cli.idp.oidc import IdpServer

from .conftest import Credentials, IamdServer, children
from .sts_support import allow, creds, policy, role, trust, user
from .test_saml import federate, unsigned_sts
from .test_web_identity import CLIENT_ID, _unsigned_sts
from .test_web_identity import _trust as web_trust

HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"


def find_event(trail: Any, request_id: str, **lookup: str) -> dict[str, Any]:
    """The LookupEvents entry of the request ``request_id`` (waiting for the queue)."""
    attributes = [{"AttributeKey": k, "AttributeValue": v} for k, v in lookup.items()]
    deadline = time.monotonic() + 10
    while True:
        for page in trail.get_paginator("lookup_events").paginate(LookupAttributes=attributes):
            for event in page["Events"]:
                record = json.loads(event["CloudTrailEvent"])
                if record["requestID"] == request_id:
                    event["record"] = record
                    return event  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, f"no event for request {request_id}"
        time.sleep(0.1)


def request_id(response: dict[str, Any]) -> str:
    return str(response["ResponseMetadata"]["RequestId"])


def error_request_id(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["ResponseMetadata"]["RequestId"])


@pytest.fixture
def trail(iamd_server: IamdServer, account: Credentials) -> Any:
    return iamd_server.client("cloudtrail", account)


def test_a_write_is_recorded_with_every_field(iam: Any, trail: Any, account: Credentials) -> None:
    created = iam.create_user(UserName="alice", Path="/team/")
    event = find_event(trail, request_id(created), EventName="CreateUser")
    record = event["record"]
    assert event["EventName"] == "CreateUser" and event["ReadOnly"] == "false"
    assert event["EventSource"] == "iam.amazonaws.com"
    assert event["Username"] == "root"
    assert event["AccessKeyId"] == account.access_key_id
    assert event["Resources"] == [{"ResourceType": "AWS::IAM::User", "ResourceName": "alice"}]
    assert event["EventId"] == record["eventID"]
    assert record["eventVersion"] == "1.09"
    assert record["userIdentity"] == {
        "type": "Root",
        "principalId": account.account_id,
        "arn": f"arn:aws:iam::{account.account_id}:root",
        "accountId": account.account_id,
        "accessKeyId": account.access_key_id,
    }
    assert record["eventSource"] == "iam.amazonaws.com"
    assert record["eventName"] == "CreateUser"
    assert record["awsRegion"] == "us-east-1"
    assert record["sourceIPAddress"] == "127.0.0.1"
    assert record["userAgent"].startswith("Boto3/")
    assert record["requestParameters"] == {"userName": "alice", "path": "/team/"}
    user_elements = record["responseElements"]["user"]
    assert user_elements["userName"] == "alice"
    assert user_elements["arn"] == created["User"]["Arn"]
    assert user_elements["userId"] == created["User"]["UserId"]
    assert record["readOnly"] is False
    assert record["eventType"] == "AwsApiCall"
    assert record["recipientAccountId"] == account.account_id
    assert record["resources"] == [
        {"ARN": created["User"]["Arn"], "accountId": account.account_id, "type": "AWS::IAM::User"}
    ]
    assert "errorCode" not in record
    assert record["eventTime"].endswith("Z")


def test_a_read_has_no_response_elements(iam: Any, trail: Any) -> None:
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust("arn:aws:iam::123456789012:root"))
    got = iam.get_role(RoleName="r")
    event = find_event(trail, request_id(got), EventName="GetRole")
    assert event["ReadOnly"] == "true"
    assert event["record"]["requestParameters"] == {"roleName": "r"}
    assert event["record"]["responseElements"] is None


def test_assume_role_in_the_same_account_and_the_session_that_follows(
    iamd_server: IamdServer, iam: Any, trail: Any, account: Credentials
) -> None:
    acct = account.account_id
    assert acct is not None
    alice = user(iam, "alice", allow("sts:AssumeRole"), account=acct)
    role_arn = role(iam, "app", trust(f"arn:aws:iam::{acct}:user/alice"), allow("iam:ListRoles"))
    alice_id = iam.get_user(UserName="alice")["User"]["UserId"]
    role_id = iam.get_role(RoleName="app")["Role"]["RoleId"]
    got = iamd_server.client("sts", alice).assume_role(
        RoleArn=role_arn, RoleSessionName="build-7", DurationSeconds=1800
    )
    event = find_event(trail, request_id(got), EventName="AssumeRole")
    record = event["record"]
    assert event["Username"] == "alice"
    assert event["ReadOnly"] == "true"
    assert record["eventSource"] == "sts.amazonaws.com"
    assert record["userIdentity"] == {
        "type": "IAMUser",
        "principalId": alice_id,
        "arn": f"arn:aws:iam::{acct}:user/alice",
        "accountId": acct,
        "accessKeyId": alice.access_key_id,
        "userName": "alice",
    }
    assert record["requestParameters"] == {
        "roleArn": role_arn,
        "roleSessionName": "build-7",
        "durationSeconds": 1800,
    }
    elements = record["responseElements"]
    assert elements["credentials"]["accessKeyId"] == got["Credentials"]["AccessKeyId"]
    assert elements["credentials"]["secretAccessKey"] == HIDDEN
    assert elements["credentials"]["sessionToken"] == HIDDEN
    assert elements["assumedRoleUser"] == {
        "assumedRoleId": f"{role_id}:build-7",
        "arn": f"arn:aws:sts::{acct}:assumed-role/app/build-7",
    }
    assert record["resources"] == [{"ARN": role_arn, "accountId": acct, "type": "AWS::IAM::Role"}]
    assert "sharedEventID" not in record
    kinds = {r["ResourceType"]: r["ResourceName"] for r in event["Resources"]}
    assert kinds == {
        "AWS::IAM::Role": role_arn,
        "AWS::STS::AssumedRole": f"arn:aws:sts::{acct}:assumed-role/app/build-7",
        "AWS::IAM::AccessKey": got["Credentials"]["AccessKeyId"],
    }

    session = creds(got)
    listed = iamd_server.client("iam", session).list_roles()
    later = find_event(trail, request_id(listed), EventName="ListRoles")
    assert later["Username"] == "build-7"
    assert later["AccessKeyId"] == got["Credentials"]["AccessKeyId"]
    identity = later["record"]["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["principalId"] == f"{role_id}:build-7"
    assert identity["arn"] == f"arn:aws:sts::{acct}:assumed-role/app/build-7"
    assert identity["accessKeyId"] == got["Credentials"]["AccessKeyId"]
    context = identity["sessionContext"]
    assert context["sessionIssuer"] == {
        "type": "Role",
        "principalId": role_id,
        "arn": role_arn,
        "accountId": acct,
        "userName": "app",
    }
    assert context["webIdFederationData"] == {}
    assert context["attributes"]["mfaAuthenticated"] == "false"
    assert context["attributes"]["creationDate"].endswith("Z")


def test_a_chained_assumption_names_the_first_role(
    iamd_server: IamdServer, iam: Any, trail: Any, account: Credentials
) -> None:
    acct = account.account_id
    assert acct is not None
    alice = user(iam, "alice", allow("sts:AssumeRole"), account=acct)
    first = role(iam, "first", trust(f"arn:aws:iam::{acct}:user/alice"), allow("sts:AssumeRole"))
    second = role(iam, "second", trust(first), allow("iam:GetUser"))
    one = iamd_server.client("sts", alice).assume_role(RoleArn=first, RoleSessionName="one")
    two = iamd_server.client("sts", creds(one)).assume_role(RoleArn=second, RoleSessionName="two")
    record = find_event(trail, request_id(two), EventName="AssumeRole")["record"]
    identity = record["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["arn"] == f"arn:aws:sts::{acct}:assumed-role/first/one"
    assert identity["sessionContext"]["sessionIssuer"]["arn"] == first
    assert record["requestParameters"]["roleArn"] == second
    assert record["responseElements"]["assumedRoleUser"]["arn"].endswith("assumed-role/second/two")


def test_a_cross_account_assumption_is_seen_by_both_accounts(
    iamd_server: IamdServer, iam: Any, trail: Any, account: Credentials
) -> None:
    other = iamd_server.create_account()
    other_iam = iamd_server.client("iam", other)
    acct, theirs = account.account_id, other.account_id
    assert acct is not None and theirs is not None
    target = role(other_iam, "shared", trust(f"arn:aws:iam::{acct}:root"), allow("iam:GetRole"))
    alice = user(iam, "alice", allow("sts:AssumeRole", target), account=acct)
    got = iamd_server.client("sts", alice).assume_role(RoleArn=target, RoleSessionName="xa")
    mine = find_event(trail, request_id(got), EventName="AssumeRole")
    seen = find_event(
        iamd_server.client("cloudtrail", other), request_id(got), EventName="AssumeRole"
    )
    assert mine["record"]["recipientAccountId"] == acct
    assert seen["record"]["recipientAccountId"] == theirs
    assert mine["EventId"] != seen["EventId"]
    assert mine["record"]["sharedEventID"] == seen["record"]["sharedEventID"]
    assert seen["record"]["userIdentity"]["arn"] == f"arn:aws:iam::{acct}:user/alice"
    assert seen["record"]["resources"] == [
        {"ARN": target, "accountId": theirs, "type": "AWS::IAM::Role"}
    ]


@pytest.fixture(scope="module")
def oidc_idp() -> Any:
    server = IdpServer("127.0.0.1", 0).start()
    yield server
    server.stop()


def test_web_identity_is_recorded_as_a_web_identity_user(
    iamd_server: IamdServer, iam: Any, trail: Any, account: Credentials, oidc_idp: IdpServer
) -> None:
    provider = iam.create_open_id_connect_provider(Url=oidc_idp.issuer, ClientIDList=[CLIENT_ID])[
        "OpenIDConnectProviderArn"
    ]
    role_arn = role(iam, "web", web_trust(provider), allow("iam:ListRoles"))
    token = oidc_idp.idp.token("sub-42", CLIENT_ID)
    got = _unsigned_sts(iamd_server).assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName="web", WebIdentityToken=token
    )
    event = find_event(trail, request_id(got), EventName="AssumeRoleWithWebIdentity")
    record = event["record"]
    host = oidc_idp.issuer.split("://", 1)[1]
    assert record["userIdentity"] == {
        "type": "WebIdentityUser",
        "principalId": f"{host}:{CLIENT_ID}:sub-42",
        "userName": "sub-42",
        "identityProvider": host,
    }
    assert record["requestParameters"]["webIdentityToken"] == HIDDEN
    assert record["responseElements"]["subjectFromWebIdentityToken"] == "sub-42"
    assert record["recipientAccountId"] == account.account_id
    assert event["Username"] == "sub-42"

    listed = iamd_server.client("iam", creds(got)).list_roles()
    identity = find_event(trail, request_id(listed), EventName="ListRoles")["record"][
        "userIdentity"
    ]
    assert identity["sessionContext"]["webIdFederationData"] == {
        "federatedProvider": provider,
        "attributes": {},
    }


def test_saml_is_recorded_as_a_saml_user(
    iamd_server: IamdServer, iam: Any, trail: Any, account: Credentials
) -> None:
    idp = idp_lib.generate("https://idp.example.test/saml")
    fed = federate(iam, idp, account)
    got = unsigned_sts(iamd_server).assume_role_with_saml(**fed.request(fed.assertion("bob")))
    record = find_event(trail, request_id(got), EventName="AssumeRoleWithSAML")["record"]
    identity = record["userIdentity"]
    assert identity["type"] == "SAMLUser"
    assert identity["userName"] == "bob"
    assert identity["identityProvider"] == got["NameQualifier"]
    assert identity["principalId"] == f"{got['NameQualifier']}:bob"
    assert record["requestParameters"]["sAMLAssertion"] == HIDDEN
    assert record["requestParameters"]["roleArn"] == fed.role_arn
    assert record["recipientAccountId"] == account.account_id


def test_a_denied_call_is_recorded_with_its_error(
    iamd_server: IamdServer, iam: Any, trail: Any, account: Credentials
) -> None:
    acct = account.account_id
    assert acct is not None
    reader = user(iam, "reader", allow("iam:GetUser"), account=acct)
    with pytest.raises(ClientError) as denied:
        iamd_server.client("iam", reader).create_role(
            RoleName="nope", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{acct}:root")
        )
    event = find_event(trail, error_request_id(denied), EventName="CreateRole")
    record = event["record"]
    assert record["errorCode"] == "AccessDenied"
    assert record["errorMessage"] == denied.value.response["Error"]["Message"]
    assert record["userIdentity"]["arn"] == f"arn:aws:iam::{acct}:user/reader"
    assert record["responseElements"] is None
    assert record["readOnly"] is False
    with pytest.raises(ClientError):
        iam.get_role(RoleName="nope")  # and nothing was created


def test_a_bad_signature_is_recorded_in_the_keys_account(
    iamd_server: IamdServer, iam: Any, trail: Any, account: Credentials
) -> None:
    acct = account.account_id
    assert acct is not None
    alice = user(iam, "alice", allow("iam:GetUser"), account=acct)
    forged = Credentials(alice.access_key_id, "not-the-secret-at-all-000000000000000000")
    with pytest.raises(ClientError) as refused:
        iamd_server.client("iam", forged).get_user()
    assert refused.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    event = find_event(trail, error_request_id(refused), EventName="GetUser")
    record = event["record"]
    assert record["errorCode"] == "SignatureDoesNotMatch"
    assert record["userIdentity"] == {"type": "Unknown", "accessKeyId": alice.access_key_id}
    assert record["recipientAccountId"] == acct
    assert event["AccessKeyId"] == alice.access_key_id


def test_an_error_from_the_model_is_named_as_cloudtrail_names_it(iam: Any, trail: Any) -> None:
    with pytest.raises(ClientError) as missing:
        iam.get_role(RoleName="ghost")
    record = find_event(trail, error_request_id(missing), EventName="GetRole")["record"]
    assert record["errorCode"] == "NoSuchEntityException"
    assert record["errorMessage"] == "The role with name ghost cannot be found."


def test_lookup_events_pages_filters_and_refuses_bad_input(iam: Any, trail: Any) -> None:
    ids = [request_id(iam.create_group(GroupName=f"g{i}")) for i in range(5)]
    find_event(trail, ids[-1], EventName="CreateGroup")
    first = trail.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateGroup"}],
        MaxResults=2,
    )
    assert len(first["Events"]) == 2 and "NextToken" in first
    names = [e["Resources"][0]["ResourceName"] for e in first["Events"]]
    assert names == ["g4", "g3"]  # newest first
    pages = trail.get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateGroup"}],
        PaginationConfig={"PageSize": 2},
    )
    every = [e["Resources"][0]["ResourceName"] for p in pages for e in p["Events"]]
    assert every == ["g4", "g3", "g2", "g1", "g0"]
    by_resource = trail.lookup_events(
        LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": "g2"}]
    )["Events"]
    assert [e["EventName"] for e in by_resource] == ["CreateGroup"]
    writes = trail.lookup_events(
        LookupAttributes=[{"AttributeKey": "ReadOnly", "AttributeValue": "false"}]
    )["Events"]
    assert writes and all(e["ReadOnly"] == "false" for e in writes)
    future = trail.lookup_events(StartTime=time.time() + 3600, EndTime=time.time() + 7200)
    assert future["Events"] == []

    def refused(**params: Any) -> tuple[str, int]:
        with pytest.raises(ClientError) as error:
            trail.lookup_events(**params)
        got = error.value.response
        return got["Error"]["Code"], got["ResponseMetadata"]["HTTPStatusCode"]

    assert refused(NextToken="bm90LWEtdG9rZW4") == ("InvalidNextTokenException", 400)
    two = [
        {"AttributeKey": "EventName", "AttributeValue": "CreateGroup"},
        {"AttributeKey": "Username", "AttributeValue": "root"},
    ]
    assert refused(LookupAttributes=two) == ("InvalidLookupAttributesException", 400)
    assert refused(StartTime=time.time(), EndTime=time.time() - 3600) == (
        "InvalidTimeRangeException",
        400,
    )


def test_lookup_events_is_authorized_and_sees_only_its_account(
    iamd_server: IamdServer, iam: Any, trail: Any, account: Credentials
) -> None:
    acct = account.account_id
    assert acct is not None
    nobody = user(iam, "nobody", allow("iam:GetUser"), account=acct)
    with pytest.raises(ClientError) as denied:
        iamd_server.client("cloudtrail", nobody).lookup_events()
    got = denied.value.response
    assert (got["Error"]["Code"], got["ResponseMetadata"]["HTTPStatusCode"]) == (
        "AccessDeniedException",
        403,
    )
    auditor = user(iam, "auditor", allow("cloudtrail:LookupEvents"), account=acct)
    made = iam.create_group(GroupName="mine")
    find_event(iamd_server.client("cloudtrail", auditor), request_id(made), EventName="CreateGroup")
    other = iamd_server.create_account()
    assert (
        iamd_server.client("cloudtrail", other).lookup_events(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateGroup"}]
        )["Events"]
        == []
    )


def test_the_aws_cli_looks_up_events(aws: Any, iam: Any, trail: Any) -> None:
    made = iam.create_group(GroupName="cli-group")
    find_event(trail, request_id(made), EventName="CreateGroup")
    done = aws(
        "cloudtrail",
        "lookup-events",
        "--lookup-attributes",
        "AttributeKey=ResourceName,AttributeValue=cli-group",
    )
    assert done.returncode == 0, done.stderr
    events = done.json()["Events"]
    assert [e["EventName"] for e in events] == ["CreateGroup"]
    assert json.loads(events[0]["CloudTrailEvent"])["requestID"] == request_id(made)


def test_no_secret_reaches_the_trail_or_the_logs(
    iamd_server: IamdServer, iam: Any, trail: Any, account: Credentials, oidc_idp: IdpServer
) -> None:
    acct = account.account_id
    assert acct is not None
    secrets: list[str] = []
    alice = user(iam, "alice", allow("sts:AssumeRole"), allow("sts:GetSessionToken"), account=acct)
    secrets.append(alice.secret_access_key)
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    secrets.append(key["SecretAccessKey"])
    iam.create_login_profile(UserName="alice", Password="Correct-Horse-9-Battery")
    secrets.append("Correct-Horse-9-Battery")
    iam.update_login_profile(UserName="alice", Password="Another-Secret-7-Staple")
    secrets.append("Another-Secret-7-Staple")
    service = iam.create_service_specific_credential(
        UserName="alice", ServiceName="codecommit.amazonaws.com"
    )["ServiceSpecificCredential"]
    secrets.append(service["ServicePassword"])
    mfa = iam.create_virtual_mfa_device(VirtualMFADeviceName="phone")["VirtualMFADevice"]
    secrets.append(mfa["Base32StringSeed"].decode())
    role_arn = role(iam, "app", trust(f"arn:aws:iam::{acct}:user/alice"), allow("iam:ListRoles"))
    assumed = iamd_server.client("sts", alice).assume_role(RoleArn=role_arn, RoleSessionName="ss")
    secrets += [assumed["Credentials"]["SecretAccessKey"], assumed["Credentials"]["SessionToken"]]
    session = iamd_server.client("sts", alice).get_session_token()
    secrets += [session["Credentials"]["SecretAccessKey"], session["Credentials"]["SessionToken"]]
    provider = iam.create_open_id_connect_provider(Url=oidc_idp.issuer, ClientIDList=[CLIENT_ID])[
        "OpenIDConnectProviderArn"
    ]
    web_role = role(iam, "web", web_trust(provider), allow("iam:ListRoles"))
    token = oidc_idp.idp.token("sub-secret", CLIENT_ID)
    web = _unsigned_sts(iamd_server).assume_role_with_web_identity(
        RoleArn=web_role, RoleSessionName="web", WebIdentityToken=token
    )
    secrets += [token, web["Credentials"]["SecretAccessKey"], web["Credentials"]["SessionToken"]]
    idp = idp_lib.generate("https://idp.example.test/saml")
    fed = federate(iam, idp, account, role="saml-role")
    assertion = fed.assertion("carol")
    saml = unsigned_sts(iamd_server).assume_role_with_saml(**fed.request(assertion))
    secrets += [assertion, saml["Credentials"]["SessionToken"]]
    last = iam.list_users()
    find_event(trail, request_id(last), EventName="ListUsers")

    stored = [
        e["CloudTrailEvent"]
        for page in trail.get_paginator("lookup_events").paginate()
        for e in page["Events"]
    ]
    assert len(stored) > 15
    texts = {
        "the trail": "\n".join(stored),
        "the audit log file": iamd_server.audit_log_path.read_text(),
        "the server log": iamd_server.log_path.read_text(),
    }
    assert "Correct-Horse" not in texts["the trail"]  # a sanity check of the check itself
    for where, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"a secret reached {where}"
    assert json.loads(texts["the audit log file"].splitlines()[-1])["eventVersion"] == "1.09"


def test_policy_documents_are_kept_and_nothing_else_changes(iam: Any, trail: Any) -> None:
    document = policy(allow("iam:GetUser"))
    made = iam.create_policy(PolicyName="p", PolicyDocument=document)
    record = find_event(trail, request_id(made), EventName="CreatePolicy")["record"]
    assert json.loads(record["requestParameters"]["policyDocument"]) == json.loads(document)
    assert record["responseElements"]["policy"]["policyName"] == "p"


def test_iamd_audit_searches_and_follows_the_store(
    iamd_server: IamdServer, iam: Any, trail: Any, account: Credentials
) -> None:
    made = iam.create_group(GroupName="operator-sees-this")
    find_event(trail, request_id(made), EventName="CreateGroup")
    where = (
        ["--db", iamd_server.db_url]
        if iamd_server.db_url
        else ["--data-dir", str(iamd_server.data_dir)]
    )
    command = [sys.executable, "-m", "iamd.cli.main", "audit", *where]
    env = iamd_server.env()
    found = subprocess.run(
        [*command, "--account", str(account.account_id), "--resource", "operator-sees-this",
         "--json"],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    records = [json.loads(line) for line in found.stdout.splitlines()]
    assert [r["requestID"] for r in records] == [request_id(made)]
    lines = subprocess.run(
        [*command, "--account", str(account.account_id), "--since", "1h", "--limit", "2"],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    ).stdout.splitlines()  # fmt: skip
    assert len(lines) == 2 and all(str(account.account_id) in line for line in lines)
    assert any("iam:CreateGroup root 127.0.0.1 ok" in line for line in lines)

    follower = subprocess.Popen(
        [*command, "--account", str(account.account_id), "--event-name", "CreateGroup",
         "--follow", "--json", "--limit", "1", "--interval", "0.2"],
        env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert follower.stdout is not None
        first = json.loads(follower.stdout.readline())
        assert first["requestID"] == request_id(made)
        later = iam.create_group(GroupName="made-while-following")
        second = json.loads(follower.stdout.readline())
        assert second["requestID"] == request_id(later)
    finally:
        follower.terminate()
        follower.communicate(timeout=10)
    bad = subprocess.run(
        [*command, "--since", "yesterday"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "not a time or an age" in bad.stderr


def test_an_authorization_decision_is_recorded_for_both_accounts(
    iamd_server: IamdServer, iam: Any, trail: Any, account: Credentials
) -> None:
    from .authorize_support import ask, sign
    from .authorize_support import policy as storage_policy

    service_account = iamd_server.create_account()
    acct = account.account_id
    assert acct is not None
    iam.create_user(UserName="alice")
    iam.put_user_policy(
        UserName="alice",
        PolicyName="read",
        PolicyDocument=storage_policy(
            {"Effect": "Allow", "Action": "storage:GetObject", "Resource": "*"}
        ),
    )
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    alice = Credentials(key["AccessKeyId"], key["SecretAccessKey"])
    resource = "arn:aws:storage:::photos/cat.jpg"
    result = ask(
        iamd_server, service_account, sign(alice), action="storage:GetObject",
        resource=resource, owner=acct,
    )  # fmt: skip
    assert result.decision == "Allow" and result.request_id
    theirs = iamd_server.client("cloudtrail", service_account)
    asked = find_event(theirs, result.request_id, EventName="Authorize")["record"]
    assert asked["eventSource"] == "iamd.amazonaws.com"
    assert asked["userIdentity"]["arn"] == f"arn:aws:iam::{service_account.account_id}:root"
    assert asked["requestParameters"] == {
        "action": "storage:GetObject",
        "resource": resource,
        "resourceOwner": acct,
    }
    assert asked["additionalEventData"]["decision"] == "Allow"
    assert asked["additionalEventData"]["principal"] == f"arn:aws:iam::{acct}:user/alice"
    mine = find_event(trail, result.request_id, EventName="Authorize")["record"]
    assert mine["sharedEventID"] == asked["sharedEventID"]
    assert key["SecretAccessKey"] not in json.dumps(mine)


def test_a_write_acknowledged_before_a_crash_keeps_its_event(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """SIGKILL right after the responses: every acknowledged write is in the trail."""
    from .conftest import _master_key

    server = IamdServer("sqlite", tmp_path_factory.mktemp("iamd-crash"), None, _master_key())
    server.start()
    try:
        owner = server.create_account()
        iam = server.client("iam", owner)
        ids = [request_id(iam.create_group(GroupName=f"g{n}")) for n in range(20)]
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=10)
        server.start()
        trail = server.client("cloudtrail", owner)
        pages = trail.get_paginator("lookup_events").paginate(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateGroup"}]
        )
        stored = {json.loads(e["CloudTrailEvent"])["requestID"] for p in pages for e in p["Events"]}
        assert stored == set(ids)
    finally:
        server.stop()
        server.close_database()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("workers", ["1", "2"])
def test_every_read_answered_before_a_stop_is_in_the_trail(
    tmp_path_factory: pytest.TempPathFactory, workers: str
) -> None:
    """Reads go to the storing process in batches; CTRL+C (SIGINT to every process of the
    server, as a terminal sends it) stops the workers, which hand their last events over,
    and then the storing process, which stores them."""
    from .conftest import _master_key

    server = IamdServer("sqlite", tmp_path_factory.mktemp("iamd-stop"), None, _master_key())
    server.start("--workers", workers)
    try:
        owner = server.create_account()
        ids = []
        for _ in range(4):  # new connections, spread over the workers
            sts = server.client("sts", owner)
            ids += [request_id(sts.get_caller_identity()) for _ in range(60)]
        assert server.process is not None
        for pid in [server.process.pid, *children(server.process.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGINT)
        server.process.wait(timeout=60)
        server.start()
        trail = server.client("cloudtrail", owner)
        pages = trail.get_paginator("lookup_events").paginate(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetCallerIdentity"}]
        )
        stored = [json.loads(e["CloudTrailEvent"])["requestID"] for p in pages for e in p["Events"]]
        assert sorted(stored) == sorted(ids)  # each once: none lost, none twice
    finally:
        server.stop()
        server.close_database()


def test_a_storing_process_address_in_the_environment_is_not_inherited(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """IAMD_AUDIT_STORER names the storing process ``iamd serve`` started, never another
    one: with IAMD_AUDIT_PROCESS=off the workers store their events themselves."""
    from .conftest import _master_key

    directory = tempfile.mkdtemp(prefix="iamd-test-")  # short: a socket path has a limit
    elsewhere = os.path.join(directory, "other.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(elsewhere)
        listener.listen()
        listener.setblocking(False)
        server = IamdServer("sqlite", tmp_path_factory.mktemp("iamd-env"), None, _master_key())
        own_env = server.env
        server.env = lambda: {  # type: ignore[method-assign]
            **own_env(),
            "IAMD_AUDIT_STORER": elsewhere,
            "IAMD_AUDIT_PROCESS": "off",
        }
        server.start()
        try:
            owner = server.create_account()
            made = request_id(server.client("sts", owner).get_caller_identity())
            find_event(server.client("cloudtrail", owner), made)
            with pytest.raises(BlockingIOError):
                listener.accept()  # no one connected to it
        finally:
            server.stop()
            server.close_database()
    shutil.rmtree(directory, ignore_errors=True)
