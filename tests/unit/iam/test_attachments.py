"""The shared attachment and inline-policy helpers, through the user and group handlers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iamd.config import Quotas
from iamd.errors import LimitExceeded, MalformedPolicyDocument, NoSuchEntity

from .harness import ACCOUNT, Harness, make_harness


def doc(resource: str = "*") -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": resource}],
        }
    )


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    harness = make_harness(tmp_path)
    harness.call("CreateUser", {"UserName": "u"})
    return harness


def policies(h: Harness, count: int) -> list[str]:
    arns = []
    for n in range(count):
        arns.append(
            h.call("CreatePolicy", {"PolicyName": f"p{n:02d}", "PolicyDocument": doc()})["Policy"][
                "Arn"
            ]
        )
    return arns


def test_ten_attached_policies_per_entity(h: Harness) -> None:
    arns = policies(h, 11)
    for arn in arns[:10]:
        h.call("AttachUserPolicy", {"UserName": "u", "PolicyArn": arn})
    h.call("AttachUserPolicy", {"UserName": "u", "PolicyArn": arns[0]})  # again: no-op
    with pytest.raises(LimitExceeded) as err:
        h.call("AttachUserPolicy", {"UserName": "u", "PolicyArn": arns[10]})
    assert err.value.message == "Cannot exceed quota for PoliciesPerUser: 10"
    h.call("CreateGroup", {"GroupName": "g"})
    for arn in arns[:10]:
        h.call("AttachGroupPolicy", {"GroupName": "g", "PolicyArn": arn})
    with pytest.raises(LimitExceeded) as err:
        h.call("AttachGroupPolicy", {"GroupName": "g", "PolicyArn": arns[10]})
    assert err.value.message == "Cannot exceed quota for PoliciesPerGroup: 10"


def test_list_attached_pages_and_prefix(h: Harness) -> None:
    arns = policies(h, 5)
    h.call("CreatePolicy", {"PolicyName": "deep", "Path": "/d/", "PolicyDocument": doc()})
    arns.append(f"arn:aws:iam::{ACCOUNT}:policy/d/deep")
    for arn in arns:
        h.call("AttachUserPolicy", {"UserName": "u", "PolicyArn": arn})
    seen: list[str] = []
    params: dict[str, object] = {"UserName": "u", "MaxItems": 4}
    while True:
        page = h.call("ListAttachedUserPolicies", params)
        seen += [p["PolicyArn"] for p in page["AttachedPolicies"]]
        if not page["IsTruncated"]:
            break
        params["Marker"] = page["Marker"]
    assert sorted(seen) == sorted(arns) and len(seen) == 6
    only = h.call("ListAttachedUserPolicies", {"UserName": "u", "PathPrefix": "/d/"})
    assert only["AttachedPolicies"] == [{"PolicyName": "deep", "PolicyArn": arns[-1]}]


def test_detach_what_is_not_attached(h: Harness) -> None:
    (arn,) = policies(h, 1)
    with pytest.raises(NoSuchEntity) as err:
        h.call("DetachUserPolicy", {"UserName": "u", "PolicyArn": arn})
    assert err.value.message == f"Policy {arn} was not found."
    assert h.authorized[-1][2] == {"iam:PolicyARN": arn}


def test_attach_to_a_missing_user(h: Harness) -> None:
    (arn,) = policies(h, 1)
    with pytest.raises(NoSuchEntity) as err:
        h.call("AttachUserPolicy", {"UserName": "ghost", "PolicyArn": arn})
    assert err.value.message == "The user with name ghost cannot be found."


def test_inline_policies_share_one_size_quota(tmp_path: Path) -> None:
    h = make_harness(tmp_path, Quotas(inline_policy_size_user=300))
    h.call("CreateUser", {"UserName": "u"})
    first = doc("arn:aws:s3:::" + "a" * 100)
    h.call("PutUserPolicy", {"UserName": "u", "PolicyName": "one", "PolicyDocument": first})
    # replacing a policy does not count its old text
    h.call("PutUserPolicy", {"UserName": "u", "PolicyName": "one", "PolicyDocument": first})
    with pytest.raises(LimitExceeded) as err:
        h.call("PutUserPolicy", {"UserName": "u", "PolicyName": "two", "PolicyDocument": first})
    assert err.value.message == "Maximum policy size of 300 bytes exceeded for user u"
    assert h.call("ListUserPolicies", {"UserName": "u"})["PolicyNames"] == ["one"]


def test_inline_policy_round_trip_and_errors(h: Harness) -> None:
    with pytest.raises(MalformedPolicyDocument):
        h.call("PutUserPolicy", {"UserName": "u", "PolicyName": "p", "PolicyDocument": "{}"})
    for name in ("b", "a", "c"):
        h.call("PutUserPolicy", {"UserName": "u", "PolicyName": name, "PolicyDocument": doc()})
    page = h.call("ListUserPolicies", {"UserName": "u", "MaxItems": 2})
    assert page["PolicyNames"] == ["a", "b"] and page["IsTruncated"]
    rest = h.call("ListUserPolicies", {"UserName": "u", "Marker": page["Marker"]})
    assert rest["PolicyNames"] == ["c"] and not rest["IsTruncated"]
    got = h.call("GetUserPolicy", {"UserName": "u", "PolicyName": "a"})
    assert got == {"UserName": "u", "PolicyName": "a", "PolicyDocument": doc()}
    h.call("DeleteUserPolicy", {"UserName": "u", "PolicyName": "a"})
    with pytest.raises(NoSuchEntity) as err:
        h.call("DeleteUserPolicy", {"UserName": "u", "PolicyName": "a"})
    assert err.value.message == "The user policy with name a cannot be found."
