"""Encoded authorization failure messages, and decoding them again.

When iamd refuses an AssumeRole it appends ``Encoded authorization failure message: M``
to the AccessDenied message, as EC2 does. ``M`` is the decision's details sealed with
AES-GCM under the key ring (its own derived key, ``Purpose.AUTHORIZATION_MESSAGE``) and
bound to the caller's account, so only principals of that account who are allowed
``sts:DecodeAuthorizationMessage`` can read it (``decode_message.py``).

The decoded form is AWS's::

    {"allowed": false, "explicitDeny": false,
     "matchedStatements": {"items": [{"statementId": ..., "effect": "DENY", ...}]},
     "failures": {"items": []},
     "context": {"principal": {"id": ..., "name": ..., "arn": ...},
                 "action": ..., "resource": ...,
                 "conditions": {"items": [{"key": ..., "values": {"items": [{"value": ...}]}}]}}}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy import Connection

from iamd.model.caller import Caller
from iamd.policy import ContextValue, Evaluation, denial_reason
from iamd.policy.decision import Decision
from iamd.sts.keyring import KEY_ID_BYTES, KeyRing, Purpose, RandomBytes
from iamd.sts.tokens import b64decode, b64encode, pack, unpack

VERSION = b"\x01"
NONCE_BYTES = 12
_HEADER = len(VERSION) + KEY_ID_BYTES + NONCE_BYTES
_AAD = b"iamd-authorization-message" + VERSION


class InvalidMessage(Exception):
    """Not a message of ours, altered, or sealed for another account."""


def details(
    caller: Caller,
    action: str,
    resource: str,
    evaluation: Evaluation,
    context: Mapping[str, ContextValue],
) -> dict[str, Any]:
    """The decision in AWS's decoded-message form."""
    matched = [
        {
            "statementId": ref.sid or str(ref.index),
            "effect": ref.effect.value.upper(),
            "policyId": ref.policy_id,
            "policyType": ref.policy_type.value,
        }
        for ref in evaluation.matched
    ]
    reason = denial_reason(evaluation, action)
    conditions = [
        {
            "key": key,
            "values": {
                "items": [{"value": v} for v in ((value,) if isinstance(value, str) else value)]
            },
        }
        for key, value in sorted(context.items())
    ]
    return {
        "allowed": evaluation.allowed,
        "explicitDeny": evaluation.decision is Decision.EXPLICIT_DENY,
        "matchedStatements": {"items": matched},
        "failures": {"items": [reason] if reason else []},
        "context": {
            "principal": {"id": caller.user_id, "name": caller.name or "", "arn": caller.arn},
            "action": action,
            "resource": resource,
            "conditions": {"items": conditions},
        },
    }


def encode(
    ring: KeyRing,
    conn: Connection,
    account_id: str,
    message: Mapping[str, Any],
    *,
    now: Any,
    random: RandomBytes,
) -> str:
    key = ring.sealing_key(conn, now, random)
    nonce = random(NONCE_BYTES)
    body = key.aead(Purpose.AUTHORIZATION_MESSAGE).encrypt(
        nonce, pack(dict(message)), _AAD + key.key_id + account_id.encode("ascii")
    )
    return b64encode(VERSION + key.key_id + nonce + body)


def decode(ring: KeyRing, conn: Connection, account_id: str, encoded: str) -> str:
    """The JSON text of a message sealed for ``account_id``; InvalidMessage otherwise."""
    try:
        data = b64decode(encoded.strip())
    except ValueError:
        raise InvalidMessage() from None
    if len(data) < _HEADER + 17 or data[:1] != VERSION:
        raise InvalidMessage()
    key_id = data[1 : 1 + KEY_ID_BYTES]
    key = ring.opening_key(conn, key_id)
    if key is None:
        raise InvalidMessage()
    try:
        plaintext = key.aead(Purpose.AUTHORIZATION_MESSAGE).decrypt(
            data[1 + KEY_ID_BYTES : _HEADER],
            data[_HEADER:],
            _AAD + key_id + account_id.encode("ascii"),
        )
    except InvalidTag:
        raise InvalidMessage() from None
    return json.dumps(unpack(plaintext), separators=(",", ":"))
