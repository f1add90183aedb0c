"""The caller's policies and tags, read from the store.

What applies to whom (spec 1.2):

- an IAM user: its inline policies, the managed policies attached to it (their default
  versions), the inline and attached policies of each of its groups, its permissions
  boundary, and its tags (``aws:PrincipalTag/*``);
- a role session: the role's inline and attached policies, its boundary and its tags
  (session policies and session tags come with the session, not from here);
- the root user: nothing; it is not limited by identity policies.

Rows come back as ``Document`` values (a policy id for the decision's reasons, and the
text as stored); compiling them is the authorizer's job, so this module is plain reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, and_, select

from iamd.store import schema

USER = "user"
GROUP = "group"
ROLE = "role"


@dataclass(frozen=True, slots=True)
class Document:
    """One policy document as stored: who it came from and its text."""

    policy_id: str  # the managed policy's ARN, or ``<owner kind>/<owner name>/<policy name>``
    text: str | None  # None: a policy that allows nothing (a boundary that has vanished)


@dataclass(frozen=True, slots=True)
class Gathered:
    """Everything the store says about one principal's permissions."""

    identity: tuple[Document, ...] = ()
    boundary: Document | None = None
    tags: tuple[tuple[str, str], ...] = ()
    found: bool = True  # False: the user or role no longer exists


NOTHING = Gathered()
MISSING = Gathered(found=False)


def gather_user(conn: Connection, user_id: str) -> Gathered:
    """The identity policies, boundary and tags of the IAM user ``user_id``."""
    users = schema.users
    row = conn.execute(
        select(users.c.name, users.c.permissions_boundary_arn).where(users.c.user_id == user_id)
    ).first()
    if row is None:
        return MISSING
    docs = _inline(conn, USER, [(user_id, row.name)]) + _attached(conn, USER, [user_id])
    gm, groups = schema.group_members, schema.groups
    group_rows = conn.execute(
        select(groups.c.group_id, groups.c.name)
        .join(gm, gm.c.group_id == groups.c.group_id)
        .where(gm.c.user_id == user_id)
        .order_by(groups.c.name_lower)
    ).all()
    if group_rows:
        pairs = [(r.group_id, r.name) for r in group_rows]
        docs += _inline(conn, GROUP, pairs) + _attached(conn, GROUP, [gid for gid, _ in pairs])
    return Gathered(
        identity=tuple(docs),
        boundary=_managed_document(conn, row.permissions_boundary_arn),
        tags=_tags(conn, USER, user_id),
    )


def gather_role(conn: Connection, role_id: str) -> Gathered:
    """The identity policies, boundary and tags of the role ``role_id``."""
    roles = schema.roles
    row = conn.execute(
        select(roles.c.name, roles.c.permissions_boundary_arn).where(roles.c.role_id == role_id)
    ).first()
    if row is None:
        return MISSING
    docs = _inline(conn, ROLE, [(role_id, row.name)]) + _attached(conn, ROLE, [role_id])
    return Gathered(
        identity=tuple(docs),
        boundary=_managed_document(conn, row.permissions_boundary_arn),
        tags=_tags(conn, ROLE, role_id),
    )


def _inline(conn: Connection, kind: str, owners: Sequence[tuple[str, str]]) -> list[Document]:
    ip = schema.inline_policies
    names = dict(owners)
    rows = conn.execute(
        select(ip.c.principal_id, ip.c.name, ip.c.document)
        .where(ip.c.principal_type == kind, ip.c.principal_id.in_(list(names)))
        .order_by(ip.c.principal_id, ip.c.name)
    )
    return [Document(f"{kind}/{names[r.principal_id]}/{r.name}", r.document) for r in rows]


def _attached(conn: Connection, kind: str, owner_ids: Sequence[str]) -> list[Document]:
    pa, mp, pv = schema.policy_attachments, schema.managed_policies, schema.policy_versions
    rows = conn.execute(
        select(mp.c.arn, pv.c.document)
        .select_from(pa)
        .join(mp, mp.c.arn == pa.c.policy_arn)
        .join(
            pv,
            and_(pv.c.policy_id == mp.c.policy_id, pv.c.version_id == mp.c.default_version_id),
        )
        .where(pa.c.principal_type == kind, pa.c.principal_id.in_(list(owner_ids)))
        .order_by(pa.c.principal_id, mp.c.arn)
    )
    return [Document(r.arn, r.document) for r in rows]


def _managed_document(conn: Connection, arn: str | None) -> Document | None:
    """The default version of the managed policy ``arn`` (a permissions boundary)."""
    if arn is None:
        return None
    mp, pv = schema.managed_policies, schema.policy_versions
    text = conn.execute(
        select(pv.c.document)
        .select_from(mp)
        .join(
            pv,
            and_(pv.c.policy_id == mp.c.policy_id, pv.c.version_id == mp.c.default_version_id),
        )
        .where(mp.c.arn == arn)
    ).scalar_one_or_none()
    # INVARIANT: a boundary must exist when set; if it was deleted anyway, an empty
    # boundary (which allows nothing) is the safe reading.
    return Document(arn, text)


def _tags(conn: Connection, kind: str, entity_id: str) -> tuple[tuple[str, str], ...]:
    t = schema.tags
    rows = conn.execute(
        select(t.c.key, t.c.value)
        .where(t.c.resource_type == kind, t.c.resource_id == entity_id)
        .order_by(t.c.position)
    )
    return tuple((r.key, r.value) for r in rows)
