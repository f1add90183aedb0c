"""Grammar checks for each kind of policy document: every problem, in AWS's wording.

``check_document(doc, kind)`` looks at a document ``json`` has already loaded and returns
one message per problem found, never raising whatever the JSON holds. The messages are
what MalformedPolicyDocument carries on the wire, so each uses AWS's text where AWS has
one. Where AWS only says ``Syntax errors in policy.`` (wrong types, unknown fields,
missing elements) the message starts with those words and then says what is wrong, the
way ``parse.py`` reports duplicate keys.

What each kind allows:

| kind     | Principal / NotPrincipal          | Resource / NotResource | Sid             |
|----------|-----------------------------------|------------------------|-----------------|
| identity, boundary, session | forbidden      | one required           | letters, digits |
| trust    | Principal required, NotPrincipal forbidden | forbidden     | letters, digits |
| resource | one required (NotPrincipal with Deny)   | one required     | any string      |
| scp      | forbidden                         | one required           | letters, digits |
| rcp      | Principal ``"*"`` required        | one required           | letters, digits |

Anything this module accepts, ``parse.build_policy`` can build.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from iamd.model.arn import parse_arn
from iamd.policy.conditions import check_condition
from iamd.policy.document import (
    VERSION_2012,
    VERSIONS,
    ConditionClause,
    Effect,
    PolicyKind,
    scalar_text,
)
from iamd.policy.glob import Glob
from iamd.policy.operators import split_operator
from iamd.policy.principals_grammar import NO_PRINCIPALS, check_principal

SYNTAX = "Syntax errors in policy."
LEGACY = "The policy failed legacy parsing"
NO_ACTIONS = "Policy statement must contain actions."
NO_RESOURCES = "Policy statement must contain resources."
SHOULD_NOT_SPECIFY_PRINCIPAL = "Policy document should not specify a principal."
NO_VENDOR = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
ONE_COLON = "Actions/Condition can contain only one colon."
SID_CHARACTERS = (
    "Statement IDs (SID) must be alpha-numeric. "
    "Check that your input satisfies the regular expression [0-9A-Za-z]*"
)
SID_UNIQUE = "Statement IDs (SID) in a single policy must be unique."
NOT_FOR_ORG_POLICY_TYPE = (
    "The provided policy document does not meet the requirements of the specified policy type."
)
TRUST_ACTIONS = "AssumeRole policy may only specify STS AssumeRole actions."
RESOURCE_VENDOR = "Resource vendor must be fully qualified and cannot contain regexes."
# What an IAM resource may start with, and AWS's sentence for one that starts otherwise
# (as AWS answered PutRolePolicy, word for word).
IAM_RESOURCE_STARTS = (
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
)
IAM_RESOURCE_PATH = (
    'IAM resource path must either be "*", root, or start with '
    + ", ".join(IAM_RESOURCE_STARTS)
    + "."
)

TOP_LEVEL_KEYS = ("Version", "Id", "Statement")
STATEMENT_KEYS = (
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
)
# The actions a role trust policy may name; wildcards are fine if they match one of them.
TRUST_POLICY_ACTIONS = (
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:tagsession",
    "sts:setsourceidentity",
    "sts:setcontext",
)
_TRUST_ACTION_SET = frozenset(TRUST_POLICY_ACTIONS)
PARTITIONS = frozenset(
    {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}
)

_IAM_KINDS = frozenset({PolicyKind.IDENTITY, PolicyKind.BOUNDARY, PolicyKind.SESSION})
_ORG_KINDS = frozenset({PolicyKind.SCP, PolicyKind.RCP})
_SID = re.compile(r"[0-9A-Za-z]*")
_VENDOR = re.compile(r"\*|[A-Za-z0-9.-]+")


def syntax(detail: str) -> str:
    """``Syntax errors in policy.`` followed by what exactly is wrong."""
    return f"{SYNTAX} {detail}"


def check_document(doc: Any, kind: PolicyKind) -> list[str]:
    """Every problem in ``doc`` for a policy of ``kind``, in AWS's wording; [] when valid."""
    if not isinstance(doc, dict):
        return [syntax("The policy must be a JSON object.")]
    problems: list[str] = []
    for key in doc:
        if key not in TOP_LEVEL_KEYS:
            problems.append(syntax(f"Unknown field {_quote(key)}."))
    problems += _check_version(doc, kind)
    if "Id" in doc and not isinstance(doc["Id"], str):
        problems.append(syntax("Id must be a string."))
    statements = doc.get("Statement")
    if "Statement" not in doc:
        problems.append(syntax("Missing required field Statement."))
    elif isinstance(statements, dict):
        problems += check_statement(statements, kind)
    elif isinstance(statements, list) and statements:
        for statement in statements:
            problems += check_statement(statement, kind)
        problems += _check_sids_unique(statements)
    else:
        problems.append(syntax("Statement must be an object or a non-empty list of objects."))
    return _distinct(problems)


def _check_version(doc: dict[str, Any], kind: PolicyKind) -> list[str]:
    if "Version" not in doc:
        return [_org("RCPs must have Version 2012-10-17.")] if kind is PolicyKind.RCP else []
    version = doc["Version"]
    if not isinstance(version, str) or version not in VERSIONS:
        return [syntax(f"Invalid Version {_show(version)}.")]
    if kind is PolicyKind.RCP and version != VERSION_2012:
        return [_org("RCPs must have Version 2012-10-17.")]
    return []


def _check_sids_unique(statements: list[Any]) -> list[str]:
    seen: set[str] = set()
    for statement in statements:
        sid = statement.get("Sid") if isinstance(statement, dict) else None
        if isinstance(sid, str) and sid:
            if sid in seen:
                return [SID_UNIQUE]
            seen.add(sid)
    return []


def check_statement(statement: Any, kind: PolicyKind) -> list[str]:
    """Problems in one statement of a policy of ``kind``."""
    if not isinstance(statement, dict):
        return [syntax("Each statement must be an object.")]
    problems: list[str] = []
    for key in statement:
        if key not in STATEMENT_KEYS:
            problems.append(syntax(f"Unknown field {_quote(key)}."))
    problems += _check_sid(statement, kind)
    problems += _check_effect(statement)
    problems += _check_actions(statement, kind)
    problems += _check_resources(statement, kind)
    problems += _check_principals(statement, kind)
    if "Condition" in statement:
        problems += check_condition_block(statement["Condition"])
    return problems


def _check_sid(statement: dict[str, Any], kind: PolicyKind) -> list[str]:
    if "Sid" not in statement:
        return []
    sid = statement["Sid"]
    if not isinstance(sid, str):
        return [syntax("Sid must be a string.")]
    if kind is not PolicyKind.RESOURCE and _SID.fullmatch(sid) is None:
        return [SID_CHARACTERS]
    return []


def _check_effect(statement: dict[str, Any]) -> list[str]:
    effect = statement.get("Effect")
    if "Effect" not in statement:
        return [syntax("Missing required field Effect.")]
    if effect in (Effect.ALLOW, Effect.DENY):
        return []
    if isinstance(effect, str) and effect.lower() in ("allow", "deny"):
        return [LEGACY]  # AWS reads the effect case-insensitively, then fails it
    return [syntax(f'Effect must be "Allow" or "Deny", not {_show(effect)}.')]


def _check_actions(statement: dict[str, Any], kind: PolicyKind) -> list[str]:
    if "Action" in statement and "NotAction" in statement:
        return [syntax("A statement may have Action or NotAction, not both.")]
    element = "Action" if "Action" in statement else "NotAction"
    if element not in statement:
        return [NO_ACTIONS]
    values = _string_list(statement[element])
    if values is None:
        return [syntax(f"{element} must be a string or a list of strings.")]
    if not values:
        return [NO_ACTIONS]
    problems = [p for value in values for p in check_action(value)]
    trust_action = kind is PolicyKind.TRUST and element == "Action"
    if trust_action and not problems and not all(map(_matches_trust_action, values)):
        problems.append(TRUST_ACTIONS)
    if kind is PolicyKind.RCP and element == "NotAction":
        problems.append(_org("RCPs do not support NotAction."))
    return problems


def check_action(action: str) -> list[str]:
    """Problems with one action pattern: ``*`` or ``vendor:name`` (wildcards in the name)."""
    if action == "*":
        return []
    parts = action.split(":")
    if len(parts) == 1:
        return [NO_VENDOR]
    if len(parts) > 2:
        return [ONE_COLON]
    if _VENDOR.fullmatch(parts[0]) is None:
        return [f"Vendor {parts[0]} is not valid"]
    return []


def _matches_trust_action(pattern: str) -> bool:
    lowered = pattern.lower()
    if lowered in _TRUST_ACTION_SET:
        return True
    if "*" not in lowered and "?" not in lowered:
        return False
    glob = Glob.of(lowered)
    return any(glob.match(action) for action in TRUST_POLICY_ACTIONS)


def _check_resources(statement: dict[str, Any], kind: PolicyKind) -> list[str]:
    present = [e for e in ("Resource", "NotResource") if e in statement]
    if kind is PolicyKind.TRUST:
        return [f"Has prohibited field {element}" for element in present]
    if len(present) == 2:
        return [syntax("A statement may have Resource or NotResource, not both.")]
    if not present:
        return [NO_RESOURCES]
    element = present[0]
    values = _string_list(statement[element])
    if values is None:
        return [syntax(f"{element} must be a string or a list of strings.")]
    if not values:
        return [NO_RESOURCES]
    return [p for value in values for p in check_resource(value)]


def check_resource(resource: str) -> list[str]:
    """Problems with one resource pattern, as AWS reads it.

    ``*`` is any resource. Text with a colon that does not start ``arn:`` is read as
    ``arn:`` and the rest, padded with ``*`` to six components (``a:b:c`` is
    ``arn:b:c:*:*:*``), and its partition checked. Three components (``arn:aws:vendor``)
    pass; four or five fail AWS's legacy parsing; six are checked component by component.
    """
    if resource == "*":
        return []
    parts = resource.split(":", 5)
    if len(parts) == 1:
        return [f'Resource {resource} must be in ARN format or "*".']
    if parts[0] != "arn":
        padded = ":".join(["arn", *parts[1:], *["*"] * (6 - len(parts))])
        if parts[1] not in PARTITIONS and not _has_wildcard(parts[1]):
            return [f'Partition "{parts[1]}" is not valid for resource "{padded}".']
        return check_resource(padded)
    if len(parts) == 2:
        return [RESOURCE_VENDOR]
    if len(parts) in (4, 5):
        return [LEGACY]
    arn = parse_arn(resource) if len(parts) == 6 else None
    partition, service = parts[1], parts[2]
    if partition not in PARTITIONS and not _has_wildcard(partition):
        return [f'Partition "{partition}" is not valid for resource "{resource}".']
    if not service or _has_wildcard(service):
        return [RESOURCE_VENDOR]
    if arn is None:
        return []
    if arn.service == "iam" and arn.region:
        return [f"IAM resource {resource} cannot contain region information."]
    if arn.service == "iam" and not _is_iam_resource(arn.resource):
        return [IAM_RESOURCE_PATH]
    # An S3 access point names its region and account; a bucket or object names neither.
    if (
        arn.service == "s3"
        and arn.region not in ("", "*")
        and not arn.resource.startswith("accesspoint/")
    ):
        return [f"Resource {resource} can not contain region information."]
    return []


def _is_iam_resource(resource: str) -> bool:
    return resource in ("*", "root") or resource.startswith(IAM_RESOURCE_STARTS)


