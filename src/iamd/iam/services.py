"""Services as principals: the catalog and registered services together, registration,
credentials and the resources a service reports as using its linked role.

- ``find_service``: a service principal iamd knows, from the shipped catalog (AWS's
  services, ``NAME.amazonaws.com``) or registered by the operator (``iamd service
  register``). A registered service with a catalog name gets credentials but keeps the
  catalog's linked role.
- ``register_service``: a new registered service and its first credentials. Its
  principal is a lowercase DNS name (``jobs.example.internal``); names under
  ``amazonaws.com`` are AWS's and may be registered only when the catalog has them
  (to run a stand-in of that service), without a linked role of their own.
- ``issue_credentials``: long-term credentials of the service for one account: an
  ``AKIA...`` key id and a secret shown once, stored encrypted like access keys. Requests
  signed with them come from a SERVICE caller (``auth.credentials``) acting in that
  account.
- ``set_resources``: what the service reports as still using one of its linked roles in
  an account; DeleteServiceLinkedRole's task reads it.
- ``source_context``: the resource a service acts for when it assumes a role
  (``aws:SourceArn``/``aws:SourceAccount``), passed in AssumeRole's ``ProvidedContexts``.

These are used by the CLI (``iamd service ...``), which runs them in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from iamd.errors import InvalidParameterValue, MalformedPolicyDocument
from iamd.iam.documents import parse_document
from iamd.iam.naming import ROLE, name_violations
from iamd.model import json_text
from iamd.model.arn import is_account_id, parse_arn
from iamd.model.caller import Caller, CallerKind
from iamd.model.services import (
    LinkedRole,
    Service,
    is_aws_principal,
    is_service_principal,
    merged,
)
from iamd.policy import PolicyKind
from iamd.store import roles as role_store
from iamd.store import services as store
from iamd.store.db import RowConflict, savepoint, touch_account
from iamd.store.secrets import SecretBox

RandomBytes = Callable[[int], bytes]
DEFAULT_REGION = "us-east-1"


class ServiceError(ValueError):
    """A registration the operator must correct (the message says how)."""


@dataclass(frozen=True, slots=True)
class Issued:
    """Credentials just issued: the secret is shown once and never stored in clear."""

    principal: str
    account_id: str
    access_key_id: str
    secret_access_key: str = field(repr=False)


def find_service(conn: Connection, principal: str) -> Service | None:
    """The service named exactly ``principal``, registered or from the catalog."""
    known = store.catalog().get(principal)
    registered = store.get_registered(conn, principal)
    if registered is None:
        return known
    return merged(store.catalog(), [registered])[principal]


def all_services(conn: Connection) -> list[Service]:
    """Every known service, registered ones included, by principal."""
    found = merged(store.catalog(), store.list_registered(conn))
    return [found[name] for name in sorted(found)]


def linked_role_spec(
    principal: str,
    role_name: str | None,
    *,
    custom_suffix: bool = False,
    description: str | None = None,
    policy_document: str | None = None,
) -> LinkedRole | None:
    """The linked role a registered service defines, checked; None when it defines none."""
    if role_name is None:
        if custom_suffix or description or policy_document:
            raise ServiceError(
                "--custom-suffix and the linked role's description and policy "
                "need --linked-role-name"
            )
        return None
    if name_violations(ROLE, role_name):
        raise ServiceError(
            f"linked role name {role_name!r} must be 1-64 characters of letters, digits and +=,.@_-"
        )
    if description is not None and len(description) > 1000:
        raise ServiceError("the linked role's description has at most 1000 characters")
    if policy_document is not None:
        try:
            parse_document(policy_document, PolicyKind.IDENTITY)
        except MalformedPolicyDocument as exc:
            raise ServiceError(f"the linked role's policy is not valid: {exc.message}") from None
    return LinkedRole(
        role_name=role_name,
        custom_suffix=custom_suffix,
        description=description,
        inline_policy=policy_document,
    )


def register_service(
    conn: Connection,
    box: SecretBox,
    *,
    principal: str,
    account_id: str,
    title: str | None,
    linked_role: LinkedRole | None,
    now: dt.datetime,
    random_bytes: RandomBytes,
) -> Issued:
    """Register ``principal`` and issue its first credentials in ``account_id``."""
    if not is_service_principal(principal):
        raise ServiceError(
            f"service name {principal!r} must be a lowercase DNS name such as jobs.example.internal"
        )
    known = store.catalog().get(principal)
    if is_aws_principal(principal):
        if known is None:
            raise ServiceError(
                f"{principal!r} is not in the catalog: names under amazonaws.com are AWS's"
            )
        if linked_role is not None:
            raise ServiceError(f"{principal} is an AWS service: its linked role is AWS's")
    if not role_store.account_exists(conn, account_id):
        raise ServiceError(f"account {account_id} does not exist")
    service = Service(principal, title or (known.title if known else principal), linked_role)
    try:
        with savepoint(conn):
            store.insert_service(conn, service, now)
    except RowConflict:
        raise ServiceError(
            f"service {principal} is already registered: "
            f"`iamd service credentials create {principal}` issues more credentials"
        ) from None
    return issue_credentials(
        conn, box, principal=principal, account_id=account_id, now=now, random_bytes=random_bytes
    )


def issue_credentials(
    conn: Connection,
    box: SecretBox,
    *,
    principal: str,
    account_id: str,
    now: dt.datetime,
    random_bytes: RandomBytes,
) -> Issued:
    """New credentials of a registered service, acting in ``account_id``."""
    if store.get_registered(conn, principal) is None:
        raise ServiceError(f"service {principal} is not registered")
    if not role_store.account_exists(conn, account_id):
        raise ServiceError(f"account {account_id} does not exist")
    credential, secret = store.create_credential(
        conn, box, principal=principal, account_id=account_id, now=now, random_bytes=random_bytes
    )
    return Issued(principal, account_id, credential.access_key_id, secret)


def delete_credentials(conn: Connection, access_key_id: str) -> None:
    """Forget a service's credentials; requests signed with them fail from now on."""
    account = store.delete_credential(conn, access_key_id)
    if account is None:
        raise ServiceError(f"no service credentials with access key id {access_key_id}")
    touch_account(conn, account)  # cached credential lookups see the change


