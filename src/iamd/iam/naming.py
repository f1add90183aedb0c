"""Names, paths and ARNs of IAM entities, as AWS checks and words them.

Every named IAM entity family (users, groups, roles, instance profiles, customer managed
policies) follows the same rules, described once per family by an ``EntityKind``:

- a name of ``[\\w+=,.@-]+`` up to the family's length, unique per account ignoring case
  (``Admins`` and ``admins`` clash: ``EntityAlreadyExists``);
- a path ``/`` or ``/.../`` of printable ASCII, at most 512 characters;
- an ARN ``arn:aws:iam::ACCOUNT:KIND{path}{name}``;
- a quota of entities per account (``LimitExceeded`` ``Cannot exceed quota for
  RolesPerAccount: 1000``);
- AWS's own messages for a name that is missing (``The role with name X cannot be
  found.``) or taken (``Role with name X already exists.``).

The wire layer already checks the model's patterns and lengths; these checks repeat them
for callers that do not come through the wire (the CLI, tests), with the same
``N validation errors detected`` wording.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, Select, Table, bindparam, select
from sqlalchemy.exc import IntegrityError

from iamd.config import Quotas
from iamd.errors import EntityAlreadyExists, LimitExceeded, NoSuchEntity, ValidationError
from iamd.model.arn import iam_arn
from iamd.operations import OperationContext, Target
from iamd.store import counts, schema
from iamd.store.db import RowConflict, row_conflict, savepoint, touch_account
from iamd.store.sql import Query

NAME_PATTERN = r"[\w+=,.@-]+"
PATH_PATTERN = r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)"
PATH_PREFIX_PATTERN = r"\u002F[\u0021-\u007F]*"
POLICY_PATH_PATTERN = r"((/[A-Za-z0-9\.,\+@=_-]+)*)/"
MAX_PATH_LENGTH = 512

_NAME = re.compile(r"[\w+=,.@-]+", re.ASCII)
_PATH = re.compile(r"/|/[\x21-\x7e]+/")
_PATH_PREFIX = re.compile(r"/[\x21-\x7f]*")


@dataclass(frozen=True, slots=True)
class EntityKind:
    """One family of named IAM entities and AWS's words for it."""

    resource: str  # the ARN resource type: role, user, group, instance-profile, policy
    table: Table
    id_column: str
    max_name_length: int
    name_member: str  # the request member naming it: roleName, userName...
    quota_name: str  # AWS's quota name in LimitExceeded: RolesPerAccount
    quota: Callable[[Quotas], int]
    not_found: str  # message template with {name}
    exists: str  # message template with {name}

    def arn(self, account: str, path: str, name: str) -> str:
        return iam_arn(account, self.resource, path, name)

    def placeholder_arn(self, account: str, name: str) -> str:
        """The path-less ARN an action on an entity that does not exist is authorized on."""
        return iam_arn(account, self.resource, "/", name)


ROLE = EntityKind(
    resource="role",
    table=schema.roles,
    id_column="role_id",
    max_name_length=64,
    name_member="roleName",
    quota_name="RolesPerAccount",
    quota=lambda q: q.roles_per_account,
    not_found="The role with name {name} cannot be found.",
    exists="Role with name {name} already exists.",
)
USER = EntityKind(
    resource="user",
    table=schema.users,
    id_column="user_id",
    max_name_length=64,
    name_member="userName",
    quota_name="UsersPerAccount",
    quota=lambda q: q.users_per_account,
    not_found="The user with name {name} cannot be found.",
    exists="User with name {name} already exists.",
)
GROUP = EntityKind(
    resource="group",
    table=schema.groups,
    id_column="group_id",
    max_name_length=128,
    name_member="groupName",
    quota_name="GroupsPerAccount",
    quota=lambda q: q.groups_per_account,
    not_found="The group with name {name} cannot be found.",
    exists="Group with name {name} already exists.",
)
INSTANCE_PROFILE = EntityKind(
    resource="instance-profile",
    table=schema.instance_profiles,
    id_column="instance_profile_id",
    max_name_length=128,
    name_member="instanceProfileName",
    quota_name="InstanceProfilesPerAccount",
    quota=lambda q: q.instance_profiles_per_account,
    not_found="Instance Profile {name} cannot be found.",
    exists="Instance Profile {name} already exists.",
)
POLICY = EntityKind(
    resource="policy",
    table=schema.managed_policies,
    id_column="policy_id",
    max_name_length=128,
    name_member="policyName",
    quota_name="PoliciesPerAccount",
    quota=lambda q: q.managed_policies_per_account,
    not_found="Policy {name} was not found.",
    exists="A policy called {name} already exists. Duplicate names are not allowed.",
)


