"""A console session: what the browser's cookie seals.

The cookie carries the signed-in person's temporary credentials (the access key id and
session token; the token seals the secret, which never reaches the browser), the ARN they
act as, a CSRF secret every form must echo, and switch-role state: the identity to go
back to, the role's display name and colour, and the recent roles. Sign-in's two pending
stages (an MFA code to give, a password to change) are sessions too, with ``stage`` saying
which; pages accept only ``SIGNED_IN``.

The cookie is HttpOnly, SameSite=Lax, Secure when served over TLS, and lasts as long as the
credentials it carries; nothing in it is readable or changeable by the browser (``seal``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field, replace
from typing import Any

SIGNED_IN = "in"
MFA = "mfa"  # the password was right; the MFA code is next
CHANGE_PASSWORD = "change"  # signed in only to choose a new password
PENDING_SECONDS = 300
HISTORY = 5  # AWS's console remembers the five most recent roles


@dataclass(frozen=True, slots=True)
class Identity:
    """Temporary credentials the console acts with, and who they are."""

    key_id: str
    token: str = field(repr=False)
    expires: int  # epoch seconds
    arn: str
    account_id: str

    def payload(self) -> list[Any]:
        return [self.key_id, self.token, self.expires, self.arn, self.account_id]

    @classmethod
    def of(cls, raw: Any) -> Identity:
        key_id, token, expires, arn, account_id = raw
        return cls(str(key_id), str(token), int(expires), str(arn), str(account_id))


@dataclass(frozen=True, slots=True)
class RecentRole:
    account: str
    role: str
    display: str
    colour: str


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    stage: str
    csrf: str
    identity: Identity | None = None
    # MFA stage: whose code is awaited, and until when
    pending_user: tuple[str, str, str] | None = None  # (account id, user id, user name)
    pending_until: int = 0
    # switch role: the identity to go back to, and the recent roles (the current first)
    original: Identity | None = None
    history: tuple[RecentRole, ...] = ()

    @property
    def display(self) -> str:
        """The switched-to role's display name ("" when acting as oneself)."""
        return self.history[0].display if self.original is not None and self.history else ""

    @property
    def colour(self) -> str:
        return self.history[0].colour if self.original is not None and self.history else ""

    @property
    def expires(self) -> int:
        if self.stage == MFA:
            return self.pending_until
        assert self.identity is not None  # INVARIANT: only the MFA stage has none
        return self.identity.expires

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {"s": self.stage, "c": self.csrf}
        if self.identity is not None:
            out["i"] = self.identity.payload()
        if self.pending_user is not None:
            out["p"] = list(self.pending_user)
            out["pu"] = self.pending_until
        if self.original is not None:
            out["o"] = self.original.payload()
        if self.history:
            out["h"] = [[r.account, r.role, r.display, r.colour] for r in self.history]
        return out

    @classmethod
    def of(cls, raw: dict[str, Any]) -> ConsoleSession:
        pending = raw.get("p")
        return cls(
            stage=str(raw["s"]),
            csrf=str(raw["c"]),
            identity=Identity.of(raw["i"]) if "i" in raw else None,
            pending_user=(str(pending[0]), str(pending[1]), str(pending[2])) if pending else None,
            pending_until=int(raw.get("pu", 0)),
            original=Identity.of(raw["o"]) if "o" in raw else None,
            history=tuple(RecentRole(*(str(v) for v in r)) for r in raw.get("h", ())),
        )

    def expired(self, now: dt.datetime) -> bool:
        return now.timestamp() >= self.expires

    def switched_to(self, role: Identity, recent: RecentRole) -> ConsoleSession:
        """Acting as ``role`` now; the identity before the first switch is kept to go back to."""
        kept = tuple(
            r for r in self.history if (r.account, r.role) != (recent.account, recent.role)
        )
        return replace(
            self,
            identity=role,
            original=self.original or self.identity,
            history=((recent, *kept))[:HISTORY],
        )

    def switched_back(self) -> ConsoleSession:
        if self.original is None:
            return self
        return replace(self, identity=self.original, original=None)


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


def signed_in(identity: Identity, history: tuple[RecentRole, ...] = ()) -> ConsoleSession:
    return ConsoleSession(stage=SIGNED_IN, csrf=new_csrf(), identity=identity, history=history)