def set_resources(
    conn: Connection,
    *,
    principal: str,
    account_id: str,
    role_name: str,
    resources: Sequence[str],
    region: str = DEFAULT_REGION,
) -> None:
    """Record what ``principal`` still uses its linked role ``role_name`` for (none: [])."""
    if find_service(conn, principal) is None:
        raise ServiceError(f"unknown service {principal}")
    if not role_store.account_exists(conn, account_id):
        raise ServiceError(f"account {account_id} does not exist")
    store.set_role_usage(conn, account_id, principal, role_name, region, resources)


# --- the source a service acts for (confused-deputy keys) -----------------------------------

SOURCE_CONTEXT_PROVIDER = "arn:aws:iam::aws:contextProvider/iamd/ServiceSource"
_SOURCE_KEYS = {"aws:sourcearn": "aws:SourceArn", "aws:sourceaccount": "aws:SourceAccount"}


def source_context(caller: Caller, provided: Sequence[Mapping[str, Any]] | None) -> dict[str, str]:
    """``aws:SourceArn``/``aws:SourceAccount`` a service passes with AssumeRole.

    A service names the resource it acts for in AssumeRole's ``ProvidedContexts``: an
    entry whose ``ProviderArn`` is ``SOURCE_CONTEXT_PROVIDER`` and whose
    ``ContextAssertion`` is a JSON object ``{"aws:SourceArn": ARN, "aws:SourceAccount":
    ACCOUNT}`` (either key may be left out; the account defaults to the ARN's). Only a
    service may pass one; the keys then reach the trust policy's conditions, so a trust
    policy can refuse a service acting for another account's resource.
    Other providers' entries are left alone. InvalidParameterValue for a bad one.
    """
    entries = [
        entry
        for entry in provided or ()
        if str(entry.get("ProviderArn", "")) == SOURCE_CONTEXT_PROVIDER
    ]
    if not entries:
        return {}
    if caller.kind is not CallerKind.SERVICE:
        raise InvalidParameterValue("Only a service principal can pass a service source context.")
    if len(entries) > 1:
        raise InvalidParameterValue("A service source context can be passed only once.")
    try:
        raw = json_text.loads(str(entries[0].get("ContextAssertion", "")))
    except ValueError:
        raw = None
    if (
        not isinstance(raw, dict)
        or not raw
        or not all(
            isinstance(k, str) and k.lower() in _SOURCE_KEYS and isinstance(v, str)
            for k, v in raw.items()
        )
    ):
        raise InvalidParameterValue(
            "The service source context must be a JSON object with aws:SourceArn and/or "
            "aws:SourceAccount strings."
        )
    values = {_SOURCE_KEYS[k.lower()]: v for k, v in raw.items()}
    arn = values.get("aws:SourceArn")
    account = values.get("aws:SourceAccount")
    parsed = parse_arn(arn) if arn is not None else None
    if arn is not None and parsed is None:
        raise InvalidParameterValue(f"aws:SourceArn {arn!r} is not an ARN.")
    if account is not None and not is_account_id(account):
        raise InvalidParameterValue(f"aws:SourceAccount {account!r} is not a 12-digit account id.")
    if parsed is not None and parsed.account:
        if account is not None and account != parsed.account:
            raise InvalidParameterValue(
                f"aws:SourceAccount {account} is not the account of aws:SourceArn {arn}."
            )
        values.setdefault("aws:SourceAccount", parsed.account)
    return values
