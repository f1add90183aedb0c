"""Virtual MFA devices with real TOTP (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits).

Operations: CreateVirtualMFADevice (the seed as ``Base32StringSeed`` and as a QR code PNG
of ``otpauth://totp/NAME@ACCOUNT?secret=SEED``), EnableMFADevice (two consecutive codes),
ResyncMFADevice (two consecutive codes, farther from now, and remembers the drift),
DeactivateMFADevice, DeleteVirtualMFADevice, ListMFADevices, ListVirtualMFADevices.
A device's ARN is its serial number: ``arn:aws:iam::ACCOUNT:mfa/PATH/NAME``.

``verify_code`` is what STS calls for AssumeRole and GetSessionToken: the device must be
enabled for the calling user, the code must match a step within one of now (after the
device's drift), and each step is accepted once only, so a code cannot be replayed. The
time is the request's (``ctx.now``), so tests move a clock instead of waiting.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import io
from typing import Any

from sqlalchemy import Connection

from iamd.errors import (
    AccessDenied,
    DeleteConflict,
    EntityAlreadyExists,
    InvalidAuthenticationCode,
    LimitExceeded,
    NoSuchEntity,
)
from iamd.iam import naming, tagging
from iamd.iam.attachments import page
from iamd.iam.users import caller_user_name, get_user, user_shape, user_target
from iamd.model.caller import Caller, CallerKind
from iamd.operations import OperationContext, Params, Result, Target, operation
from iamd.store import mfa as store
from iamd.store import users as user_store
from iamd.store.accounts import get_account
from iamd.store.secrets import SecretBox

STEP_SECONDS = 30
DIGITS = 6
SEED_BYTES = 20
MAX_DEVICES_PER_USER = 8
ENABLE_WINDOW = range(-3, 2)  # steps around now where the first of two codes may fall
RESYNC_WINDOW = range(-20, 21)
MFA_TAGS = tagging.Taggable("mfa", "TagsPerMFADevice")
INVALID_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code."
UNKNOWN_DEVICE = (
    "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA "
    "serial number is valid and associated with this user."
)


# --- TOTP ---------------------------------------------------------------------------------


def totp(seed: bytes, step: int) -> str:
    """The code for time step ``step`` (RFC 6238 with RFC 4226's dynamic truncation)."""
    mac = hmac.new(seed, step.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = (int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF) % 10**DIGITS
    return f"{value:0{DIGITS}d}"


def time_step(moment: dt.datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def _matches(seed: bytes, step: int, code: str) -> bool:
    return hmac.compare_digest(totp(seed, step), code)


def _consecutive(seed: bytes, now_step: int, window: range, code1: str, code2: str) -> int:
    """The step of ``code2`` when ``code1`` and ``code2`` are consecutive around now."""
    for offset in window:
        step = now_step + offset
        if _matches(seed, step, code1) and _matches(seed, step + 1, code2):
            return step + 1
    raise InvalidAuthenticationCode()


# --- shared steps -------------------------------------------------------------------------


def serial_number(account: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account}:mfa{path}{name}"


def _device(ctx: OperationContext, serial: str) -> store.MfaDevice:
    device = store.get_device(ctx.db, serial)
    if device is None or device.account_id != ctx.account_id:
        raise NoSuchEntity(f"VirtualMFADevice with serial number {serial} doesn't exist.")
    return device


def _device_target(ctx: OperationContext, params: Params) -> Target:
    return Target(str(params["SerialNumber"]), account=ctx.account_id)


def _create_target(ctx: OperationContext, params: Params) -> Target:
    path = params.get("Path") or "/"
    # A malformed path is refused before authorization, as the model's checks are.
    naming.check_device_path(path)
    serial = serial_number(ctx.account_id, path, params["VirtualMFADeviceName"])
    return Target(serial, account=ctx.account_id)


def _tag_context(ctx: OperationContext, params: Params) -> dict[str, object]:
    return tagging.request_tag_context(params.get("Tags"))


def qr_code_png(uri: str) -> bytes:
    import segno  # the one user of the QR library: import it where it is needed

    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="png", scale=4)
    return out.getvalue()


# --- operations ---------------------------------------------------------------------------


@operation("iam", "CreateVirtualMFADevice", target=_create_target, request_context=_tag_context)
def create_virtual_mfa_device(ctx: OperationContext, params: Params) -> Result:
    name: str = params["VirtualMFADeviceName"]
    path: str = params.get("Path") or "/"  # checked by _create_target
    naming.raise_violations(naming.length_violations(name, "virtualMFADeviceName", 1, 226))
    tags = tagging.parse_tags(params.get("Tags"))
    serial = serial_number(ctx.account_id, path, name)
    if store.get_device(ctx.db, serial) is not None:
        raise EntityAlreadyExists("MFA device already exists.")
    seed = ctx.random(SEED_BYTES)
    store.insert_device(
        ctx.db,
        ctx.secrets,
        serial_number=serial,
        account_id=ctx.account_id,
        name=name,
        path=path,
        seed=seed,
        created_at=ctx.now,
    )
    tagging.apply_tags(ctx.db, MFA_TAGS, serial, tags, ctx.settings.quotas.tags_per_entity)
    encoded = base64.b32encode(seed).decode("ascii")
    account = get_account(ctx.db, ctx.account_id)
    label = (account.alias if account is not None and account.alias else None) or ctx.account_id
    uri = f"otpauth://totp/{name}@{label}?secret={encoded}"
    device: dict[str, Any] = {
        "SerialNumber": serial,
        "Base32StringSeed": encoded.encode("ascii"),
        "QRCodePNG": qr_code_png(uri),
    }
    if tags:
        device["Tags"] = tagging.tag_list(tags)
    return {"VirtualMFADevice": device}


@operation("iam", "EnableMFADevice", target=user_target)
def enable_mfa_device(ctx: OperationContext, params: Params) -> Result:
    user = get_user(ctx, params["UserName"])
    device = _device(ctx, params["SerialNumber"])
    if device.user_id is not None:
        raise EntityAlreadyExists("MFA Device is already in use.")
    if len(store.devices_of_user(ctx.db, user.user_id)) >= MAX_DEVICES_PER_USER:
        raise LimitExceeded(f"Cannot exceed quota for MFADevicesPerUser: {MAX_DEVICES_PER_USER}")
    step = _consecutive(
        device.seed(ctx.secrets),
        time_step(ctx.now),
        ENABLE_WINDOW,
        params["AuthenticationCode1"],
        params["AuthenticationCode2"],
    )
    store.update_device(
        ctx.db, device.serial_number, user_id=user.user_id, enabled_at=ctx.now, last_used_step=step
    )
    return {}


def _enabled_for(ctx: OperationContext, params: Params) -> tuple[store.MfaDevice, str]:
    """The device ``SerialNumber`` enabled for ``UserName`` (or the caller), NoSuchEntity else."""
    name = caller_user_name(ctx, params)
    user_id = get_user(ctx, name).user_id if name is not None else None
    device = _device(ctx, params["SerialNumber"])
    if device.user_id is None or device.user_id != user_id:
        raise NoSuchEntity(
            f"MFA Device with serial number {device.serial_number} is not enabled for the user."
        )
    return device, device.user_id


@operation("iam", "ResyncMFADevice", target=user_target)
def resync_mfa_device(ctx: OperationContext, params: Params) -> Result:
    device, _ = _enabled_for(ctx, params)
    now_step = time_step(ctx.now)
    step = _consecutive(
        device.seed(ctx.secrets),
        now_step,
        RESYNC_WINDOW,
        params["AuthenticationCode1"],
        params["AuthenticationCode2"],
    )
    store.update_device(ctx.db, device.serial_number, drift=step - now_step, last_used_step=step)
    return {}


@operation("iam", "DeactivateMFADevice", target=user_target)
def deactivate_mfa_device(ctx: OperationContext, params: Params) -> Result:
    device, _ = _enabled_for(ctx, params)
    store.update_device(
        ctx.db, device.serial_number, user_id=None, enabled_at=None, last_used_step=None, drift=0
    )
    return {}


@operation("iam", "DeleteVirtualMFADevice", target=_device_target)
def delete_virtual_mfa_device(ctx: OperationContext, params: Params) -> Result:
    device = _device(ctx, params["SerialNumber"])
    if device.user_id is not None:
        raise DeleteConflict("MFA Device is still in use.")
    tagging.delete_all_tags(ctx.db, MFA_TAGS, device.serial_number)
    store.delete_device(ctx.db, device.serial_number)
    return {}


@operation("iam", "ListMFADevices", target=user_target)
def list_mfa_devices(ctx: OperationContext, params: Params) -> Result:
    name = caller_user_name(ctx, params)
    items: list[dict[str, Any]] = []
    if name is not None:
        user = get_user(ctx, name)
        items = [
            {"UserName": user.name, "SerialNumber": d.serial_number, "EnableDate": d.enabled_at}
            for d in store.devices_of_user(ctx.db, user.user_id)
        ]
    return page(items, params, "MFADevices", key=lambda item: str(item["SerialNumber"]))


@operation("iam", "ListVirtualMFADevices")
def list_virtual_mfa_devices(ctx: OperationContext, params: Params) -> Result:
    status = params.get("AssignmentStatus") or "Any"
    assigned = {"Assigned": True, "Unassigned": False}.get(status)
    devices = store.list_page(ctx.db, ctx.account_id, assigned, None, 100_000)
    items: list[dict[str, Any]] = []
    for d in devices:
        item: dict[str, Any] = {"SerialNumber": d.serial_number}
        user = user_store.get_user_by_id(ctx.db, d.user_id) if d.user_id else None
        if user is not None:
            item["User"] = user_shape(user)
            item["EnableDate"] = d.enabled_at
        tags = tagging.tags_of(ctx.db, MFA_TAGS.resource_type, d.serial_number)
        if tags:
            item["Tags"] = tagging.tag_list(tags.items())
        items.append(item)
    return page(items, params, "VirtualMFADevices", key=lambda item: str(item["SerialNumber"]))


# --- STS: codes passed with AssumeRole and GetSessionToken -----------------------------


def verify_code(
    ctx: OperationContext, caller: Caller, serial: str | None, code: str | None
) -> None:
    """Accept ``code`` from the caller's MFA device ``serial``, or raise AccessDenied."""
    if not serial or not code:
        raise AccessDenied(UNKNOWN_DEVICE)
    user_id = caller.entity_id if caller.kind is CallerKind.USER else None
    checked = check_code(ctx.db, ctx.secrets, ctx.now, user_id, serial, code)
    if checked is None:
        raise AccessDenied(UNKNOWN_DEVICE)
    if not checked:
        raise AccessDenied(INVALID_CODE)


def check_code(
    conn: Connection, box: SecretBox, now: dt.datetime, user_id: str | None, serial: str, code: str
) -> bool | None:
    """Whether ``code`` is the current one of ``user_id``'s device ``serial`` (a code
    is taken once); None when the device is not that user's."""
    device = store.get_device(conn, serial)
    if device is None or device.user_id is None or device.user_id != user_id:
        return None
    seed = device.seed(box)
    centre = time_step(now) + device.drift
    for step in (centre - 1, centre, centre + 1):
        if _matches(seed, step, code) and store.accept_step(conn, device.serial_number, step):
            return True
    return False


# --- GetMFADevice and the device's tags ---------------------------------------------------


@operation("iam", "GetMFADevice", target=_device_target)
def get_mfa_device(ctx: OperationContext, params: Params) -> Result:
    """The device ``SerialNumber`` (its user's, when ``UserName`` is given)."""
    device = _device(ctx, params["SerialNumber"])
    result: Result = {"SerialNumber": device.serial_number}
    if params.get("UserName"):
        user = get_user(ctx, params["UserName"])
        if device.user_id != user.user_id:
            raise NoSuchEntity(
                f"VirtualMFADevice with serial number {device.serial_number} doesn't exist."
            )
    if device.user_id is not None:
        owner = user_store.get_user_by_id(ctx.db, device.user_id)
        if owner is not None:
            result["UserName"] = owner.name
    if device.enabled_at is not None:
        result["EnableDate"] = device.enabled_at
    return result


@operation("iam", "TagMFADevice", target=_device_target, request_context=_tag_context)
def tag_mfa_device(ctx: OperationContext, params: Params) -> Result:
    device = _device(ctx, params["SerialNumber"])
    tags = tagging.parse_tags(params.get("Tags"))
    tagging.apply_tags(
        ctx.db, MFA_TAGS, device.serial_number, tags, ctx.settings.quotas.tags_per_entity
    )
    return {}


def _untag_context(ctx: OperationContext, params: Params) -> dict[str, object]:
    return tagging.tag_keys_context(params.get("TagKeys"))


@operation("iam", "UntagMFADevice", target=_device_target, request_context=_untag_context)
def untag_mfa_device(ctx: OperationContext, params: Params) -> Result:
    device = _device(ctx, params["SerialNumber"])
    tagging.untag(
        ctx.db, MFA_TAGS, device.serial_number, tagging.parse_tag_keys(params.get("TagKeys"))
    )
    return {}


@operation("iam", "ListMFADeviceTags", target=_device_target)
def list_mfa_device_tags(ctx: OperationContext, params: Params) -> Result:
    device = _device(ctx, params["SerialNumber"])
    return tagging.list_tags_result(ctx.db, MFA_TAGS, device.serial_number, params)