def _check_principals(statement: dict[str, Any], kind: PolicyKind) -> list[str]:
    has_principal = "Principal" in statement
    has_not_principal = "NotPrincipal" in statement
    problems: list[str] = []
    if kind in _IAM_KINDS:
        return [SHOULD_NOT_SPECIFY_PRINCIPAL] if has_principal or has_not_principal else []
    if kind is PolicyKind.SCP:
        return (
            [_org("SCPs do not support Principal or NotPrincipal.")]
            if (has_principal or has_not_principal)
            else []
        )
    if kind is PolicyKind.RCP:
        if has_not_principal:
            problems.append(_org("RCPs do not support NotPrincipal."))
        if statement.get("Principal") != "*":
            problems.append(_org('RCPs must have "Principal": "*".'))
        if statement.get("Effect") == Effect.ALLOW and not _full_access(statement):
            problems.append(_org("RCPs may only deny, except the full-access policy."))
        return problems
    if kind is PolicyKind.TRUST:
        if has_not_principal:
            problems.append("Has prohibited field NotPrincipal")
        if not has_principal:
            problems.append(NO_PRINCIPALS)
    elif has_principal and has_not_principal:
        problems.append(syntax("A statement may have Principal or NotPrincipal, not both."))
    elif not (has_principal or has_not_principal):
        problems.append("Missing required field Principal")
    elif has_not_principal and statement.get("Effect") == Effect.ALLOW:
        problems.append('Invalid policy: NotPrincipal may be used only with "Effect": "Deny".')
    trust = kind is PolicyKind.TRUST
    for element in ("Principal", "NotPrincipal"):
        if element in statement:
            problems += check_principal(statement[element], element, trust=trust)
    return problems


def _full_access(statement: dict[str, Any]) -> bool:
    """The shape of AWS's RCPFullAWSAccess: the only RCP statement that may Allow."""
    return (
        statement.get("Action") in ("*", ["*"])
        and statement.get("Resource") in ("*", ["*"])
        and "Condition" not in statement
    )


def check_condition_block(block: Any) -> list[str]:
    """Problems in a Condition element: operator -> {key -> value or list of values}."""
    if not isinstance(block, dict):
        return [syntax("Condition must be an object.")]
    problems: list[str] = []
    for operator, clauses in block.items():
        known = split_operator(operator) is not None
        if not known and clauses != {}:  # AWS lets an unknown operator with no keys pass
            problems.append(syntax(f"Unknown condition operator {_quote(operator)}."))
        if not isinstance(clauses, dict):
            problems.append(syntax(f"Condition {_quote(operator)} must be an object."))
            continue
        for key, values in clauses.items():  # AWS takes keys without a vendor prefix
            shape = _check_condition_values(operator, key, values)
            problems += shape
            if known and not shape:
                items = values if isinstance(values, list) else [values]
                clause = ConditionClause(operator, key, tuple(map(scalar_text, items)))
                problems += check_condition(clause)
    return problems


def _check_condition_values(operator: str, key: str, values: Any) -> list[str]:
    items = values if isinstance(values, list) else [values]
    if all(_condition_scalar(v) for v in items):  # an empty list too: it matches nothing
        return []
    return [
        syntax(
            f"Condition {_quote(operator)} key {_quote(key)} must have a string, number or "
            "boolean, or a list of them."
        )
    ]


def _condition_scalar(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str | int)


def _string_list(value: Any) -> list[str] | None:
    """A string or list of strings as a list; None for any other JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _org(detail: str) -> str:
    return f"{NOT_FOR_ORG_POLICY_TYPE} {detail}"


def _has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _show(value: Any) -> str:
    """A JSON value as the user wrote it, shortened so that a message stays one line."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (ValueError, RecursionError):
        text = "a value"
    return text if len(text) <= 64 else text[:61] + "..."


def _distinct(problems: list[str]) -> list[str]:
    return list(dict.fromkeys(problems))
