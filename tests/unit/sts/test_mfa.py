"""Virtual MFA devices and TOTP with a clock the tests move (never wait)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from iam.harness import ACCOUNT, Harness, as_user, make_harness

import iamd.iam.mfa  # noqa: F401  (registers the operations)
from iamd.errors import (
    AccessDenied,
    DeleteConflict,
    EntityAlreadyExists,
    InvalidAuthenticationCode,
    NoSuchEntity,
)
from iamd.iam.mfa import (
    INVALID_CODE,
    UNKNOWN_DEVICE,
    time_step,
    totp,
    verify_code,
)
from iamd.model.caller import Caller

RFC_SEED = b"12345678901234567890"


@pytest.mark.parametrize(
    ("seconds", "code"),
    [(59, "287082"), (1111111109, "081804"), (1111111111, "050471"), (1234567890, "005924")],
)
def test_rfc_6238_vectors(seconds: int, code: str) -> None:
    assert totp(RFC_SEED, seconds // 30) == code


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    return make_harness(tmp_path)


def _setup(h: Harness) -> tuple[Caller, str, bytes]:
    user = h.call("CreateUser", {"UserName": "ann"})["User"]
    made = h.call("CreateVirtualMFADevice", {"VirtualMFADeviceName": "ann-phone"})
    device = made["VirtualMFADevice"]
    seed = base64.b32decode(device["Base32StringSeed"])
    assert device["QRCodePNG"].startswith(b"\x89PNG")
    assert device["SerialNumber"] == f"arn:aws:iam::{ACCOUNT}:mfa/ann-phone"
    return as_user(ACCOUNT, "ann", user["UserId"]), device["SerialNumber"], seed


def _codes(h: Harness, seed: bytes, *offsets: int) -> list[str]:
    now = time_step(h.clock.now())
    return [totp(seed, now + o) for o in offsets]


def _verify(h: Harness, caller: Caller, serial: str, code: str) -> None:
    with h.context("AssumeRole", caller) as ctx:
        verify_code(ctx, caller, serial, code)


def test_enable_with_two_consecutive_codes_then_verify_once_each(h: Harness) -> None:
    caller, serial, seed = _setup(h)
    wrong = {"UserName": "ann", "SerialNumber": serial}
    with pytest.raises(InvalidAuthenticationCode):
        c1, c2 = _codes(h, seed, -1, 1)  # not consecutive
        h.call("EnableMFADevice", {**wrong, "AuthenticationCode1": c1, "AuthenticationCode2": c2})
    c1, c2 = _codes(h, seed, -2, -1)
    h.call("EnableMFADevice", {**wrong, "AuthenticationCode1": c1, "AuthenticationCode2": c2})
    with pytest.raises(EntityAlreadyExists):
        h.call("EnableMFADevice", {**wrong, "AuthenticationCode1": c1, "AuthenticationCode2": c2})
    listed = h.call("ListMFADevices", {"UserName": "ann"})["MFADevices"]
    assert [d["SerialNumber"] for d in listed] == [serial]

    (now,) = _codes(h, seed, 0)
    _verify(h, caller, serial, now)
    with pytest.raises(AccessDenied) as replay:
        _verify(h, caller, serial, now)
    assert replay.value.message == INVALID_CODE
    with pytest.raises(AccessDenied):  # already used when the device was enabled
        _verify(h, caller, serial, c2)
    h.clock.advance(30)
    (later,) = _codes(h, seed, 0)
    _verify(h, caller, serial, later)
    h.clock.advance(300)
    (stale,) = _codes(h, seed, -5)
    with pytest.raises(AccessDenied) as old:
        _verify(h, caller, serial, stale)
    assert old.value.message == INVALID_CODE


def test_unknown_or_foreign_devices(h: Harness) -> None:
    caller, serial, seed = _setup(h)
    (code,) = _codes(h, seed, 0)
    with pytest.raises(AccessDenied) as not_enabled:
        _verify(h, caller, serial, code)
    assert not_enabled.value.message == UNKNOWN_DEVICE
    with pytest.raises(AccessDenied) as unknown:
        _verify(h, caller, f"arn:aws:iam::{ACCOUNT}:mfa/none", code)
    assert unknown.value.message == UNKNOWN_DEVICE


def test_resync_learns_the_drift(h: Harness) -> None:
    caller, serial, seed = _setup(h)
    c1, c2 = _codes(h, seed, -2, -1)
    params = {"UserName": "ann", "SerialNumber": serial}
    h.call("EnableMFADevice", {**params, "AuthenticationCode1": c1, "AuthenticationCode2": c2})
    # The device's clock runs ten minutes slow: its codes are 20 steps behind.
    h.clock.advance(60)
    slow = _codes(h, seed, -20, -19, -18)
    with pytest.raises(AccessDenied):
        _verify(h, caller, serial, slow[2])
    h.call(
        "ResyncMFADevice",
        {**params, "AuthenticationCode1": slow[0], "AuthenticationCode2": slow[1]},
    )
    _verify(h, caller, serial, slow[2])


def test_deactivate_then_delete(h: Harness) -> None:
    _, serial, seed = _setup(h)
    params = {"UserName": "ann", "SerialNumber": serial}
    c1, c2 = _codes(h, seed, -1, 0)
    h.call("EnableMFADevice", {**params, "AuthenticationCode1": c1, "AuthenticationCode2": c2})
    assigned = h.call("ListVirtualMFADevices", {"AssignmentStatus": "Assigned"})
    assert assigned["VirtualMFADevices"][0]["User"]["UserName"] == "ann"
    assert h.call("ListVirtualMFADevices", {"AssignmentStatus": "Unassigned"}) == {
        "VirtualMFADevices": [],
        "IsTruncated": False,
    }
    with pytest.raises(DeleteConflict):
        h.call("DeleteVirtualMFADevice", {"SerialNumber": serial})
    h.call("DeactivateMFADevice", params)
    with pytest.raises(NoSuchEntity):
        h.call("DeactivateMFADevice", params)
    h.call("DeleteVirtualMFADevice", {"SerialNumber": serial})
    assert h.call("ListVirtualMFADevices", {})["VirtualMFADevices"] == []
    with pytest.raises(EntityAlreadyExists):
        h.call("CreateVirtualMFADevice", {"VirtualMFADeviceName": "x"})
        h.call("CreateVirtualMFADevice", {"VirtualMFADeviceName": "x"})
