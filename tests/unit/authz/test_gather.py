"""What the store says applies to a user and to a role (spec 1.2)."""

from __future__ import annotations

from iamd.authz.gather import gather_role, gather_user
from iamd.store.db import Database

from .conftest import ALICE_ID, ROLE_ID, Rows, allow, doc


def test_a_user_gets_its_own_and_its_groups_policies(db: Database, rows: Rows) -> None:
    boundary = rows.managed("Boundary", doc(allow("iam:*")))
    rows.user(ALICE_ID, "alice", "/staff/", boundary=boundary)
    rows.user("AIDABOBEXAMPLE0000001", "bob")
    own = rows.managed("Own", doc(allow("iam:GetUser")))
    team = rows.managed("Team", doc(allow("iam:ListRoles")))
    rows.attach("user", ALICE_ID, own)
    rows.inline("user", ALICE_ID, "Mine", doc(allow("iam:GetRole")))
    rows.group("AGPADEVS0000000000001", "devs", ALICE_ID)
    rows.group("AGPAOPS00000000000001", "ops", ALICE_ID, "AIDABOBEXAMPLE0000001")
    rows.group("AGPAOTHER000000000001", "other", "AIDABOBEXAMPLE0000001")
    rows.inline("group", "AGPADEVS0000000000001", "DevsInline", doc(allow("iam:CreateRole")))
    rows.inline("group", "AGPAOTHER000000000001", "NotAlices", doc(allow("*")))
    rows.attach("group", "AGPAOPS00000000000001", team)
    rows.tag("user", ALICE_ID, team="blue", Cost="42")

    got = db.run(False, lambda c: gather_user(c, ALICE_ID))
    ids = [d.policy_id for d in got.identity]
    assert ids == [
        "user/alice/Mine",
        own,
        "group/devs/DevsInline",
        team,
    ]
    assert got.boundary is not None and got.boundary.policy_id == boundary
    assert got.tags == (("team", "blue"), ("Cost", "42"))
    assert got.found


def test_a_role_gets_its_policies_boundary_and_tags(db: Database, rows: Rows) -> None:
    boundary = rows.managed("RoleBoundary", doc(allow("s3:*")))
    rows.role(ROLE_ID, "app", "/service/", boundary=boundary)
    attached = rows.managed("RolePolicy", doc(allow("iam:GetRole")))
    rows.attach("role", ROLE_ID, attached)
    rows.inline("role", ROLE_ID, "Inline", doc(allow("iam:ListRoles")))
    rows.tag("role", ROLE_ID, env="prod")
    got = db.run(False, lambda c: gather_role(c, ROLE_ID))
    assert [d.policy_id for d in got.identity] == ["role/app/Inline", attached]
    assert got.boundary is not None and got.boundary.policy_id == boundary
    assert got.tags == (("env", "prod"),)


def test_a_vanished_boundary_allows_nothing(db: Database, rows: Rows) -> None:
    rows.user(ALICE_ID, "alice", boundary="arn:aws:iam::111122223333:policy/Gone")
    got = db.run(False, lambda c: gather_user(c, ALICE_ID))
    assert got.boundary is not None and got.boundary.text is None


def test_missing_entities(db: Database) -> None:
    assert not db.run(False, lambda c: gather_user(c, "AIDANOBODY")).found
    assert not db.run(False, lambda c: gather_role(c, "AROANOBODY")).found