# --- validation ---------------------------------------------------------------------------


def _failure(value: str, member: str, constraint: str) -> str:
    # IAM's messages name the member, never the value it was sent.
    return f"Value at '{member}' failed to satisfy constraint: {constraint}"


def length_violations(value: str, member: str, low: int, high: int) -> list[str]:
    """AWS's wording for a string outside ``low..high`` characters."""
    if len(value) < low:
        return [_failure(value, member, f"Member must have length greater than or equal to {low}")]
    if len(value) > high:
        return [_failure(value, member, f"Member must have length less than or equal to {high}")]
    return []


def pattern_violations(value: str, member: str, regex: re.Pattern[str], shown: str) -> list[str]:
    if value and regex.fullmatch(value) is None:
        return [_failure(value, member, f"Member must satisfy regular expression pattern: {shown}")]
    return []


def name_violations(kind: EntityKind, name: str, member: str | None = None) -> list[str]:
    member = member or kind.name_member
    return pattern_violations(name, member, _NAME, NAME_PATTERN) + length_violations(
        name, member, 1, kind.max_name_length
    )


def path_violations(path: str, member: str = "path") -> list[str]:
    return pattern_violations(path, member, _PATH, PATH_PATTERN) + length_violations(
        path, member, 1, MAX_PATH_LENGTH
    )


def path_prefix_violations(prefix: str, member: str = "pathPrefix") -> list[str]:
    return pattern_violations(
        prefix, member, _PATH_PREFIX, PATH_PREFIX_PATTERN
    ) + length_violations(prefix, member, 1, MAX_PATH_LENGTH)


def raise_violations(violations: list[str]) -> None:
    """Raise one ValidationError over every violation, as AWS reports them."""
    if violations:
        noun = "error" if len(violations) == 1 else "errors"
        raise ValidationError(
            f"{len(violations)} validation {noun} detected: " + "; ".join(violations)
        )


def check_name(kind: EntityKind, name: str, member: str | None = None) -> None:
    raise_violations(name_violations(kind, name, member))


def check_path(path: str, member: str = "path") -> None:
    raise_violations(path_violations(path, member))


INVALID_PATH = (
    "The specified value for path is invalid. It must begin and end with / and contain "
    "only alphanumeric characters and/or / characters."
)


def check_device_path(path: str) -> None:
    """A virtual MFA device's path: AWS answers a malformed one (no leading or trailing
    slash, an empty segment) in a sentence of its own, not the model's pattern message."""
    if _PATH.fullmatch(path) is None or "//" in path:
        raise ValidationError(INVALID_PATH)
    check_path(path)


# --- lookups ------------------------------------------------------------------------------

# Statements built once per table: building a statement and its cache key costs
# SQLAlchemy several times what SQLite takes to run it, on every create and lookup.


@functools.cache
def _by_name(table: Table) -> Select[Any]:
    return select(table).where(
        table.c.account_id == bindparam("account_id"), table.c.name_lower == bindparam("name")
    )


@functools.cache
def _insert(table: Table, columns: tuple[str, ...]) -> Query:
    """An INSERT of these columns; the others get their column's default, if scalar, as
    SQLAlchemy's own insert would give them."""
    values: dict[str, Any] = {name: bindparam(name) for name in columns}
    for column in table.columns:
        default = column.default
        if column.name not in values and default is not None and default.is_scalar:
            values[column.name] = default.arg  # type: ignore[attr-defined]
    return Query(table.insert().values(values))


def find_by_name(conn: Connection, kind: EntityKind, account: str, name: str) -> Row[Any] | None:
    """The entity named ``name`` in ``account`` (ignoring case), or None."""
    params = {"account_id": account, "name": name.lower()}
    return conn.execute(_by_name(kind.table), params).first()


