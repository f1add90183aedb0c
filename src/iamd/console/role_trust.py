"""Trust policies as the roles pages see them: built from the guided form's choices, and
read back as the principals that may assume the role (for the list's summary and the
role page's picture).

Building follows what AWS's console writes for the same choices: one Allow statement for
``sts:AssumeRole`` (an account or a service), ``sts:AssumeRoleWithWebIdentity`` with
``PROVIDER:aud`` (an OIDC provider) or ``sts:AssumeRoleWithSAML`` with ``SAML:aud`` (a
SAML provider); "Require external ID" adds ``StringEquals sts:ExternalId`` and "Require
MFA" ``Bool aws:MultiFactorAuthPresent``, both for account principals only (a service
carries neither). Everything else (the name, the document's limits, a principal that does
not exist) is the API's to check.

Reading is tolerant: a document is whatever GetRole returned, so anything unexpected is
skipped rather than raised; the work is linear in the document's size, which the trust
policy quota bounds.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

THIS_ACCOUNT = "account"
OTHER_ACCOUNT = "other-account"
SERVICE = "service"
WEB_IDENTITY = "web-identity"
SAML = "saml"
KINDS = (THIS_ACCOUNT, OTHER_ACCOUNT, SERVICE, WEB_IDENTITY, SAML)

SAML_AUDIENCE = "https://signin.aws.amazon.com/saml"
COMMON_SERVICES = (
    "ec2.amazonaws.com",
    "lambda.amazonaws.com",
    "ecs-tasks.amazonaws.com",
    "eks.amazonaws.com",
    "states.amazonaws.com",
    "events.amazonaws.com",
    "codebuild.amazonaws.com",
    "glue.amazonaws.com",
    "sagemaker.amazonaws.com",
    "apigateway.amazonaws.com",
)
ACCOUNT_ID = re.compile(r"[0-9]{12}")
OIDC_ARN = re.compile(r"arn:aws:iam::[0-9]{12}:oidc-provider/(.+)")


class TrustFormError(ValueError):
    """A choice the form cannot turn into a trust policy (the message says which)."""


@dataclass(frozen=True, slots=True)
class TrustChoice:
    """What the guided form asked for."""

    kind: str
    account_id: str = ""  # another AWS account
    service: str = ""
    provider_arn: str = ""  # an OIDC or SAML provider
    audience: str = ""  # the OIDC provider's audience (client id)
    external_id: str | None = None
    require_mfa: bool = False


def trust_policy(choice: TrustChoice, own_account: str) -> dict[str, Any]:
    """The trust policy document for ``choice``; TrustFormError when a choice is missing."""
    if choice.kind not in KINDS:
        raise TrustFormError("Choose a trusted entity type.")
    conditions: dict[str, dict[str, str]] = {}
    if choice.kind in (THIS_ACCOUNT, OTHER_ACCOUNT):
        account = own_account if choice.kind == THIS_ACCOUNT else choice.account_id.strip()
        if not ACCOUNT_ID.fullmatch(account):
            raise TrustFormError("Enter the other account's 12-digit account ID.")
        principal = {"AWS": f"arn:aws:iam::{account}:root"}
        action = "sts:AssumeRole"
        if choice.external_id is not None:
            if not choice.external_id:
                raise TrustFormError("Enter the external ID the other party will pass.")
            conditions["StringEquals"] = {"sts:ExternalId": choice.external_id}
        if choice.require_mfa:
            conditions["Bool"] = {"aws:MultiFactorAuthPresent": "true"}
    else:
        if choice.external_id is not None or choice.require_mfa:
            raise TrustFormError(
                "Require external ID and Require MFA apply to AWS account principals only."
            )
        principal, action = _other_principal(choice, conditions)
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": action}
    if conditions:
        statement["Condition"] = conditions
    return {"Version": "2012-10-17", "Statement": [statement]}


def _other_principal(
    choice: TrustChoice, conditions: dict[str, dict[str, str]]
) -> tuple[dict[str, str], str]:
    if choice.kind == SERVICE:
        service = choice.service.strip()
        if not service:
            raise TrustFormError("Choose or enter the AWS service that may assume the role.")
        return {"Service": service}, "sts:AssumeRole"
    if not choice.provider_arn:
        raise TrustFormError("Choose an identity provider.")
    if choice.kind == SAML:
        conditions["StringEquals"] = {"SAML:aud": SAML_AUDIENCE}
        return {"Federated": choice.provider_arn}, "sts:AssumeRoleWithSAML"
    found = OIDC_ARN.fullmatch(choice.provider_arn)
    if found is None:
        raise TrustFormError("Choose an OpenID Connect provider.")
    if not choice.audience.strip():
        raise TrustFormError("Enter the audience (client ID) the provider's tokens carry.")
    conditions["StringEquals"] = {f"{found.group(1)}:aud": choice.audience.strip()}
    return {"Federated": choice.provider_arn}, "sts:AssumeRoleWithWebIdentity"


# --- reading a trust policy ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Trusted:
    """One principal an Allow statement lets assume the role."""

    kind: str  # account, user, role, service, federated, anyone, other
    label: str  # for people: "Account 111122223333", "Service ec2.amazonaws.com"
    value: str  # as written in the policy
    actions: tuple[str, ...]
    conditions: tuple[str, ...]  # "StringEquals sts:ExternalId = abc"
    excepted: bool = False  # from NotPrincipal: everyone except this principal


def parse_document(text: object) -> dict[str, Any] | None:
    """The JSON object a document holds, or None."""
    if isinstance(text, dict):
        return text
    try:
        parsed = json.loads(str(text))
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def trusted_principals(document: object, own_account: str) -> list[Trusted]:
    """The principals of the document's Allow statements, in order."""
    parsed = parse_document(document)
    if parsed is None:
        return []
    found: list[Trusted] = []
    for statement in _as_list(parsed.get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        actions = tuple(str(a) for a in _as_list(statement.get("Action")))
        conditions = tuple(_condition_labels(statement.get("Condition")))
        excepted = "Principal" not in statement and "NotPrincipal" in statement
        principal = statement.get("NotPrincipal" if excepted else "Principal")
        for kind, value in _principal_values(principal):
            found.append(
                Trusted(
                    kind=_kind(kind, value),
                    label=_label(kind, value, own_account, excepted),
                    value=value,
                    actions=actions,
                    conditions=conditions,
                    excepted=excepted,
                )
            )
    return found


def summary(document: object, own_account: str) -> str:
    """One line for the roles list: who the role trusts."""
    labels = list(dict.fromkeys(t.label for t in trusted_principals(document, own_account)))
    if not labels:
        return "No one"
    shown = ", ".join(labels[:3])
    return shown if len(labels) <= 3 else f"{shown} and {len(labels) - 3} more"


def _as_list(value: object) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _principal_values(principal: object) -> list[tuple[str, str]]:
    if principal == "*":
        return [("AWS", "*")]
    if not isinstance(principal, dict):
        return []
    return [(str(kind), str(v)) for kind, values in principal.items() for v in _as_list(values)]


def _condition_labels(condition: object) -> list[str]:
    if not isinstance(condition, dict):
        return []
    labels = []
    for operator, keys in condition.items():
        if not isinstance(keys, dict):
            continue
        for key, values in keys.items():
            shown = ", ".join(str(v) for v in _as_list(values))
            labels.append(f"{operator} {key} = {shown}")
    return labels


def _kind(kind: str, value: str) -> str:
    if kind == "Service":
        return "service"
    if kind == "Federated":
        return "federated"
    if kind != "AWS":
        return "other"
    if value == "*":
        return "anyone"
    if ACCOUNT_ID.fullmatch(value) or value.endswith(":root"):
        return "account"
    resource = value.split(":", 5)[-1]
    if resource.startswith("user/"):
        return "user"
    if resource.startswith(("role/", "assumed-role/")):
        return "role"
    return "other"


def _label(kind: str, value: str, own_account: str, excepted: bool) -> str:
    label = _plain_label(kind, value, own_account)
    return f"Anyone except {label}" if excepted else label


def _plain_label(kind: str, value: str, own_account: str) -> str:
    found = _kind(kind, value)
    if found == "anyone":
        return "Anyone (any AWS principal)"
    if found == "account":
        account = value if ACCOUNT_ID.fullmatch(value) else value.split(":")[4]
        return f"Account {account}" + (" (this account)" if account == own_account else "")
    if found in ("user", "role"):
        resource = value.split(":", 5)[-1]
        account = value.split(":")[4] if value.count(":") >= 5 else ""
        where = "" if account == own_account else f" in account {account}"
        if resource.startswith("assumed-role/"):
            _, role, session = [*resource.split("/", 2), "", ""][:3]
            return f"Session {session} of role {role}{where}"
        return f"{found.capitalize()} {resource.rsplit('/', 1)[-1]}{where}"
    if found == "service":
        return f"Service {value}"
    if found == "federated":
        if ":saml-provider/" in value:
            return f"SAML provider {value.split(':saml-provider/', 1)[1]}"
        if ":oidc-provider/" in value:
            return f"OIDC provider {value.split(':oidc-provider/', 1)[1]}"
        return f"Identity provider {value}"
    return f"{kind} {value}"
