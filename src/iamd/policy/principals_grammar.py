"""The grammar of Principal and NotPrincipal values, per principal type.

A principal is ``"*"`` or an object whose keys are principal types (``AWS``, ``Service``,
``Federated``, ``CanonicalUser``) and whose values are a string or a list of strings.
``*`` is only ever legal as a whole value: AWS rejects partial wildcards such as
``arn:aws:iam::123456789012:role/*`` with ``Invalid principal in policy``.
"""

from __future__ import annotations

import re
from typing import Any

from iamd.model.arn import is_account_id, parse_arn

PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")

# The built-in web identity providers a trust policy may name without an IAM provider.
WEB_IDENTITY_PROVIDERS = frozenset(
    {
        "cognito-identity.amazonaws.com",
        "www.amazon.com",
        "graph.facebook.com",
        "accounts.google.com",
    }
)

# iamd stores trust policies with users and roles resolved to their unique ids, as AWS does.
_UNIQUE_ID = re.compile(r"(AIDA|AROA)[A-Z0-9]{12,124}")
_NAME = r"[\w+=,.@-]+"
_IAM_ENTITY = re.compile(rf"(?:user|role)(?:/[\x21-\x2e\x30-\x7e]+)*/{_NAME}")
_STS_PRINCIPAL = re.compile(rf"assumed-role/{_NAME}/{_NAME}|federated-user/{_NAME}")
_SERVICE = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")
_PROVIDER = re.compile(r"saml-provider/[\w.-]+|oidc-provider/[\x21-\x7e]+")
_CANONICAL_USER = re.compile(r"[0-9a-f]{64}")

NO_PRINCIPALS = "The passed in policy has a statement with no principals!"


def invalid_principal(principal_type: str, value: str) -> str:
    """AWS's message for a value it cannot accept; AWS upper-cases every type but ``AWS``."""
    shown = principal_type if principal_type == "AWS" else principal_type.upper()
    return f'Invalid principal in policy: "{shown}":"{value}"'


def check_principal(value: Any, element: str, *, trust: bool) -> list[str]:
    """Problems in the value of a Principal or NotPrincipal element."""
    if value == "*":
        return []
    if isinstance(value, str):
        return [f'Syntax errors in policy. {element} must be "*" or an object of principal types.']
    if not isinstance(value, dict):
        return [f"Syntax errors in policy. {element} must be a string or an object."]
    if not value:
        return [NO_PRINCIPALS]
    problems: list[str] = []
    for principal_type, values in value.items():
        if principal_type not in PRINCIPAL_TYPES or (trust and principal_type == "CanonicalUser"):
            problems.append(
                f"Syntax errors in policy. Unknown principal type {_quote(principal_type)}."
            )
            continue
        items = values if isinstance(values, list) else [values]
        if not items:
            problems.append(NO_PRINCIPALS)
        for item in items:
            if not isinstance(item, str):
                problems.append(
                    f"Syntax errors in policy. Principal values of {principal_type} "
                    "must be strings."
                )
            elif not _valid(principal_type, item):
                problems.append(invalid_principal(principal_type, item))
    return problems


def _valid(principal_type: str, value: str) -> bool:
    if principal_type == "AWS":
        return value == "*" or valid_aws_principal(value)
    if principal_type == "Service":
        return _SERVICE.fullmatch(value) is not None
    if principal_type == "Federated":
        return value in WEB_IDENTITY_PROVIDERS or _valid_provider_arn(value)
    return _CANONICAL_USER.fullmatch(value) is not None


def valid_aws_principal(value: str) -> bool:
    """An account id, an IAM/STS principal ARN, or the unique id of a user or role."""
    if is_account_id(value) or _UNIQUE_ID.fullmatch(value):
        return True
    arn = parse_arn(value)
    if arn is None or not arn.partition or arn.region or not is_account_id(arn.account):
        return False
    if "*" in value or "?" in value:
        return False
    if arn.service == "iam":
        return arn.resource == "root" or _IAM_ENTITY.fullmatch(arn.resource) is not None
    if arn.service == "sts":
        return _STS_PRINCIPAL.fullmatch(arn.resource) is not None
    return False


def _valid_provider_arn(value: str) -> bool:
    arn = parse_arn(value)
    if arn is None or arn.service != "iam" or arn.region or not is_account_id(arn.account):
        return False
    if "*" in value or "?" in value:
        return False
    return _PROVIDER.fullmatch(arn.resource) is not None


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
