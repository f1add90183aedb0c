"""SSH public keys of IAM users: Upload/Get/List/Update/DeleteSSHPublicKey.

As AWS takes them: an RSA key of at least 2048 bits, in OpenSSH (``ssh-rsa AAAA...``) or
PEM encoding; at most five per user; the same key twice for one user is
DuplicateSSHPublicKey. The fingerprint is the MD5 of the key's SSH wire form, in colon
hex (``ssh-keygen -l -E md5``). GetSSHPublicKey returns the key in either encoding.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from iamd.errors import (
    DuplicateSSHPublicKey,
    InvalidPublicKey,
    NoSuchEntity,
    UnrecognizedPublicKeyEncoding,
)
from iamd.iam.attachments import page
from iamd.iam.documents import quota_exceeded
from iamd.iam.users import caller_user_name, get_user, user_target
from iamd.model.ids import IdPrefix, unique_id
from iamd.operations import OperationContext, Params, Result, operation
from iamd.store.db import RowConflict
from iamd.store.user_credentials import SSH_KEYS, Credential

KEYS_PER_USER = 5
MIN_BITS = 2048


def parse_public_key(body: str) -> rsa.RSAPublicKey:
    """The RSA key in ``body``; AWS's errors for another encoding, another kind, or garbage."""
    text = body.strip()
    key: object
    try:
        if text.startswith("ssh-"):
            key = serialization.load_ssh_public_key(text.encode("ascii"))
        elif text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode("ascii"))
        else:
            raise UnrecognizedPublicKeyEncoding(
                "The public key encoding format is unsupported or unrecognized."
            )
    except (ValueError, UnicodeEncodeError, TypeError):
        raise InvalidPublicKey("The public key is malformed or otherwise invalid.") from None
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < MIN_BITS:
        raise InvalidPublicKey(
            f"The public key must be an ssh-rsa key of at least {MIN_BITS} bits."
        )
    return key


def ssh_text(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()


def pem_text(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def fingerprint(key: rsa.RSAPublicKey) -> str:
    blob = base64.b64decode(ssh_text(key).split()[1])
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def key_not_found(key_id: str) -> NoSuchEntity:
    return NoSuchEntity(f"The SSH public key with id {key_id} cannot be found.")


def _summary(key: Credential, user_name: str) -> dict[str, Any]:
    return {
        "UserName": user_name,
        "SSHPublicKeyId": key.credential_id,
        "Status": key.status,
        "UploadDate": key.created_at,
    }


def _full(key: Credential, user_name: str, body: str) -> dict[str, Any]:
    return {
        **_summary(key, user_name),
        "Fingerprint": key.fields["fingerprint"],
        "SSHPublicKeyBody": body,
    }


@operation("iam", "UploadSSHPublicKey", target=user_target)
def upload_ssh_public_key(ctx: OperationContext, params: Params) -> Result:
    user = get_user(ctx, params["UserName"])
    body: str = params["SSHPublicKeyBody"]
    key = parse_public_key(body)
    printed = fingerprint(key)
    if SSH_KEYS.count(ctx.db, ctx.account_id, user.user_id, fingerprint=printed):
        raise DuplicateSSHPublicKey(
            "The SSH public key is already associated with the specified IAM user."
        )
    if SSH_KEYS.count(ctx.db, ctx.account_id, user.user_id) >= KEYS_PER_USER:
        raise quota_exceeded("PublicKeysPerUser", KEYS_PER_USER)
    key_id = unique_id(IdPrefix.SSH_PUBLIC_KEY, ctx.random)[:20]
    try:
        stored = SSH_KEYS.insert(
            ctx.db,
            key_id,
            account_id=ctx.account_id,
            user_id=user.user_id,
            now=ctx.now,
            body=body,
            fingerprint=printed,
        )
    except RowConflict:
        raise DuplicateSSHPublicKey(
            "The SSH public key is already associated with the specified IAM user."
        ) from None
    return {"SSHPublicKey": _full(stored, user.name, body)}


@operation("iam", "GetSSHPublicKey", target=user_target)
def get_ssh_public_key(ctx: OperationContext, params: Params) -> Result:
    user = get_user(ctx, params["UserName"])
    key = SSH_KEYS.get(ctx.db, ctx.account_id, user.user_id, params["SSHPublicKeyId"])
    if key is None:
        raise key_not_found(params["SSHPublicKeyId"])
    uploaded: str = key.fields["body"]
    parsed = parse_public_key(uploaded)
    if params["Encoding"] == "PEM":
        body = uploaded if uploaded.lstrip().startswith("-----BEGIN") else pem_text(parsed)
    else:
        body = uploaded if uploaded.lstrip().startswith("ssh-") else ssh_text(parsed)
    return {"SSHPublicKey": _full(key, user.name, body)}


@operation("iam", "ListSSHPublicKeys", target=user_target)
def list_ssh_public_keys(ctx: OperationContext, params: Params) -> Result:
    name = caller_user_name(ctx, params)
    if name is None:  # the root has no SSH keys
        return page([], params, "SSHPublicKeys")
    user = get_user(ctx, name)
    keys = [_summary(k, user.name) for k in SSH_KEYS.list(ctx.db, ctx.account_id, user.user_id)]
    return page(keys, params, "SSHPublicKeys", key=lambda k: k["SSHPublicKeyId"])


@operation("iam", "UpdateSSHPublicKey", target=user_target)
def update_ssh_public_key(ctx: OperationContext, params: Params) -> Result:
    user = get_user(ctx, params["UserName"])
    key_id = params["SSHPublicKeyId"]
    if not SSH_KEYS.change(ctx.db, ctx.account_id, user.user_id, key_id, status=params["Status"]):
        raise key_not_found(key_id)
    return {}


@operation("iam", "DeleteSSHPublicKey", target=user_target)
def delete_ssh_public_key(ctx: OperationContext, params: Params) -> Result:
    user = get_user(ctx, params["UserName"])
    key_id = params["SSHPublicKeyId"]
    if not SSH_KEYS.delete(ctx.db, ctx.account_id, user.user_id, key_id):
        raise key_not_found(key_id)
    return {}
