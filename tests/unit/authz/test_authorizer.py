"""Decisions through the Authorizer: sources of policy, AWS's wording, the root, caches."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection

from iamd.authz import Authorizer
from iamd.errors import AccessDenied
from iamd.model.caller import Caller
from iamd.operations import Target
from iamd.policy import Decision, Evaluation, PolicyKind, compile_policy, parse_policy
from iamd.store.db import Database

from .conftest import (
    ACCOUNT,
    ALICE_ARN,
    ALICE_ID,
    INFO,
    NOW,
    ROLE_ARN,
    ROLE_ID,
    Rows,
    allow,
    deny,
    doc,
    role_caller,
    root_caller,
    user_caller,
)

ROLE_TARGET = Target(f"arn:aws:iam::{ACCOUNT}:role/x", account=ACCOUNT)


def decide(
    db: Database,
    authorizer: Authorizer,
    caller: Caller,
    action: str,
    target: Target = ROLE_TARGET,
    context: dict[str, object] | None = None,
) -> Evaluation:
    def run(conn: Connection) -> Evaluation:
        return authorizer.evaluate(conn, caller, action, target, context, request=INFO, now=NOW)

    return db.run(False, run)


def denial(db: Database, authorizer: Authorizer, caller: Caller, action: str) -> str:
    def run(conn: Connection) -> None:
        authorizer.authorize(conn, caller, action, ROLE_TARGET, request=INFO, now=NOW)

    with pytest.raises(AccessDenied) as err:
        db.run(False, run)
    assert err.value.http_status == 403
    return err.value.message


@pytest.fixture
def authorizer() -> Authorizer:
    return Authorizer()


def test_every_source_of_a_users_permissions(
    db: Database, rows: Rows, authorizer: Authorizer
) -> None:
    rows.user(ALICE_ID, "alice", "/staff/")
    rows.inline("user", ALICE_ID, "Own", doc(allow("iam:GetRole")))
    rows.attach("user", ALICE_ID, rows.managed("Attached", doc(allow("iam:ListRoles"))))
    rows.group("AGPADEVS0000000000001", "devs", ALICE_ID)
    rows.inline("group", "AGPADEVS0000000000001", "GroupInline", doc(allow("iam:CreateRole")))
    rows.attach(
        "group", "AGPADEVS0000000000001", rows.managed("GroupManaged", doc(allow("iam:TagRole")))
    )
    alice = user_caller()
    for action in ("iam:GetRole", "iam:ListRoles", "iam:CreateRole", "iam:TagRole"):
        assert decide(db, authorizer, alice, action).decision is Decision.ALLOW, action
    assert decide(db, authorizer, alice, "iam:DeleteRole").decision is Decision.IMPLICIT_DENY


def test_access_denied_wording(db: Database, rows: Rows, authorizer: Authorizer) -> None:
    rows.user(ALICE_ID, "alice", "/staff/")
    assert denial(db, authorizer, user_caller(), "iam:DeleteRole") == (
        f"User: {ALICE_ARN} is not authorized to perform: iam:DeleteRole on resource: "
        f"arn:aws:iam::{ACCOUNT}:role/x because no identity-based policy allows the "
        "iam:DeleteRole action"
    )


def test_explicit_deny_wording(db: Database, rows: Rows, authorizer: Authorizer) -> None:
    rows.user(ALICE_ID, "alice", "/staff/")
    rows.inline("user", ALICE_ID, "P", doc(allow("iam:*"), deny("iam:DeleteRole")))
    message = denial(db, authorizer, user_caller(), "iam:DeleteRole")
    assert message.endswith("with an explicit deny in an identity-based policy")


def test_the_boundary_caps_the_user(db: Database, rows: Rows, authorizer: Authorizer) -> None:
    boundary = rows.managed("Boundary", doc(allow("iam:Get*")))
    rows.user(ALICE_ID, "alice", "/staff/", boundary=boundary)
    rows.inline("user", ALICE_ID, "P", doc(allow("iam:*")))
    assert decide(db, authorizer, user_caller(), "iam:GetRole").allowed
    message = denial(db, authorizer, user_caller(), "iam:CreateRole")
    assert message.endswith("because no permissions boundary allows the iam:CreateRole action")


def test_root_is_not_limited_and_reads_nothing(db: Database, authorizer: Authorizer) -> None:
    root = root_caller()
    assert decide(db, authorizer, root, "iam:DeleteRole").allowed
    assert decide(db, authorizer, root, "sts:GetAccessKeyInfo", Target("*")).allowed
    assert ("root", ACCOUNT) in authorizer.subject_cache


def test_root_is_still_denied_by_a_resource_policy_deny(
    db: Database, authorizer: Authorizer
) -> None:
    resource = compile_policy(
        parse_policy(
            doc(deny("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/x", Principal="*")),
            PolicyKind.RESOURCE,
        ),
        "resource",
    )

    def run(conn: Connection) -> Evaluation:
        bound = authorizer.bind(conn, root_caller(), INFO, NOW)
        policies = bound.subject.with_resource_policy(resource)
        return bound.evaluate("sts:AssumeRole", ROLE_TARGET, policies=policies)

    assert db.run(False, run).decision is Decision.EXPLICIT_DENY


def test_a_role_session(db: Database, rows: Rows, authorizer: Authorizer) -> None:
    boundary = rows.managed("RoleBoundary", doc(allow(["iam:Get*", "iam:List*"])))
    rows.role(ROLE_ID, "app", "/service/", boundary=boundary)
    rows.inline("role", ROLE_ID, "P", doc(allow(["iam:GetRole", "iam:CreateRole"])))
    rows.attach("role", ROLE_ID, rows.managed("RoleManaged", doc(allow("iam:ListRoles"))))
    session = role_caller()
    assert decide(db, authorizer, session, "iam:GetRole").allowed
    assert decide(db, authorizer, session, "iam:ListRoles").allowed
    evaluation = decide(db, authorizer, session, "iam:CreateRole")
    assert evaluation.decision is Decision.IMPLICIT_DENY  # the boundary
    message = denial(db, authorizer, session, "iam:CreateRole")
    assert message.startswith(
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/app/sess is not authorized to perform"
    )


def test_session_policies_cap_a_role_session(
    db: Database, rows: Rows, authorizer: Authorizer
) -> None:
    rows.role(ROLE_ID, "app", "/service/")
    rows.inline("role", ROLE_ID, "P", doc(allow("iam:*")))
    session = role_caller(session_policies=(doc(allow("iam:GetRole")),))
    assert decide(db, authorizer, session, "iam:GetRole").allowed
    assert denial(db, authorizer, session, "iam:ListRoles").endswith(
        "because no session policy allows the iam:ListRoles action"
    )


def test_a_write_in_the_account_is_seen_at_once(
    db: Database, rows: Rows, authorizer: Authorizer
) -> None:
    rows.user(ALICE_ID, "alice", "/staff/")
    arn = rows.managed("P", doc(allow("iam:GetRole")))
    rows.attach("user", ALICE_ID, arn)
    alice = user_caller()
    assert decide(db, authorizer, alice, "iam:GetRole").allowed
    misses = authorizer.subject_cache.misses
    assert decide(db, authorizer, alice, "iam:GetRole").allowed
    assert authorizer.subject_cache.misses == misses  # served from the cache

    # A change that does not count as a write (no touch) is not seen: the key is the counter.
    rows.set_version(arn, doc(allow("iam:ListRoles")), touch=False)
    assert decide(db, authorizer, alice, "iam:GetRole").allowed

    rows.set_version(arn, doc(allow("iam:ListRoles")))
    assert not decide(db, authorizer, alice, "iam:GetRole").allowed
    assert decide(db, authorizer, alice, "iam:ListRoles").allowed
    assert authorizer.subject_cache.misses == misses + 1


def test_two_authorizers_on_one_store_agree(db: Database, rows: Rows) -> None:
    node_a, node_b = Authorizer(), Authorizer()
    rows.user(ALICE_ID, "alice", "/staff/")
    alice = user_caller()
    assert not decide(db, node_a, alice, "iam:GetRole").allowed
    assert not decide(db, node_b, alice, "iam:GetRole").allowed
    rows.inline("user", ALICE_ID, "P", doc(allow("iam:GetRole")))  # written "by node a"
    assert decide(db, node_b, alice, "iam:GetRole").allowed
    assert decide(db, node_a, alice, "iam:GetRole").allowed


def test_compiled_policies_are_shared_by_text(
    db: Database, rows: Rows, authorizer: Authorizer
) -> None:
    rows.user(ALICE_ID, "alice", "/staff/")
    rows.inline("user", ALICE_ID, "P", doc(allow("iam:GetRole")))
    decide(db, authorizer, user_caller(), "iam:GetRole")
    compiled = len(authorizer.compiled_cache)
    rows.tag("user", ALICE_ID, team="x")  # a write: the subject is rebuilt, the policy is not
    decide(db, authorizer, user_caller(), "iam:GetRole")
    assert len(authorizer.compiled_cache) == compiled
    assert authorizer.compiled_cache.hits >= 1


def test_a_deleted_user_has_no_permissions(db: Database, authorizer: Authorizer) -> None:
    ghost = user_caller("AIDAGHOST", f"arn:aws:iam::{ACCOUNT}:user/ghost")
    assert decide(db, authorizer, ghost, "iam:GetRole").decision is Decision.IMPLICIT_DENY


def test_a_bound_authorizer_is_the_operations_authorize(
    db: Database, rows: Rows, authorizer: Authorizer
) -> None:
    rows.user(ALICE_ID, "alice", "/staff/")
    rows.inline("user", ALICE_ID, "P", doc(allow("iam:PassRole", ROLE_ARN)))

    def run(conn: Connection) -> None:
        authorize = authorizer.bind(conn, user_caller(), INFO, NOW)
        authorize("iam:PassRole", Target(ROLE_ARN, account=ACCOUNT))
        with pytest.raises(AccessDenied):
            authorize("iam:PassRole", Target(f"arn:aws:iam::{ACCOUNT}:role/other"))

    db.run(False, run)
