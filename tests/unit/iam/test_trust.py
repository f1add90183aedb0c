"""Trust policies: principals resolved to unique ids on save, shown as AWS shows them."""

from __future__ import annotations

import json

import pytest

from iamd.errors import MalformedPolicyDocument
from iamd.iam import trust
from iamd.store import roles as role_store

from .conftest import create_role, trust_doc
from .harness import ACCOUNT, OTHER_ACCOUNT, Harness, root

ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"


def make_user(h: Harness, name: str = "alice", path: str = "/", account: str = ACCOUNT) -> str:
    user = h.call("CreateUser", {"UserName": name, "Path": path}, caller=root(account))["User"]
    return str(user["UserId"])


def shown(h: Harness, role: str) -> str:
    return str(h.call("GetRole", {"RoleName": role})["Role"]["AssumeRolePolicyDocument"])


def for_evaluation(h: Harness, role: str) -> str:
    with h.context() as ctx:
        found = role_store.get_by_name(ctx.db, ACCOUNT, role)
        assert found is not None
        return trust.trust_policy_for_evaluation(ctx.db, found)


def principals(text: str) -> object:
    return json.loads(text)["Statement"][0]["Principal"]["AWS"]


def test_user_and_role_arns_resolve_to_unique_ids(rh: Harness) -> None:
    alice_id = make_user(rh)
    target = create_role(rh, "target")
    doc = trust_doc(ALICE, str(target["Arn"]))
    create_role(rh, "app", trust=doc)
    assert shown(rh, "app") == doc
    assert principals(for_evaluation(rh, "app")) == [alice_id, target["RoleId"]]


def test_missing_principal_is_rejected(rh: Harness) -> None:
    ghost = f"arn:aws:iam::{ACCOUNT}:role/ghost"
    with pytest.raises(
        MalformedPolicyDocument, match=rf'^Invalid principal in policy: "AWS":"{ghost}"$'
    ):
        create_role(rh, "app", trust=trust_doc(ghost))


def test_the_path_must_match(rh: Harness) -> None:
    make_user(rh, path="/eng/")
    with pytest.raises(MalformedPolicyDocument, match="Invalid principal"):
        create_role(rh, "app", trust=trust_doc(ALICE))
    create_role(rh, "app", trust=trust_doc(f"arn:aws:iam::{ACCOUNT}:user/eng/alice"))


def test_deleted_principal_shows_its_unique_id(rh: Harness) -> None:
    alice_id = make_user(rh)
    doc = trust_doc(ALICE, ACCOUNT)
    create_role(rh, "app", trust=doc)
    rh.call("DeleteUser", {"UserName": "alice"})
    assert principals(shown(rh, "app")) == [alice_id, ACCOUNT]
    # A new alice is a different user: still not trusted, still shown as the old id.
    new_id = make_user(rh)
    assert new_id != alice_id
    assert principals(shown(rh, "app")) == [alice_id, ACCOUNT]
    assert principals(for_evaluation(rh, "app")) == [alice_id, ACCOUNT]


def test_saving_a_stale_unique_id_is_rejected(rh: Harness) -> None:
    make_user(rh)
    create_role(rh, "app", trust=trust_doc(ALICE))
    rh.call("DeleteUser", {"UserName": "alice"})
    stale = shown(rh, "app")
    with pytest.raises(MalformedPolicyDocument, match='Invalid principal in policy: "AWS":"AIDA'):
        rh.call("UpdateAssumeRolePolicy", {"RoleName": "app", "PolicyDocument": stale})


def test_existing_unique_id_is_accepted(rh: Harness) -> None:
    alice_id = make_user(rh)
    create_role(rh, "app", trust=trust_doc(alice_id))
    assert principals(shown(rh, "app")) == alice_id


def test_update_resolves_again(rh: Harness) -> None:
    create_role(rh, "app")
    alice_id = make_user(rh)
    rh.call("UpdateAssumeRolePolicy", {"RoleName": "app", "PolicyDocument": trust_doc(ALICE)})
    assert principals(for_evaluation(rh, "app")) == alice_id


def test_unresolved_forms(rh: Harness) -> None:
    values = [
        "*",
        ACCOUNT,
        f"arn:aws:iam::{ACCOUNT}:root",
        f"arn:aws:sts::{ACCOUNT}:assumed-role/r/s",
        f"arn:aws:sts::{ACCOUNT}:federated-user/bob",
    ]
    doc = trust_doc(*values)
    create_role(rh, "app", trust=doc)
    assert for_evaluation(rh, "app") == doc


def test_cross_account_principal_in_a_hosted_account(rh: Harness) -> None:
    bob_id = make_user(rh, "bob", account=OTHER_ACCOUNT)
    bob = f"arn:aws:iam::{OTHER_ACCOUNT}:user/bob"
    create_role(rh, "app", trust=trust_doc(bob))
    assert principals(for_evaluation(rh, "app")) == bob_id
    with pytest.raises(MalformedPolicyDocument):
        create_role(rh, "app2", trust=trust_doc(f"arn:aws:iam::{OTHER_ACCOUNT}:user/ghost"))


def test_principal_in_an_account_not_hosted_is_accepted_unresolved(rh: Harness) -> None:
    foreign = "arn:aws:iam::999999999999:role/anything"
    doc = trust_doc(foreign)
    create_role(rh, "app", trust=doc)
    assert for_evaluation(rh, "app") == doc


def test_a_role_may_trust_itself_once_it_exists(rh: Harness) -> None:
    me = f"arn:aws:iam::{ACCOUNT}:role/app"
    with pytest.raises(MalformedPolicyDocument):
        create_role(rh, "app", trust=trust_doc(me))
    role = create_role(rh, "app")
    rh.call("UpdateAssumeRolePolicy", {"RoleName": "app", "PolicyDocument": trust_doc(me)})
    assert principals(for_evaluation(rh, "app")) == role["RoleId"]


def test_role_deleted_and_recreated(rh: Harness) -> None:
    old = create_role(rh, "worker")
    create_role(rh, "app", trust=trust_doc(str(old["Arn"])))
    rh.call("DeleteRole", {"RoleName": "worker"})
    new = create_role(rh, "worker")
    assert principals(shown(rh, "app")) == old["RoleId"]
    assert principals(for_evaluation(rh, "app")) == old["RoleId"] != new["RoleId"]


def test_not_principal_is_refused_in_trust_policies(rh: Harness) -> None:
    doc = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Deny", "NotPrincipal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}
            ],
        }
    )
    with pytest.raises(MalformedPolicyDocument):
        create_role(rh, "app", trust=doc)
