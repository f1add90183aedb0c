"""Virtual MFA through boto3, with real TOTP codes computed from the device's seed.

The server's clock is the real one here, so these tests use codes of the current and the
next time step only; windows, replays and drift are tested with a moved clock in
``tests/unit/sts/test_mfa.py``.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from botocore.exceptions import ClientError

from iamd.iam.mfa import totp

from .conftest import Credentials, IamdServer
from .sts_support import allow, code_of, creds, message_of, role, trust, user


def _code(seed: bytes, offset: int = 0) -> str:
    return totp(seed, int(dt.datetime.now(dt.UTC).timestamp()) // 30 + offset)


def test_mfa_devices_and_sessions_with_mfa(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    acct = account.account_id
    ann = user(iam, "ann", allow("iam:ListUsers"), allow("sts:AssumeRole"), account=acct)
    made = iam.create_virtual_mfa_device(
        VirtualMFADeviceName="ann-phone", Tags=[{"Key": "owner", "Value": "ann"}]
    )["VirtualMFADevice"]
    serial = made["SerialNumber"]
    assert serial == f"arn:aws:iam::{acct}:mfa/ann-phone"
    assert made["QRCodePNG"].startswith(b"\x89PNG\r\n")
    seed = base64.b32decode(made["Base32StringSeed"])
    assert len(seed) == 20

    iam.enable_mfa_device(
        UserName="ann",
        SerialNumber=serial,
        AuthenticationCode1=_code(seed, -2),
        AuthenticationCode2=_code(seed, -1),
    )
    devices = iam.list_mfa_devices(UserName="ann")["MFADevices"]
    assert [(d["UserName"], d["SerialNumber"]) for d in devices] == [("ann", serial)]
    virtual = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert virtual[0]["User"]["UserName"] == "ann" and virtual[0]["SerialNumber"] == serial

    mfa_only = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    arn = role(iam, "guarded", trust(f"arn:aws:iam::{acct}:root", Condition=mfa_only))
    sts = iamd_server.client("sts", ann)
    with pytest.raises(ClientError) as without:
        sts.assume_role(RoleArn=arn, RoleSessionName="s1")
    assert code_of(without) == "AccessDenied"
    with pytest.raises(ClientError) as wrong:
        sts.assume_role(
            RoleArn=arn,
            RoleSessionName="s1",
            SerialNumber=serial,
            TokenCode="000000" if _code(seed) != "000000" else "111111",
        )
    assert (
        message_of(wrong) == "MultiFactorAuthentication failed with invalid MFA one time pass code."
    )
    got = sts.assume_role(
        RoleArn=arn, RoleSessionName="s1", SerialNumber=serial, TokenCode=_code(seed)
    )
    assert got["AssumedRoleUser"]["Arn"].endswith(":assumed-role/guarded/s1")

    # GetSessionToken with MFA: IAM accepts the credentials, and MFA travels into roles.
    token = sts.get_session_token(SerialNumber=serial, TokenCode=_code(seed, 1))
    session = creds(token, acct)
    assert iamd_server.client("iam", session).list_users()["Users"]
    chained = iamd_server.client("sts", session).assume_role(RoleArn=arn, RoleSessionName="s2")
    assert chained["AssumedRoleUser"]["Arn"].endswith("/guarded/s2")

    with pytest.raises(ClientError) as in_use:
        iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert code_of(in_use) == "DeleteConflict"
    iam.deactivate_mfa_device(UserName="ann", SerialNumber=serial)
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []


def test_wrong_device_and_bad_enable_codes(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    acct = account.account_id
    bob = user(iam, "bob", account=acct)
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="bob-phone")["VirtualMFADevice"][
        "SerialNumber"
    ]
    with pytest.raises(ClientError) as invalid:
        iam.enable_mfa_device(
            UserName="bob",
            SerialNumber=serial,
            AuthenticationCode1="123456",
            AuthenticationCode2="654321",
        )
    assert code_of(invalid) == "InvalidAuthenticationCode"
    with pytest.raises(ClientError) as unknown:
        iamd_server.client("sts", bob).get_session_token(SerialNumber=serial, TokenCode="123456")
    assert code_of(unknown) == "AccessDenied"
    assert message_of(unknown).startswith("MultiFactorAuthentication failed, unable to validate")
    with pytest.raises(ClientError) as exists:
        iam.create_virtual_mfa_device(VirtualMFADeviceName="bob-phone")
    assert code_of(exists) == "EntityAlreadyExists"


def test_a_malformed_device_path_is_refused_before_authorization(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    nobody = user(iam, "nobody", account=str(account.account_id))
    client = iamd_server.client("iam", nobody, validate=False)
    with pytest.raises(ClientError) as refused:
        client.create_virtual_mfa_device(Path="test", VirtualMFADeviceName="d")
    assert code_of(refused) == "ValidationError"
    assert message_of(refused).startswith("The specified value for path is invalid.")
    with pytest.raises(ClientError) as denied:
        client.create_virtual_mfa_device(Path="/ok/", VirtualMFADeviceName="d")
    assert code_of(denied) == "AccessDenied"
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []
