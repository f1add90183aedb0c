"""Who signed a request, as authentication established it.

A Caller is what the rest of iamd knows about the requester: which account, which
identity (root, IAM user, role session, federated user, service), by which access key,
and for temporary credentials the session that the token carried. The authorization
layer turns it into the policy engine's Principal; operations read it to answer
GetCallerIdentity or to decide on role chaining.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class CallerKind(StrEnum):
    ROOT = "root"
    USER = "user"
    ROLE_SESSION = "role-session"
    FEDERATED_USER = "federated-user"
    SERVICE = "service"
    ANONYMOUS = "anonymous"


@dataclass(frozen=True, slots=True)
class Session:
    """What a session token carries beyond the identity (STS fills this in)."""

    issued_at: dt.datetime
    expires_at: dt.datetime
    session_policies: tuple[str, ...] = ()  # inline policy text and managed policy ARNs' texts
    has_session_policy: bool = False
    tags: tuple[tuple[str, str], ...] = ()
    transitive_tag_keys: tuple[str, ...] = ()
    source_identity: str | None = None
    chained: bool = False
    mfa_authenticated_at: dt.datetime | None = None
    extra_context: tuple[tuple[str, str | tuple[str, ...]], ...] = ()
    console: bool = False  # a console sign-in's session: the user (or root) itself


@dataclass(frozen=True, slots=True)
class Caller:
    kind: CallerKind
    account_id: str
    arn: str  # root, user, assumed-role session or federated-user ARN
    user_id: str  # AIDA..., AROA...:session, ACCOUNT:name, or the account id for root
    access_key_id: str | None = None
    name: str | None = None  # user name, role name, federated user name
    entity_id: str | None = None  # the user's or role's unique id
    role_arn: str | None = None
    session_name: str | None = None
    source_user_arn: str | None = None  # the IAM user behind a federated-user session
    source_user_id: str | None = None
    session: Session | None = None
    mfa: bool = False
    extra: tuple[tuple[str, str], ...] = field(default=())

    @property
    def is_root(self) -> bool:
        return self.kind is CallerKind.ROOT

    @property
    def is_temporary(self) -> bool:
        return self.session is not None

    @property
    def may_call_iam(self) -> bool:
        """IAM refuses GetSessionToken credentials obtained without MFA and federated-user
        credentials (spec 4.7, 4.8): their calls are InvalidClientTokenId. A console
        sign-in's session is the user itself and may."""
        if self.session is None or self.kind is CallerKind.ROLE_SESSION or self.session.console:
            return True
        return self.kind is not CallerKind.FEDERATED_USER and self.mfa
