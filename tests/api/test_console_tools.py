"""The console's identity providers, policy simulator and audit trail pages in a real
browser."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import expect

from iamd.cli.idp import saml as idp_lib

from .browser import allow, make_user, screenshot, sign_in
from .conftest import Credentials

THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"


def _signed_in(page: Any, iam: Any, account: Credentials, name: str, policy: str) -> None:
    make_user(iam, name, policy)
    sign_in(page, account.account_id, name)
    page.wait_for_url("**/console")


def test_identity_providers_are_listed_added_and_deleted(
    page: Any, iam: Any, account: Credentials
) -> None:
    iam.create_open_id_connect_provider(
        Url="https://token.example.test", ClientIDList=["sts.amazonaws.com"]
    )
    _signed_in(page, iam, account, "admin", allow("iam:*"))
    page.goto("/console/providers")
    assert page.locator("#oidc-providers tbody th").all_inner_texts() == ["token.example.test"]
    screenshot(page, "providers")

    page.get_by_label("Provider URL").fill("https://issuer.example.test/tenant")
    page.get_by_label("Audience").fill("my-app")
    page.get_by_label("Thumbprints").fill(THUMBPRINT)
    page.get_by_role("button", name="Add OpenID Connect provider").click()
    page.wait_for_url("**/console/providers/oidc?arn=**")
    arn = f"arn:aws:iam::{account.account_id}:oidc-provider/issuer.example.test/tenant"
    assert page.locator("#provider-arn").inner_text() == arn
    assert page.locator("#audiences").inner_text() == "my-app"
    assert page.locator("#thumbprints").inner_text() == THUMBPRINT
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ClientIDList"] == ["my-app"] and got["ThumbprintList"] == [THUMBPRINT]

    page.get_by_role("button", name="Delete provider").click()
    page.wait_for_url("**/console/providers?done=deleted")
    listed = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert [p["Arn"] for p in listed] == [
        f"arn:aws:iam::{account.account_id}:oidc-provider/token.example.test"
    ]

    idp = idp_lib.generate("https://idp.example.test/saml")
    page.get_by_label("Provider name").fill("Corp")
    page.get_by_label("Metadata document (XML)").fill(idp_lib.metadata(idp))
    page.get_by_role("button", name="Add SAML provider").click()
    page.wait_for_url("**/console/providers/saml?arn=**")
    assert page.locator("#entity-id").inner_text() == "https://idp.example.test/saml"
    assert "expires" in page.locator("#certificates").inner_text()
    screenshot(page, "provider-saml")
    saml_arn = f"arn:aws:iam::{account.account_id}:saml-provider/Corp"
    assert iam.get_saml_provider(SAMLProviderArn=saml_arn)["ValidUntil"]

    # AWS's own words for a document it cannot use, and nothing stored
    page.goto("/console/providers")
    page.get_by_label("Provider name").fill("Broken")
    page.get_by_label("Metadata document (XML)").fill("<not-metadata/>" + " " * 1000)
    page.get_by_role("button", name="Add SAML provider").click()
    assert page.locator("#saml-error").inner_text() == "InvalidInput: Could not parse metadata"
    names = [p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]]
    assert names == [saml_arn]


def test_the_simulator_shows_a_users_allowed_and_denied_actions(
    page: Any, iam: Any, account: Credentials
) -> None:
    make_user(iam, "target", allow("s3:GetObject"))
    _signed_in(page, iam, account, "admin", allow("iam:*"))
    page.goto("/console/simulator")
    page.get_by_label("Simulate").select_option(label="target")
    page.get_by_label("Actions").fill("s3:GetObject\ns3:PutObject")
    page.get_by_role("button", name="Run simulation").click()
    rows = page.locator("#results tbody tr")
    assert rows.nth(0).locator("th").inner_text() == "s3:GetObject"
    assert rows.nth(0).locator(".decision").inner_text() == "allowed"
    assert "p0" in rows.nth(0).inner_text()  # the user's inline policy matched
    assert rows.nth(1).locator(".decision").inner_text() == "implicitDeny"
    screenshot(page, "simulator")

    custom = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            }
        ],
    }
    page.get_by_label("Simulate").select_option(
        label="Only the policies pasted below (SimulateCustomPolicy)"
    )
    page.get_by_label("Actions").fill("s3:ListBucket")
    page.get_by_label("Policy documents").fill(json.dumps(custom, indent=2))
    page.get_by_label("Context keys").fill("aws:SourceIp (ip) = 10.1.2.3")
    page.get_by_role("button", name="Run simulation").click()
    expect(page.locator("#results tbody th")).to_have_text("s3:ListBucket")
    assert page.locator("#results .decision").inner_text() == "allowed"
    matched = page.locator("#results tbody td").nth(2).inner_text()
    assert matched == "PolicyInputList.1 (IAM Policy), line 4, column 6"

    page.get_by_label("Context keys").fill("")
    page.get_by_role("button", name="Run simulation").click()
    expect(page.locator("#results .decision")).to_have_text("implicitDeny")
    assert page.locator("#results tbody td").last.inner_text() == "aws:SourceIp"


def test_the_trail_shows_the_consoles_own_writes_with_the_person_as_caller(
    page: Any, iam: Any, account: Credentials
) -> None:
    policy = allow("iam:*", "cloudtrail:LookupEvents")
    _signed_in(page, iam, account, "auditor", policy)
    page.goto("/console/users/new")
    page.get_by_label("User name").fill("from-console")
    page.get_by_role("button", name="Create user").click()
    page.wait_for_url("**/console/users/from-console?created=1")

    page.goto("/console/trail")
    page.get_by_label("Lookup attribute").select_option("EventName")
    page.get_by_label("Value").fill("CreateUser")
    page.get_by_role("button", name="Look up events").click()
    page.wait_for_url("**value=CreateUser**")
    first = page.locator("#events tbody tr").first
    assert first.locator("th").inner_text() == "CreateUser"
    assert first.locator(".user").inner_text() == "auditor"
    assert first.locator(".mono").inner_text() == "127.0.0.1"
    page.locator("#events details summary").first.click()
    record = json.loads(page.locator("#events details pre").first.inner_text())
    assert record["userIdentity"]["arn"] == f"arn:aws:iam::{account.account_id}:user/auditor"
    assert record["requestParameters"]["userName"] == "from-console"
    screenshot(page, "trail")

    page.get_by_label("Lookup attribute").select_option("Username")
    page.get_by_label("Value").fill("nobody")
    page.get_by_role("button", name="Look up events").click()
    page.wait_for_url("**value=nobody**")
    assert page.locator("#events tbody").inner_text() == "No events."

    page.get_by_label("From").fill("2030-01-02T00:00:00")
    page.get_by_label("To").fill("2030-01-01T00:00:00")
    page.get_by_role("button", name="Look up events").click()
    assert page.locator("#error").inner_text() == (
        "InvalidTimeRangeException: Start time must be before end time."
    )


def test_the_trail_refuses_a_person_without_cloudtrail_lookup_events(
    page: Any, iam: Any, account: Credentials
) -> None:
    _signed_in(page, iam, account, "reader", allow("iam:Get*", "iam:List*"))
    page.goto("/console/trail")
    assert page.locator("#error").inner_text() == (
        f"AccessDeniedException: User: arn:aws:iam::{account.account_id}:user/reader is not "
        "authorized to perform: cloudtrail:LookupEvents on resource: * because no "
        "identity-based policy allows the cloudtrail:LookupEvents action"
    )
