"""The service catalog: AWS's documented service-linked roles, and documents that parse."""

from __future__ import annotations

import json

import pytest

from iamd import policy
from iamd.model.services import (
    is_aws_principal,
    is_service_principal,
    linked_role_path,
    parse_catalog,
    trust_policy,
)
from iamd.store.services import catalog, catalog_policy_entries

# Service principal -> its documented service-linked role name.
DOCUMENTED = {
    "autoscaling.amazonaws.com": "AWSServiceRoleForAutoScaling",
    "elasticloadbalancing.amazonaws.com": "AWSServiceRoleForElasticLoadBalancing",
    "rds.amazonaws.com": "AWSServiceRoleForRDS",
    "ecs.amazonaws.com": "AWSServiceRoleForECS",
    "eks.amazonaws.com": "AWSServiceRoleForAmazonEKS",
    "elasticbeanstalk.amazonaws.com": "AWSServiceRoleForElasticBeanstalk",
    "organizations.amazonaws.com": "AWSServiceRoleForOrganizations",
    "support.amazonaws.com": "AWSServiceRoleForSupport",
    "trustedadvisor.amazonaws.com": "AWSServiceRoleForTrustedAdvisor",
    "access-analyzer.amazonaws.com": "AWSServiceRoleForAccessAnalyzer",
    "es.amazonaws.com": "AWSServiceRoleForAmazonElasticsearchService",
    "spot.amazonaws.com": "AWSServiceRoleForEC2Spot",
    "ops.apigateway.amazonaws.com": "AWSServiceRoleForAPIGateway",
}
POLICIES = {
    "autoscaling.amazonaws.com": "AutoScalingServiceRolePolicy",
    "ecs.amazonaws.com": "AmazonECSServiceRolePolicy",
    "organizations.amazonaws.com": "AWSOrganizationsServiceTrustPolicy",
    "access-analyzer.amazonaws.com": "AccessAnalyzerServiceRolePolicy",
}


def test_at_least_thirty_aws_services_define_documented_linked_roles() -> None:
    linked = [s for s in catalog().linked() if is_aws_principal(s.principal)]
    assert len(linked) >= 30
    for service in linked:
        assert service.linked_role is not None
        assert service.linked_role.role_name.startswith("AWSServiceRoleFor")
        assert service.role_path == f"/aws-service-role/{service.principal}/"
    names = {s.principal: s.linked_role.role_name for s in linked if s.linked_role}
    for principal, role_name in DOCUMENTED.items():
        assert names[principal] == role_name


def test_linked_roles_name_their_aws_managed_policies() -> None:
    arns = {p.arn for p in catalog().policies}
    for service in catalog().linked():
        role = service.linked_role
        assert role is not None and role.policy_arn in arns
        assert role.policy_arn.startswith("arn:aws:iam::aws:policy/aws-service-role/")
    for principal, name in POLICIES.items():
        role = catalog().services[principal].linked_role
        assert role is not None
        assert role.policy_arn == f"arn:aws:iam::aws:policy/aws-service-role/{name}"


def test_only_auto_scaling_connect_and_lex_v2_allow_a_custom_suffix() -> None:
    allowed = {
        s.principal for s in catalog().linked() if s.linked_role and s.linked_role.custom_suffix
    }
    assert allowed == {"autoscaling.amazonaws.com", "connect.amazonaws.com", "lexv2.amazonaws.com"}


@pytest.mark.parametrize("service", catalog().linked(), ids=lambda s: s.principal)
def test_trust_and_permission_policies_parse_with_the_engine(service: object) -> None:
    from iamd.model.services import Service

    assert isinstance(service, Service)
    parsed = policy.parse_policy(trust_policy(service.principal), policy.PolicyKind.TRUST)
    (statement,) = parsed.statements
    assert statement.principal is not None
    assert statement.principal.values("Service") == (service.principal,)
    by_arn = {p.arn: p for p in catalog().policies}
    role = service.linked_role
    assert role is not None and role.policy_arn is not None
    document = json.dumps(by_arn[role.policy_arn].document)
    compiled = policy.compile_policy(
        policy.parse_policy(document, policy.PolicyKind.IDENTITY), role.policy_arn
    )
    assert compiled.policy_id == role.policy_arn


def test_trust_policy_allows_only_its_service() -> None:
    text = trust_policy("ecs.amazonaws.com")
    compiled = policy.compile_policy(policy.parse_policy(text, policy.PolicyKind.TRUST), "trust")
    role_arn = "arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/X"

    def decide(principal: policy.Principal) -> policy.Decision:
        request = policy.Request(principal, "sts:AssumeRole", role_arn, {}, "123456789012")
        policies = policy.PolicySet(resource=compiled, resource_must_allow=True)
        return policy.evaluate(request, policies).decision

    assert decide(policy.service("ecs.amazonaws.com")) is policy.Decision.ALLOW
    assert decide(policy.service("eks.amazonaws.com")) is policy.Decision.IMPLICIT_DENY


def test_catalog_policies_are_seeded_in_the_aws_managed_policy_form() -> None:
    entries = catalog_policy_entries()
    assert len(entries) == len(catalog().policies) >= 30
    for entry in entries:
        assert entry["path"] == "/aws-service-role/"
        assert set(entry) == {
            "name",
            "path",
            "description",
            "document",
            "create_date",
            "update_date",
        }


def test_plain_service_principals_have_no_linked_role() -> None:
    ec2 = catalog().get("ec2.amazonaws.com")
    assert ec2 is not None and ec2.linked_role is None
    assert catalog().get("EC2.amazonaws.com") is None  # principals are case-sensitive


def test_parse_catalog_rejects_duplicates_and_missing_policies() -> None:
    entry = {"principal": "a.example", "name": "A"}
    with pytest.raises(ValueError, match="twice"):
        parse_catalog({"services": [entry, entry]})
    linked = {**entry, "linked_role": {"role_name": "R", "policy": "Nope"}}
    with pytest.raises(ValueError, match="Nope"):
        parse_catalog({"services": [linked]})


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("jobs.example.internal", True),
        ("ecs.amazonaws.com", True),
        ("a.b", True),
        ("jobs", False),
        ("Jobs.example", False),
        ("-jobs.example", False),
        ("jobs..example", False),
        ("jobs.example/", False),
        ("x" * 130 + ".example", False),
    ],
)
def test_service_principal_names(name: str, ok: bool) -> None:
    assert is_service_principal(name) is ok


def test_linked_role_name_with_suffix() -> None:
    role = catalog().services["autoscaling.amazonaws.com"].linked_role
    assert role is not None
    assert role.name_with(None) == "AWSServiceRoleForAutoScaling"
    assert role.name_with("blue") == "AWSServiceRoleForAutoScaling_blue"
    assert linked_role_path("jobs.example.internal") == "/aws-service-role/jobs.example.internal/"
