"""Checking a user's SSH key or service-specific password for a service of one's own.

A git server or a database that lets IAM users in with an SSH key or a service-specific
credential asks iamd (``POST /verify-credential``) whether what the client presented
belongs to an IAM user, as AWS CodeCommit does: the SSH user name is the key's id
(``APKA...``) and the key must be the one uploaded under it; a service-specific
credential's user name (``alice-at-123456789012``) and password must match an Active
credential for that service. Inactive or deleted credentials, and the users' own
deletion, make every check fail. Passwords are compared through their scrypt hash.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from iamd.errors import ServiceError
from iamd.iam.passwords import verify_password
from iamd.iam.ssh_keys import fingerprint, parse_public_key
from iamd.store.user_credentials import SERVICE_CREDENTIALS, SSH_KEYS, Credential, find
from iamd.store.users import User, get_user_by_id


@dataclass(frozen=True, slots=True)
class VerifiedUser:
    user: User
    credential_id: str


def _owner(conn: Connection, credential: Credential) -> VerifiedUser | None:
    if credential.status != "Active" or credential.user_id is None:
        return None
    user = get_user_by_id(conn, credential.user_id)
    return None if user is None else VerifiedUser(user, credential.credential_id)


def check_ssh_key(conn: Connection, key_id: str, public_key: str) -> VerifiedUser | None:
    """The user whose Active key ``key_id`` is ``public_key``; None otherwise."""
    found = find(SSH_KEYS, conn, key_id=key_id)
    if not found:
        return None
    try:
        presented = fingerprint(parse_public_key(public_key))
    except ServiceError:  # not a key iamd would take: it cannot be the one uploaded
        return None
    if presented != found[0].fields["fingerprint"]:
        return None
    return _owner(conn, found[0])


def check_service_password(
    conn: Connection, service_name: str, service_user_name: str, password: str
) -> VerifiedUser | None:
    """The user whose Active credential for ``service_name`` this is; None otherwise."""
    matched: VerifiedUser | None = None
    for credential in find(
        SERVICE_CREDENTIALS,
        conn,
        service_name=service_name,
        service_user_name=service_user_name,
    ):
        # Every candidate is hashed, so the time taken does not tell which one matched.
        if verify_password(password, credential.fields["password_hash"]) and matched is None:
            matched = _owner(conn, credential)
    return matched
