"""IAM Roles Anywhere's resources through boto3's ``rolesanywhere`` client (REST-JSON):
trust anchors, profiles, enable/disable, tags, pagination, errors and authorization."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pki import make_ca

from .conftest import Credentials, IamdServer
from .test_concurrent_writes import _together

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "rolesanywhere.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
            }
        ],
    }
)


@pytest.fixture
def ra(iamd_server: IamdServer, account: Credentials) -> Any:
    return iamd_server.client("rolesanywhere", account)


def _bundle() -> str:
    return make_ca().pem.decode()


def _anchor(ra: Any, name: str = "anchor", **extra: Any) -> dict[str, Any]:
    source = {"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": _bundle()}}
    return ra.create_trust_anchor(name=name, source=source, **extra)["trustAnchor"]


def _code(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = err.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_trust_anchor_lifecycle(ra: Any, account: Credentials) -> None:
    created = _anchor(ra, "first", enabled=True)
    anchor_id = created["trustAnchorId"]
    assert created["trustAnchorArn"] == (
        f"arn:aws:rolesanywhere:us-east-1:{account.account_id}:trust-anchor/{anchor_id}"
    )
    assert created["enabled"] is True
    assert created["source"]["sourceType"] == "CERTIFICATE_BUNDLE"
    assert created["createdAt"].tzinfo is not None

    got = ra.get_trust_anchor(trustAnchorId=anchor_id)["trustAnchor"]
    assert got["name"] == "first"
    by_arn = ra.get_trust_anchor(trustAnchorId=created["trustAnchorArn"])["trustAnchor"]
    assert by_arn["trustAnchorId"] == anchor_id

    assert ra.disable_trust_anchor(trustAnchorId=anchor_id)["trustAnchor"]["enabled"] is False
    assert ra.get_trust_anchor(trustAnchorId=anchor_id)["trustAnchor"]["enabled"] is False
    assert ra.enable_trust_anchor(trustAnchorId=anchor_id)["trustAnchor"]["enabled"] is True

    renamed = ra.update_trust_anchor(trustAnchorId=anchor_id, name="renamed")["trustAnchor"]
    assert renamed["name"] == "renamed"

    ra.delete_trust_anchor(trustAnchorId=anchor_id)
    with pytest.raises(ClientError) as err:
        ra.get_trust_anchor(trustAnchorId=anchor_id)
    assert _code(err) == ("ResourceNotFoundException", 404)


@pytest.mark.parametrize(
    "source",
    [
        {"sourceType": "AWS_ACM_PCA", "sourceData": {"acmPcaArn": "arn:aws:acm-pca:us-east-1:1:x"}},
        {"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": "not pem"}},
    ],
    ids=["acm-pca", "not-a-certificate"],
)
def test_unusable_sources_are_refused(ra: Any, source: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as err:
        ra.create_trust_anchor(name="bad", source=source)
    assert _code(err) == ("ValidationException", 400)
    assert ra.list_trust_anchors()["trustAnchors"] == []


def test_model_constraints_answer_validation_exception(
    iamd_server: IamdServer, account: Credentials
) -> None:
    raw = iamd_server.client("rolesanywhere", account, validate=False)
    with pytest.raises(ClientError) as err:
        raw.create_profile(name="bad name!", roleArns=[])
    assert _code(err) == ("ValidationException", 400)
    message = err.value.response["Error"]["Message"]
    assert message.startswith("1 validation error detected: Value 'bad name!' at 'name'")


def test_profile_lifecycle(ra: Any, iamd_server: IamdServer, account: Credentials) -> None:
    iam = iamd_server.client("iam", account)
    role = iam.create_role(RoleName="workload", AssumeRolePolicyDocument=TRUST)["Role"]
    created = ra.create_profile(
        name="workloads",
        roleArns=[role["Arn"]],
        durationSeconds=1800,
        managedPolicyArns=["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        sessionPolicy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            }
        ),
        acceptRoleSessionName=True,
    )["profile"]
    assert created["roleArns"] == [role["Arn"]]
    assert created["durationSeconds"] == 1800
    assert created["enabled"] is False
    assert created["acceptRoleSessionName"] is True
    assert created["createdBy"] == f"arn:aws:iam::{account.account_id}:root"
    profile_id = created["profileId"]

    assert ra.enable_profile(profileId=profile_id)["profile"]["enabled"] is True
    updated = ra.update_profile(profileId=created["profileArn"], durationSeconds=900)["profile"]
    assert updated["durationSeconds"] == 900
    assert ra.get_profile(profileId=profile_id)["profile"]["durationSeconds"] == 900
    assert ra.disable_profile(profileId=profile_id)["profile"]["enabled"] is False
    ra.delete_profile(profileId=profile_id)
    assert ra.list_profiles()["profiles"] == []


def test_profile_with_unknown_policy_or_bad_session_policy_is_refused(
    ra: Any, account: Credentials
) -> None:
    role_arn = f"arn:aws:iam::{account.account_id}:role/x"
    for extra in (
        {"managedPolicyArns": [f"arn:aws:iam::{account.account_id}:policy/missing"]},
        {"sessionPolicy": "{not json"},
    ):
        with pytest.raises(ClientError) as err:
            ra.create_profile(name="p", roleArns=[role_arn], **extra)
        assert _code(err) == ("ValidationException", 400)
    assert ra.list_profiles()["profiles"] == []


def test_list_pages(ra: Any) -> None:
    ids = {_anchor(ra, f"a{i}")["trustAnchorId"] for i in range(5)}
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        kwargs: dict[str, Any] = {"pageSize": 2}
        if token:
            kwargs["nextToken"] = token
        page = ra.list_trust_anchors(**kwargs)
        pages += 1
        seen += [a["trustAnchorId"] for a in page["trustAnchors"]]
        token = page.get("nextToken")
        if not token:
            break
    assert pages == 3
    assert sorted(seen) == sorted(ids)
    paginator = ra.get_paginator("list_trust_anchors")
    items = [a for p in paginator.paginate() for a in p["trustAnchors"]]
    assert len(items) == 5
    with pytest.raises(ClientError) as err:
        ra.list_trust_anchors(nextToken="garbage")
    assert _code(err) == ("ValidationException", 400)


def test_tags(ra: Any) -> None:
    anchor = _anchor(ra, tags=[{"key": "team", "value": "a"}])
    arn = anchor["trustAnchorArn"]
    assert ra.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "team", "value": "a"}]
    ra.tag_resource(
        resourceArn=arn, tags=[{"key": "env", "value": "prod"}, {"key": "team", "value": "b"}]
    )
    tags = {t["key"]: t["value"] for t in ra.list_tags_for_resource(resourceArn=arn)["tags"]}
    assert tags == {"team": "b", "env": "prod"}
    ra.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert ra.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "env", "value": "prod"}]

    with pytest.raises(ClientError) as err:
        ra.tag_resource(resourceArn=arn, tags=[{"key": f"k{i}", "value": "v"} for i in range(50)])
    assert _code(err) == ("TooManyTagsException", 400)
    assert len(ra.list_tags_for_resource(resourceArn=arn)["tags"]) == 1

    missing = arn.rsplit("/", 1)[0] + "/00000000-0000-4000-8000-000000000000"
    with pytest.raises(ClientError) as err:
        ra.list_tags_for_resource(resourceArn=missing)
    assert _code(err) == ("ResourceNotFoundException", 404)


def test_a_user_without_permission_is_denied(iamd_server: IamdServer, account: Credentials) -> None:
    iam = iamd_server.client("iam", account)
    iam.create_user(UserName="alice")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    alice = Credentials(key["AccessKeyId"], key["SecretAccessKey"], account_id=account.account_id)
    ra = iamd_server.client("rolesanywhere", alice)
    with pytest.raises(ClientError) as err:
        ra.list_profiles()
    assert _code(err) == ("AccessDeniedException", 403)
    assert err.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{account.account_id}:user/alice is not authorized to perform: "
        "rolesanywhere:ListProfiles on resource: * because no identity-based policy allows "
        "the rolesanywhere:ListProfiles action"
    )
    iam.put_user_policy(
        UserName="alice",
        PolicyName="ra",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "rolesanywhere:List*", "Resource": "*"}
                ],
            }
        ),
    )
    assert ra.list_profiles()["profiles"] == []
    with pytest.raises(ClientError) as err:
        ra.create_trust_anchor(
            name="x",
            source={
                "sourceType": "CERTIFICATE_BUNDLE",
                "sourceData": {"x509CertificateData": _bundle()},
            },
        )
    assert _code(err) == ("AccessDeniedException", 403)
    owner = iamd_server.client("rolesanywhere", account)
    assert owner.list_trust_anchors()["trustAnchors"] == []


def test_unsigned_and_unknown_requests(iamd_server: IamdServer) -> None:
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{iamd_server.endpoint}/profiles", timeout=10)
    assert err.value.code == 403
    assert err.value.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert json.loads(err.value.read())["message"]


def test_the_aws_cli_commands_of_the_readme(aws: Any, account: Credentials) -> None:
    source = json.dumps(
        {"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": _bundle()}}
    )
    anchor = aws(
        "rolesanywhere", "create-trust-anchor", "--name", "my-ca", "--enabled", "--source", source
    )
    assert anchor.returncode == 0, anchor.stderr
    assert anchor.json()["trustAnchor"]["enabled"] is True
    role_arn = f"arn:aws:iam::{account.account_id}:role/app"
    profile = aws("rolesanywhere", "create-profile", "--name", "app", "--enabled",
                  "--role-arns", role_arn)  # fmt: skip
    assert profile.returncode == 0, profile.stderr
    assert profile.json()["profile"]["roleArns"] == [role_arn]
    listed = aws("rolesanywhere", "list-profiles")
    assert [p["name"] for p in listed.json()["profiles"]] == ["app"]


def test_tags_never_pass_the_quota_when_two_nodes_write_at_once(
    iamd_cluster: list[IamdServer],
) -> None:
    creds = iamd_cluster[0].create_account()
    clients = [node.client("rolesanywhere", creds) for node in iamd_cluster]
    for round_ in range(4):
        arn = _anchor(clients[0], f"busy-{round_}")["trustAnchorArn"]
        clients[0].tag_resource(
            resourceArn=arn, tags=[{"key": f"base{i}", "value": "v"} for i in range(47)]
        )
        outcomes = _together(
            [
                lambda c=clients[i % 2], n=i, a=arn: c.tag_resource(
                    resourceArn=a, tags=[{"key": f"new{n}", "value": "v"}]
                )
                for i in range(8)
            ]
        )
        assert sorted(outcomes) == ["TooManyTagsException"] * 5 + ["ok"] * 3, outcomes
        assert len(clients[1].list_tags_for_resource(resourceArn=arn)["tags"]) == 50
