"""The Organizations-only and outbound-federation operations, answered as AWS answers an
account outside any organization, with outbound identity federation never enabled.

iamd's accounts belong to no organization, so the centralized root-access features
(ListOrganizationsFeatures and Enable/Disable of root credentials management and root
sessions) answer OrganizationNotFoundException. Outbound web identity federation (IAM
issuing JWTs for external services) is not offered, so reading or disabling it answers
FeatureDisabled; enabling it is not served (see the README).
"""

from __future__ import annotations

from iamd.errors import FeatureDisabled, OrganizationNotFound
from iamd.operations import OperationContext, Params, Result, no_resource, operation

ORGANIZATION_OPERATIONS = (
    "ListOrganizationsFeatures",
    "EnableOrganizationsRootCredentialsManagement",
    "DisableOrganizationsRootCredentialsManagement",
    "EnableOrganizationsRootSessions",
    "DisableOrganizationsRootSessions",
)


def _no_organization(ctx: OperationContext, params: Params) -> Result:
    raise OrganizationNotFound()


def _disabled(ctx: OperationContext, params: Params) -> Result:
    raise FeatureDisabled()


for _name in ORGANIZATION_OPERATIONS:
    operation("iam", _name, target=no_resource)(_no_organization)
for _name in ("GetOutboundWebIdentityFederationInfo", "DisableOutboundWebIdentityFederation"):
    operation("iam", _name, target=no_resource)(_disabled)
