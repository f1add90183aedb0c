"""Invariants hold when clients write at once through two nodes on one PostgreSQL.

Every check-then-write of IAM (exists, then delete; count, then attach; read a list, then
write it back) runs after the write has locked its account's row, so concurrent writers
in one account take turns and each check sees what the writer before it committed.
Each case starts its writers together on both nodes and repeats, so that a race that
exists shows up; none of them can pass with one.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from .conftest import IamdServer

ROUNDS = 4


def _document(action: str = "s3:GetObject") -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}],
        }
    )


TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def _together(calls: list[Callable[[], Any]]) -> list[str]:
    """Run ``calls`` at once; each one's outcome: "ok" or its error code."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = [""] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            call()
            outcomes[index] = "ok"
        except ClientError as exc:
            outcomes[index] = exc.response["Error"]["Code"]

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _clients(cluster: list[IamdServer]) -> list[Any]:
    creds = cluster[0].create_account()
    return [node.client("iam", creds) for node in cluster]


def test_a_role_is_deleted_once(iamd_cluster: list[IamdServer]) -> None:
    clients = _clients(iamd_cluster)
    for round_ in range(ROUNDS):
        name = f"doomed-{round_}"
        clients[0].create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
        outcomes = _together(
            [lambda c=clients[i % 2], n=name: c.delete_role(RoleName=n) for i in range(4)]
        )
        assert sorted(outcomes) == ["NoSuchEntity"] * 3 + ["ok"], outcomes


def test_attached_policies_never_pass_the_quota(iamd_cluster: list[IamdServer]) -> None:
    clients = _clients(iamd_cluster)
    arns = [
        clients[0].create_policy(PolicyName=f"p{i}", PolicyDocument=_document())["Policy"]["Arn"]
        for i in range(9 + 6)
    ]
    for round_ in range(ROUNDS):
        role = f"busy-{round_}"
        clients[0].create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
        for arn in arns[:9]:
            clients[0].attach_role_policy(RoleName=role, PolicyArn=arn)
        outcomes = _together(
            [
                lambda c=clients[i % 2], a=arn, r=role: c.attach_role_policy(
                    RoleName=r, PolicyArn=a
                )
                for i, arn in enumerate(arns[9:])
            ]
        )
        assert sorted(outcomes) == ["LimitExceeded"] * 5 + ["ok"], outcomes
        attached = clients[1].list_attached_role_policies(RoleName=role)["AttachedPolicies"]
        assert len(attached) == 10


def test_no_client_id_is_lost(iamd_cluster: list[IamdServer]) -> None:
    clients = _clients(iamd_cluster)
    arn = clients[0].create_open_id_connect_provider(
        Url="https://token.example.com", ClientIDList=["first"], ThumbprintList=["a" * 40]
    )["OpenIDConnectProviderArn"]
    added = [f"client-{i}" for i in range(6)]
    outcomes = _together(
        [
            lambda c=clients[i % 2], cid=cid: c.add_client_id_to_open_id_connect_provider(
                OpenIDConnectProviderArn=arn, ClientID=cid
            )
            for i, cid in enumerate(added)
        ]
    )
    assert outcomes == ["ok"] * 6
    found = clients[1].get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert sorted(found["ClientIDList"]) == sorted(["first", *added])


def test_tags_never_pass_fifty(iamd_cluster: list[IamdServer]) -> None:
    clients = _clients(iamd_cluster)
    clients[0].create_role(
        RoleName="tagged",
        AssumeRolePolicyDocument=TRUST,
        Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(48)],
    )
    outcomes = _together(
        [
            lambda c=clients[i % 2], i=i: c.tag_role(
                RoleName="tagged", Tags=[{"Key": f"new-{i}-{j}", "Value": "v"} for j in range(2)]
            )
            for i in range(4)
        ]
    )
    assert sorted(outcomes) == ["LimitExceeded"] * 3 + ["ok"], outcomes
    assert len(clients[1].list_role_tags(RoleName="tagged")["Tags"]) == 50


def test_an_instance_profile_holds_one_role(iamd_cluster: list[IamdServer]) -> None:
    clients = _clients(iamd_cluster)
    for round_ in range(ROUNDS):
        profile = f"ip-{round_}"
        clients[0].create_instance_profile(InstanceProfileName=profile)
        roles = [f"r-{round_}-{i}" for i in range(4)]
        for role in roles:
            clients[0].create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
        outcomes = _together(
            [
                lambda c=clients[i % 2], r=role, p=profile: c.add_role_to_instance_profile(
                    InstanceProfileName=p, RoleName=r
                )
                for i, role in enumerate(roles)
            ]
        )
        assert sorted(outcomes) == ["LimitExceeded"] * 3 + ["ok"], outcomes
        got = clients[1].get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]
        assert len(got["Roles"]) == 1


def test_a_deleted_policy_is_never_left_attached(iamd_cluster: list[IamdServer]) -> None:
    clients = _clients(iamd_cluster)
    for round_ in range(ROUNDS):
        arn = clients[0].create_policy(PolicyName=f"gone-{round_}", PolicyDocument=_document())[
            "Policy"
        ]["Arn"]
        roles = [f"holder-{round_}-{i}" for i in range(3)]
        for role in roles:
            clients[0].create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
        calls: list[Callable[[], Any]] = [lambda a=arn: clients[0].delete_policy(PolicyArn=a)]
        calls += [
            lambda c=clients[1], r=role, a=arn: c.attach_role_policy(RoleName=r, PolicyArn=a)
            for role in roles
        ]
        outcomes = _together(calls)
        deleted = outcomes[0] == "ok"
        attached = [
            role
            for role in roles
            if clients[1].list_attached_role_policies(RoleName=role)["AttachedPolicies"]
        ]
        if deleted:
            assert attached == [], outcomes
        else:
            assert outcomes[0] == "DeleteConflict", outcomes
