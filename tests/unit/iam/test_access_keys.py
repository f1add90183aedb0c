"""Access keys through their handlers: own keys, root keys, quota, status, secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from iamd.errors import LimitExceeded, NoSuchEntity, ValidationError
from iamd.model.caller import Caller, CallerKind
from iamd.store import access_keys as key_store

from .harness import ACCOUNT, OTHER_ACCOUNT, Harness, as_user, make_harness, root


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    return make_harness(tmp_path)


def test_create_returns_the_secret_once_and_stores_it_encrypted(h: Harness) -> None:
    h.call("CreateUser", {"UserName": "u"})
    key = h.call("CreateAccessKey", {"UserName": "u"})["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and len(key["AccessKeyId"]) == 20
    assert len(key["SecretAccessKey"]) == 40 and key["Status"] == "Active"
    assert key["UserName"] == "u"
    listed = h.call("ListAccessKeys", {"UserName": "u"})["AccessKeyMetadata"]
    assert listed == [
        {
            "AccessKeyId": key["AccessKeyId"],
            "Status": "Active",
            "CreateDate": key["CreateDate"],
            "UserName": "u",
        }
    ]
    with h.db.transaction() as conn:
        raw = conn.exec_driver_sql("SELECT secret_ciphertext FROM access_keys").scalar_one()
        assert key["SecretAccessKey"].encode() not in raw
        found = key_store.get_for_authentication(conn, h.box, key["AccessKeyId"])
        assert found is not None and found.secret == key["SecretAccessKey"]


def test_two_keys_per_user(h: Harness) -> None:
    h.call("CreateUser", {"UserName": "u"})
    h.call("CreateAccessKey", {"UserName": "u"})
    h.call("CreateAccessKey", {"UserName": "u"})
    with pytest.raises(LimitExceeded) as err:
        h.call("CreateAccessKey", {"UserName": "u"})
    assert err.value.message == "Cannot exceed quota for AccessKeysPerUser: 2"


def test_without_a_user_name_the_caller_acts_on_itself(h: Harness) -> None:
    uid = h.call("CreateUser", {"UserName": "me", "Path": "/p/"})["User"]["UserId"]
    me = as_user(ACCOUNT, "me", uid, "/p/")
    key = h.call("CreateAccessKey", {}, caller=me)["AccessKey"]
    assert key["UserName"] == "me"
    assert h.authorized[-1][1].arn == f"arn:aws:iam::{ACCOUNT}:user/p/me"
    root_key = h.call("CreateAccessKey", {})["AccessKey"]
    assert "UserName" not in root_key
    assert h.authorized[-1][1].arn == f"arn:aws:iam::{ACCOUNT}:root"
    assert [k["AccessKeyId"] for k in h.call("ListAccessKeys", {})["AccessKeyMetadata"]] == [
        root_key["AccessKeyId"]
    ]
    session = Caller(CallerKind.ROLE_SESSION, ACCOUNT, "arn:aws:sts::1:assumed-role/r/s", "x")
    with pytest.raises(ValidationError) as err:
        h.call("ListAccessKeys", {}, caller=session)
    assert err.value.message == "Must specify userName when calling with non-User credentials"


def test_update_and_delete(h: Harness) -> None:
    h.call("CreateUser", {"UserName": "u"})
    h.call("CreateUser", {"UserName": "v"})
    key_id = h.call("CreateAccessKey", {"UserName": "u"})["AccessKey"]["AccessKeyId"]
    h.call("UpdateAccessKey", {"UserName": "u", "AccessKeyId": key_id, "Status": "Inactive"})
    assert h.call("ListAccessKeys", {"UserName": "u"})["AccessKeyMetadata"][0]["Status"] == (
        "Inactive"
    )
    with pytest.raises(NoSuchEntity) as err:
        h.call("DeleteAccessKey", {"UserName": "v", "AccessKeyId": key_id})
    assert err.value.message == f"The Access Key with id {key_id} cannot be found."
    with pytest.raises(NoSuchEntity):
        h.call("DeleteAccessKey", {"AccessKeyId": key_id}, caller=root(OTHER_ACCOUNT))
    h.call("DeleteAccessKey", {"UserName": "u", "AccessKeyId": key_id})
    assert h.call("ListAccessKeys", {"UserName": "u"})["AccessKeyMetadata"] == []


def test_last_used(h: Harness) -> None:
    h.call("CreateUser", {"UserName": "u"})
    key_id = h.call("CreateAccessKey", {"UserName": "u"})["AccessKey"]["AccessKeyId"]
    fresh = h.call("GetAccessKeyLastUsed", {"AccessKeyId": key_id})
    assert fresh == {"UserName": "u", "AccessKeyLastUsed": {"ServiceName": "N/A", "Region": "N/A"}}
    assert h.authorized[-1][1].arn == f"arn:aws:iam::{ACCOUNT}:user/u"
    with h.db.transaction() as conn:
        key_store.record_last_used(
            conn, key_id, at=h.clock.now(), service="iam", region="us-east-1"
        )
    used = h.call("GetAccessKeyLastUsed", {"AccessKeyId": key_id})["AccessKeyLastUsed"]
    assert used["ServiceName"] == "iam" and used["Region"] == "us-east-1"
    assert used["LastUsedDate"] == h.clock.now()
