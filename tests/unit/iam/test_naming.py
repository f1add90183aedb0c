"""Names, paths and quotas: AWS's rules and messages, checked without a store."""

from __future__ import annotations

import pytest

from iamd.errors import ValidationError
from iamd.iam import naming
from iamd.iam.naming import GROUP, INSTANCE_PROFILE, ROLE, USER


@pytest.mark.parametrize("name", ["a", "A-b_c+d=e,f.g@h", "x" * 64, "ünïcode"])
def test_valid_role_names(name: str) -> None:
    if name == "ünïcode":
        assert naming.name_violations(ROLE, name)  # \w is ASCII in AWS's pattern
    else:
        assert naming.name_violations(ROLE, name) == []


@pytest.mark.parametrize("name", ["", "a b", "a/b", "a:b", "x" * 65, "a*"])
def test_invalid_role_names(name: str) -> None:
    assert naming.name_violations(ROLE, name)


def test_name_lengths_per_kind() -> None:
    assert naming.name_violations(GROUP, "g" * 128) == []
    assert naming.name_violations(INSTANCE_PROFILE, "i" * 129)
    assert naming.name_violations(USER, "u" * 65)


@pytest.mark.parametrize("path", ["/", "/a/", "/a/b/", "/~!/", "/" + "a" * 510 + "/"])
def test_valid_paths(path: str) -> None:
    assert naming.path_violations(path) == []


@pytest.mark.parametrize("path", ["", "a", "/a", "a/", "/a b/", "/" + "a" * 511 + "/", "/é/"])
def test_invalid_paths(path: str) -> None:
    assert naming.path_violations(path)


def test_path_prefix() -> None:
    assert naming.path_prefix_violations("/a") == []
    assert naming.path_prefix_violations("a/")


def test_messages_gather_every_violation() -> None:
    with pytest.raises(ValidationError) as err:
        naming.raise_violations(naming.name_violations(ROLE, "a b") + naming.path_violations("x"))
    # IAM names the member, never the value it was sent.
    assert err.value.message.startswith("2 validation errors detected: Value at 'roleName'")
    assert "Value at 'path' failed to satisfy constraint: Member must satisfy regular" in (
        err.value.message
    )
    assert "'a b'" not in err.value.message


def test_arns_and_messages() -> None:
    assert ROLE.arn("123456789012", "/a/", "r") == "arn:aws:iam::123456789012:role/a/r"
    assert ROLE.placeholder_arn("123456789012", "r") == "arn:aws:iam::123456789012:role/r"
    assert ROLE.not_found.format(name="X") == "The role with name X cannot be found."
    assert ROLE.exists.format(name="X") == "Role with name X already exists."
    assert str(naming.quota_exceeded("RolesPerAccount", 1000)) == (
        "Cannot exceed quota for RolesPerAccount: 1000"
    )