def get_by_name(conn: Connection, kind: EntityKind, account: str, name: str) -> Row[Any]:
    """The entity named ``name`` in ``account``, or NoSuchEntity with AWS's message."""
    row = find_by_name(conn, kind, account, name)
    if row is None:
        raise NoSuchEntity(kind.not_found.format(name=name))
    return row


def arn_of(conn: Connection, kind: EntityKind, account: str, name: str) -> str:
    """The ARN to authorize an action on: the entity's own, or the path-less one if absent."""
    table = kind.table
    stmt = select(table.c.arn).where(
        table.c.account_id == account, table.c.name_lower == name.lower()
    )
    arn = conn.execute(stmt).scalar_one_or_none()
    return str(arn) if arn is not None else kind.placeholder_arn(account, name)


def ensure_name_free(conn: Connection, kind: EntityKind, account: str, name: str) -> None:
    """EntityAlreadyExists if ``name`` is taken in ``account``, in any letter case."""
    if find_by_name(conn, kind, account, name) is not None:
        raise EntityAlreadyExists(kind.exists.format(name=name))


def count_created(conn: Connection, kind: EntityKind, account: str, quotas: Quotas) -> None:
    """Count the entity of ``kind`` just inserted in ``account``; LimitExceeded when the
    account already held its quota (the transaction's rollback then takes the row back).

    Called after the insert, so that a name already taken is EntityAlreadyExists first,
    as AWS answers. The kept count (``store.counts``) answers while it stays within the
    quota, in one statement that also makes concurrent creators of the kind take turns
    (its row stays locked until the transaction ends); a missing count, or one past the
    quota, is checked by counting the rows, so a count that drifted high costs a recount
    and never a wrong refusal. No ``touch_account`` is needed for the count.
    """
    limit = kind.quota(quotas)
    count = counts.bump(conn, account, kind.resource)
    if count is not None and count <= limit:
        return
    if counts.recount(conn, account, kind.resource, kind.table) > limit:
        raise quota_exceeded(kind.quota_name, limit)


def count_deleted(conn: Connection, kind: EntityKind, account: str) -> None:
    """One entity of ``kind`` fewer for ``count_created``."""
    counts.add(conn, account, kind.resource, -1)


def quota_exceeded(quota_name: str, limit: int) -> LimitExceeded:
    """AWS's LimitExceeded: ``Cannot exceed quota for RolesPerAccount: 1000``."""
    return LimitExceeded(f"Cannot exceed quota for {quota_name}: {limit}")


def insert_entity(conn: Connection, kind: EntityKind, name: str, values: dict[str, Any]) -> None:
    """Insert a new entity row; a lost race on the name becomes EntityAlreadyExists.

    No savepoint: the error ends the request's transaction anyway, and a savepoint costs
    two more statements on every create.
    """
    try:
        _insert(kind.table, tuple(values)).execute(conn, values)
    except IntegrityError as exc:
        conflict = row_conflict(exc)
        if conflict.kind == "unique":
            raise EntityAlreadyExists(kind.exists.format(name=name)) from None
        raise conflict from exc


def rename(
    ctx: OperationContext,
    kind: EntityKind,
    *,
    action: str,
    name: str,
    arn: str,
    new_name: str,
    new_path: str,
    member: str,
    update: Callable[[str, str, str], None],
) -> None:
    """UpdateUser/UpdateGroup: a new name and/or path, checked, authorized, unique.

    The caller must also be allowed ``action`` on the entity's new ARN; ``update``
    writes (name, path, arn) and a lost race for the name is EntityAlreadyExists.
    """
    check_name(kind, new_name, member)
    check_path(new_path, "newPath")
    new_arn = kind.arn(ctx.account_id, new_path, new_name)
    if new_arn != arn:
        ctx.authorize(action, Target(new_arn, account=ctx.account_id))
    touch_account(ctx.db, ctx.account_id)
    if new_name.lower() != name.lower():
        ensure_name_free(ctx.db, kind, ctx.account_id, new_name)
    try:
        with savepoint(ctx.db):
            update(new_name, new_path, new_arn)
    except RowConflict:
        raise EntityAlreadyExists(kind.exists.format(name=new_name)) from None
