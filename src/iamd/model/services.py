"""Services as principals: what a service is and what its service-linked role looks like.

A service is named by its service principal (``ecs.amazonaws.com``, or a name our users
register such as ``jobs.example.internal``). It may define one service-linked role
(spec 5.6): a role named ``AWSServiceRoleFor...`` (``_SUFFIX`` appended where the service
allows a custom suffix), at path ``/aws-service-role/PRINCIPAL/``, trusting only the
service to assume it, with permissions the service defines: an AWS managed policy under
``/aws-service-role/`` for the AWS services of the catalog, an inline policy for a
registered service.

Pure data and rules, no I/O: the catalog file is read by ``store.services``, registered
services come from the store, and ``iam.services`` puts the two together.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

SERVICE_ROLE_PATH_PREFIX = "/aws-service-role/"
AWS_SERVICE_SUFFIX = ".amazonaws.com"
# A service principal: DNS-like labels, as the AWSServiceName member's pattern allows.
_PRINCIPAL = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")


@dataclass(frozen=True, slots=True)
class LinkedRole:
    """The service-linked role a service defines."""

    role_name: str
    custom_suffix: bool = False
    description: str | None = None
    policy_arn: str | None = None  # an AWS managed policy attached to the role
    inline_policy: str | None = None  # or an inline policy document (registered services)

    def name_with(self, suffix: str | None) -> str:
        """The role's name, with ``_SUFFIX`` when a custom suffix is given."""
        return f"{self.role_name}_{suffix}" if suffix else self.role_name


@dataclass(frozen=True, slots=True)
class Service:
    """A service principal iamd knows: from the catalog, or registered by an operator."""

    principal: str
    title: str
    linked_role: LinkedRole | None = None
    registered: bool = False

    @property
    def role_path(self) -> str:
        return linked_role_path(self.principal)


@dataclass(frozen=True, slots=True)
class ServiceRolePolicy:
    """An AWS managed policy of the catalog, in the seed format of AWS managed policies."""

    name: str
    path: str
    description: str
    document: Mapping[str, Any]
    create_date: str
    update_date: str

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::aws:policy{self.path}{self.name}"


@dataclass(frozen=True, slots=True)
class Catalog:
    services: Mapping[str, Service]
    policies: tuple[ServiceRolePolicy, ...]

    def get(self, principal: str) -> Service | None:
        """The service named exactly ``principal`` (service principals are case-sensitive)."""
        return self.services.get(principal)

    def linked(self) -> list[Service]:
        """The services that define a service-linked role, by principal."""
        return [s for _, s in sorted(self.services.items()) if s.linked_role is not None]


def linked_role_path(principal: str) -> str:
    """``/aws-service-role/PRINCIPAL/``."""
    return f"{SERVICE_ROLE_PATH_PREFIX}{principal}/"


def trust_policy(principal: str) -> str:
    """The trust policy of a service-linked role: only the service may assume it."""
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": principal},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    return json.dumps(document)


def is_service_principal(name: str) -> bool:
    """A well-formed service principal: lowercase DNS labels, at least two of them."""
    return len(name) <= 128 and _PRINCIPAL.fullmatch(name) is not None


def is_aws_principal(name: str) -> bool:
    """Names under ``amazonaws.com`` are AWS's; only the catalog defines them."""
    return name.endswith(AWS_SERVICE_SUFFIX)


def parse_catalog(data: Mapping[str, Any]) -> Catalog:
    """The catalog file's content (``store/data/service_catalog.json``) as a Catalog.

    Raises ValueError for an entry that names a policy the file does not define, or a
    principal twice.
    """
    policies = tuple(
        ServiceRolePolicy(
            name=p["name"],
            path=p["path"],
            description=p["description"],
            document=p["document"],
            create_date=p["create_date"],
            update_date=p["update_date"],
        )
        for p in data.get("policies", ())
    )
    by_name = {p.name: p for p in policies}
    services: dict[str, Service] = {}
    for entry in data.get("services", ()):
        principal = entry["principal"]
        if principal in services:
            raise ValueError(f"service {principal!r} is in the catalog twice")
        linked = entry.get("linked_role")
        role = None
        if linked is not None:
            policy = by_name.get(linked["policy"])
            if policy is None:
                raise ValueError(f"{principal}: no policy named {linked['policy']!r}")
            role = LinkedRole(
                role_name=linked["role_name"],
                custom_suffix=bool(linked.get("custom_suffix", False)),
                description=linked.get("description"),
                policy_arn=policy.arn,
            )
        services[principal] = Service(principal, entry["name"], role)
    return Catalog(services, policies)


def merged(catalog: Catalog, registered: Iterable[Service]) -> dict[str, Service]:
    """Catalog services overlaid by registered ones (a registered service with a catalog
    name keeps the catalog's linked role: AWS defines those)."""
    result = dict(catalog.services)
    for service in registered:
        known = result.get(service.principal)
        result[service.principal] = (
            Service(service.principal, known.title, known.linked_role, True)
            if known is not None
            else service
        )
    return result
