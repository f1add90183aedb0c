"""Revoking a role's active sessions, the way the AWS console does it.

AWS's "Revoke active sessions" puts an inline policy named ``AWSRevokeOlderSessions`` on
the role: Deny everything when ``aws:TokenIssueTime`` is earlier than the moment of
revocation. iamd does exactly the same (``iamd role revoke-sessions``), so:

- every session of the role issued before that moment is denied every action, on every
  node at once (the write bumps the account's change counter, which the authorizer's
  caches are keyed on), with AWS's message ``... with an explicit deny in an
  identity-based policy``; sessions issued afterwards are unaffected;
- GetCallerIdentity still answers for a revoked session, as in AWS (it needs no
  permission);
- the revocation is visible (GetRolePolicy) and undone by DeleteRolePolicy;
- revoking again moves the moment forward.

The moment is rounded up to the next whole second, since ``aws:TokenIssueTime`` has
whole seconds: a session issued in the same second as the revocation is revoked too.
``roles.sessions_revoked_before`` records the moment.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Connection

from iamd.errors import NoSuchEntity
from iamd.store import policies as policy_store
from iamd.store import roles as role_store
from iamd.store.db import touch_account

POLICY_NAME = "AWSRevokeOlderSessions"


def revocation_policy(before: dt.datetime) -> str:
    moment = before.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Action": ["*"],
                    "Resource": ["*"],
                    "Condition": {"DateLessThan": {"aws:TokenIssueTime": moment}},
                }
            ],
        }
    )


def revocation_moment(now: dt.datetime) -> dt.datetime:
    """The cut-off for a revocation asked for at ``now``: the next whole second."""
    return now.replace(microsecond=0) + dt.timedelta(seconds=1)


def revoke_sessions(
    conn: Connection, account_id: str, role_name: str, now: dt.datetime
) -> dt.datetime:
    """Deny every session of the role issued before now; returns the cut-off moment."""
    role = role_store.get_by_name(conn, account_id, role_name)
    if role is None:
        raise NoSuchEntity(f"The role with name {role_name} cannot be found.")
    before = revocation_moment(now)
    touch_account(conn, account_id)
    policy_store.put_inline(conn, "role", role.role_id, POLICY_NAME, revocation_policy(before))
    role_store.update_role(conn, role.role_id, sessions_revoked_before=before)
    return before
