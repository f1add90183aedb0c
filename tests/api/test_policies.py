"""Managed policies and versions against a real ``iamd serve``."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import Credentials, IamdServer


def document(action: str = "s3:GetObject", version: str | None = "2012-10-17") -> str:
    body: dict[str, Any] = {"Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}
    if version:
        body["Version"] = version
    return json.dumps(body)


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def test_create_and_get(iam: Any, account: Credentials) -> None:
    created = iam.create_policy(
        PolicyName="reader",
        Path="/team/",
        PolicyDocument=document(),
        Description="reads",
        Tags=[{"Key": "k", "Value": "v"}],
    )["Policy"]
    arn = f"arn:aws:iam::{account.account_id}:policy/team/reader"
    assert created["Arn"] == arn and created["PolicyId"].startswith("ANPA")
    assert created["DefaultVersionId"] == "v1" and created["AttachmentCount"] == 0
    assert created["IsAttachable"] is True
    got = iam.get_policy(PolicyArn=arn)["Policy"]
    assert got["Description"] == "reads" and got["Tags"] == [{"Key": "k", "Value": "v"}]
    version = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert version["Document"] == json.loads(document()) and version["IsDefaultVersion"]


def test_document_rules(iam: Any) -> None:
    with pytest.raises(ClientError) as err:
        iam.create_policy(PolicyName="old", PolicyDocument=document(version=None))
    assert error(err) == (
        "MalformedPolicyDocument",
        400,
        "Policy document must be version 2012-10-17 or greater.",
    )
    with pytest.raises(ClientError) as err:
        iam.create_policy(PolicyName="bad", PolicyDocument="{nope")
    assert error(err)[:2] == ("MalformedPolicyDocument", 400)
    huge = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::" + "x" * 6200}
            ],
        }
    )
    with pytest.raises(ClientError) as err:
        iam.create_policy(PolicyName="huge", PolicyDocument=huge)
    assert error(err) == ("LimitExceeded", 409, "Cannot exceed quota for PolicySize: 6144")
    assert iam.list_policies(Scope="Local")["Policies"] == []


def test_five_versions_and_deletion_order(iam: Any) -> None:
    arn = iam.create_policy(PolicyName="p", PolicyDocument=document())["Policy"]["Arn"]
    for n in range(2, 6):
        made = iam.create_policy_version(PolicyArn=arn, PolicyDocument=document(f"s3:Put{n}"))
        assert made["PolicyVersion"]["VersionId"] == f"v{n}"
    with pytest.raises(ClientError) as err:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=document())
    assert error(err) == (
        "LimitExceeded",
        409,
        "A managed policy can have up to 5 versions. Before you create a new version, "
        "you must delete an existing version.",
    )
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in versions] == ["v5", "v4", "v3", "v2", "v1"]
    with pytest.raises(ClientError) as err:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    assert error(err) == ("DeleteConflict", 409, "Cannot delete the default version of a policy.")
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v3")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    with pytest.raises(ClientError) as err:
        iam.delete_policy(PolicyArn=arn)
    assert error(err)[:2] == ("DeleteConflict", 409)
    for version in ("v1", "v2", "v4", "v5"):
        iam.delete_policy_version(PolicyArn=arn, VersionId=version)
    iam.delete_policy(PolicyArn=arn)
    with pytest.raises(ClientError) as err:
        iam.get_policy(PolicyArn=arn)
    assert error(err) == ("NoSuchEntity", 404, f"Policy {arn} does not exist or is not attachable.")


def test_concurrent_writers_never_exceed_five_versions(iam: Any) -> None:
    arn = iam.create_policy(PolicyName="busy", PolicyDocument=document())["Policy"]["Arn"]
    outcomes: list[str] = []

    def write() -> None:
        try:
            iam.create_policy_version(PolicyArn=arn, PolicyDocument=document())
            outcomes.append("ok")
        except ClientError as exc:
            outcomes.append(exc.response["Error"]["Code"])

    threads = [threading.Thread(target=write) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 4 and outcomes.count("LimitExceeded") == 6
    ids = [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]]
    assert sorted(ids) == ["v1", "v2", "v3", "v4", "v5"]


def test_delete_while_attached(iam: Any) -> None:
    arn = iam.create_policy(PolicyName="p", PolicyDocument=document())["Policy"]["Arn"]
    iam.create_group(GroupName="g")
    iam.attach_group_policy(GroupName="g", PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    entities = iam.list_entities_for_policy(PolicyArn=arn)
    assert [g["GroupName"] for g in entities["PolicyGroups"]] == ["g"]
    assert entities["PolicyUsers"] == [] and entities["PolicyRoles"] == []
    with pytest.raises(ClientError) as err:
        iam.delete_policy(PolicyArn=arn)
    assert error(err) == ("DeleteConflict", 409, "Cannot delete a policy attached to entities.")
    iam.detach_group_policy(GroupName="g", PolicyArn=arn)
    iam.delete_policy(PolicyArn=arn)


def test_aws_managed_policies(iamd_server: IamdServer, iam: Any) -> None:
    arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    got = iam.get_policy(PolicyArn=arn)["Policy"]
    assert got["PolicyName"] == "AdministratorAccess" and got["Arn"] == arn
    aws_names = {
        p["PolicyName"]
        for page in iam.get_paginator("list_policies").paginate(Scope="AWS")
        for p in page["Policies"]
    }
    assert {"AdministratorAccess", "PowerUserAccess", "IAMFullAccess", "IAMReadOnlyAccess"} <= (
        aws_names
    )
    with pytest.raises(ClientError) as err:
        iam.delete_policy(PolicyArn=arn)
    assert error(err)[:2] == ("AccessDenied", 403)
    with pytest.raises(ClientError) as err:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=document())
    assert error(err)[:2] == ("AccessDenied", 403)
    iam.create_user(UserName="u")
    iam.attach_user_policy(UserName="u", PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    attached = iam.list_policies(OnlyAttached=True)["Policies"]
    assert [p["Arn"] for p in attached] == [arn]
    other = iamd_server.client("iam", iamd_server.create_account())
    assert other.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 0


def test_accounts_see_only_their_policies(iamd_server: IamdServer, iam: Any) -> None:
    arn = iam.create_policy(PolicyName="private", PolicyDocument=document())["Policy"]["Arn"]
    other = iamd_server.client("iam", iamd_server.create_account())
    with pytest.raises(ClientError) as err:
        other.get_policy(PolicyArn=arn)
    assert error(err)[0] == "NoSuchEntity"
    assert other.list_policies(Scope="Local")["Policies"] == []
    other.create_user(UserName="u")
    with pytest.raises(ClientError) as err:
        other.attach_user_policy(UserName="u", PolicyArn=arn)
    assert error(err)[0] == "NoSuchEntity"


def test_policy_tags_and_cli(iamd_server: IamdServer, iam: Any, account: Credentials) -> None:
    arn = iam.create_policy(PolicyName="t", PolicyDocument=document())["Policy"]["Arn"]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "a", "Value": "1"}])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "a", "Value": "1"}]
    done = iamd_server.aws("iam", "list-policy-versions", "--policy-arn", arn, credentials=account)
    assert done.returncode == 0, done.stderr
    assert [v["VersionId"] for v in done.json()["Versions"]] == ["v1"]
    done = iamd_server.aws(
        "iam", "get-policy", "--policy-arn", arn + "-missing", credentials=account
    )
    assert done.error_code == "NoSuchEntity"


def test_two_nodes_never_store_a_sixth_version(iamd_cluster: list[IamdServer]) -> None:
    creds = iamd_cluster[0].create_account()
    clients = [node.client("iam", creds) for node in iamd_cluster]
    arn = clients[0].create_policy(PolicyName="shared", PolicyDocument=document())["Policy"]["Arn"]
    outcomes: list[str] = []

    def write(client: Any) -> None:
        for _ in range(4):
            try:
                client.create_policy_version(PolicyArn=arn, PolicyDocument=document())
                outcomes.append("ok")
            except ClientError as exc:
                outcomes.append(exc.response["Error"]["Code"])

    threads = [threading.Thread(target=write, args=(c,)) for c in clients for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 4 and outcomes.count("LimitExceeded") == 12
    for client in clients:
        ids = [v["VersionId"] for v in client.list_policy_versions(PolicyArn=arn)["Versions"]]
        assert sorted(ids) == ["v1", "v2", "v3", "v4", "v5"]
