"""Amazon Resource Names: ``arn:partition:service:region:account:resource``.

The resource part keeps any further colons. Parsing never raises: ``parse_arn`` returns
None for text that is not an ARN, because policies and requests carry plain ``*`` too.
"""

from __future__ import annotations

from dataclasses import dataclass

ACCOUNT_ID_LENGTH = 12


@dataclass(frozen=True, slots=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"

    @property
    def resource_type(self) -> str:
        """The part of the resource before the first ``/`` or ``:`` (``role``, ``user``...)."""
        for i, ch in enumerate(self.resource):
            if ch in "/:":
                return self.resource[:i]
        return self.resource


def parse_arn(text: str) -> Arn | None:
    """Split an ARN into its six components, or None when ``text`` is not one."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])


def is_account_id(text: str) -> bool:
    return len(text) == ACCOUNT_ID_LENGTH and text.isascii() and text.isdigit()


def root_arn(account: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:root"


def iam_arn(account: str, kind: str, path: str, name: str, partition: str = "aws") -> str:
    """``arn:aws:iam::ACCOUNT:KIND/PATH/NAME`` for users, roles, groups, policies..."""
    return f"arn:{partition}:iam::{account}:{kind}{path}{name}"


def assumed_role_arn(account: str, role_name: str, session: str, partition: str = "aws") -> str:
    return f"arn:{partition}:sts::{account}:assumed-role/{role_name}/{session}"


def federated_user_arn(account: str, name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:sts::{account}:federated-user/{name}"
