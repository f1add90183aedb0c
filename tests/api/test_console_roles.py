"""The console's roles pages in a real browser: the list and its search, the guided create
form, a role's page (permissions, trust picture, tags, edits, delete), revoking active
sessions, a read-only person, and service-linked roles. Each change made through a page is
checked afterwards with boto3, and each refusal shows AWS's code and message."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from iamd.cli.idp import saml as idp_lib

from .browser import allow, make_user, screenshot, sign_in
from .conftest import Credentials, IamdServer, MakeClient
from .service_support import set_resources
from .sts_support import creds, policy, trust

ADMIN = allow("iam:*", "sts:*")
READER = allow("iam:Get*", "iam:List*")


def admin(page: Any, iam: Any, account: Credentials, name: str = "admin") -> None:
    """Sign ``name`` in with full IAM rights."""
    make_user(iam, name, ADMIN)
    sign_in(page, str(account.account_id), name)
    page.wait_for_url("**/console")


def keys(iam: Any, name: str, account: Credentials) -> Credentials:
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Credentials(key["AccessKeyId"], key["SecretAccessKey"], account_id=account.account_id)


def refusal(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as refused:
        call()
    return refused.value.response["Error"]["Code"], refused.value.response["Error"]["Message"]


def shown_text(markup: str) -> str:
    """What a browser would show of ``markup``: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def row_names(page: Any) -> list[str]:
    return page.locator("#roles tbody th[scope=row]").all_inner_texts()


# --- the list -------------------------------------------------------------------------------


def test_the_list_shows_every_role_and_searches_name_path_and_arn(
    page: Any, iam: Any, account: Credentials, make_client: MakeClient
) -> None:
    root = trust(f"arn:aws:iam::{account.account_id}:root")
    iam.create_role(RoleName="web-app", AssumeRolePolicyDocument=root)
    iam.create_role(RoleName="WebCache", Path="/teams/cache/", AssumeRolePolicyDocument=root)
    iam.create_role(
        RoleName="batch-job",
        AssumeRolePolicyDocument=policy(
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ),
    )
    admin(page, iam, account)
    used = keys(iam, "admin", account)
    make_client("sts", used).assume_role(
        RoleArn=f"arn:aws:iam::{account.account_id}:role/web-app", RoleSessionName="first"
    )

    page.goto("/console/roles")
    assert row_names(page) == ["batch-job", "web-app", "WebCache"]
    assert page.locator("#role-count").inner_text() == "3 roles."
    batch = page.locator("#roles tbody tr", has_text="batch-job")
    assert "Service ecs-tasks.amazonaws.com" in batch.inner_text()
    web = page.locator("#roles tbody tr", has_text="web-app")
    assert f"Account {account.account_id} (this account)" in web.inner_text()
    # AssumeRole noted the use; ListRoles does not carry it, the list still shows it
    this_year = str(dt.datetime.now(dt.UTC).year)
    assert this_year in web.locator("td").nth(2).inner_text()
    assert batch.locator("td").nth(2).inner_text() == "—"
    screenshot(page, "roles-list")

    page.get_by_label("Search roles by name, path or ARN").fill("WEB")
    page.get_by_role("button", name="Search").click()
    assert row_names(page) == ["web-app", "WebCache"]
    assert page.locator("#role-count").inner_text() == "2 of 3 roles match “WEB”."
    page.goto("/console/roles?q=/teams/")
    assert row_names(page) == ["WebCache"]
    page.goto(f"/console/roles?q=:{account.account_id}:role/batch")
    assert row_names(page) == ["batch-job"]
    page.goto("/console/roles?q=nothing-like-this")
    assert row_names(page) == []
    page.goto("/console/roles?q=web-app")
    page.get_by_role("link", name="web-app").click()
    page.wait_for_url("**/console/roles/web-app")
    assert page.locator("h1").inner_text() == "Role web-app"
    assert page.locator("#role-last-used").inner_text().endswith(" UTC in us-east-1")


# --- creating -------------------------------------------------------------------------------


def test_create_a_role_trusting_another_account_with_external_id_and_mfa(
    page: Any, iam: Any, account: Credentials
) -> None:
    admin(page, iam, account)
    page.goto("/console/roles")
    page.get_by_role("link", name="Create role").click()
    page.wait_for_url("**/console/roles/create")
    page.get_by_role("radio", name="Another AWS account").check()
    page.get_by_label("Other account ID").fill("111122223333")
    page.get_by_label("Require external ID").check()
    page.locator("#external_id").fill("partner-7f3a")
    page.get_by_label("Require MFA").check()
    page.get_by_label("Role name").fill("partner-access")
    page.get_by_label("Path").fill("/partners/")
    page.get_by_label("Description").fill("Read access for the partner")
    page.get_by_label("Maximum session duration").select_option("4")
    page.locator("input[name=policy][value='arn:aws:iam::aws:policy/ReadOnlyAccess']").check()
    page.get_by_label("Tags").fill("team=blue\ncost-centre = 42")
    page.get_by_role("button", name="Preview trust policy").click()
    expected = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"sts:ExternalId": "partner-7f3a"},
                    "Bool": {"aws:MultiFactorAuthPresent": "true"},
                },
            }
        ],
    }
    assert json.loads(page.locator("#trust-preview").inner_text()) == expected
    assert "Account 111122223333" in page.locator("#trust-preview-picture svg").inner_html()
    assert iam.list_roles()["Roles"] == []  # a preview creates nothing
    screenshot(page, "role-create")

    page.get_by_role("button", name="Create role").click()
    page.wait_for_url("**/console/roles/partner-access?done=created")
    assert page.locator(".flash.ok").inner_text() == "Role created."
    role = iam.get_role(RoleName="partner-access")["Role"]
    assert role["AssumeRolePolicyDocument"] == expected
    assert role["Path"] == "/partners/"
    assert role["Description"] == "Read access for the partner"
    assert role["MaxSessionDuration"] == 4 * 3600
    assert iam.list_role_tags(RoleName="partner-access")["Tags"] == [
        {"Key": "team", "Value": "blue"},
        {"Key": "cost-centre", "Value": "42"},
    ]
    attached = iam.list_attached_role_policies(RoleName="partner-access")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]


def test_the_create_form_builds_service_oidc_and_saml_trust(
    page: Any, iam: Any, account: Credentials
) -> None:
    oidc = iam.create_open_id_connect_provider(
        Url="https://token.example.com/ci", ClientIDList=["ci-client"]
    )["OpenIDConnectProviderArn"]
    admin(page, iam, account)

    page.goto("/console/roles/create")
    page.get_by_role("radio", name="AWS service").check()
    page.get_by_label("Or another service principal").fill("scheduler.amazonaws.com")
    page.get_by_label("Role name").fill("scheduled")
    page.get_by_role("button", name="Create role").click()
    page.wait_for_url("**/console/roles/scheduled?done=created")
    document = iam.get_role(RoleName="scheduled")["Role"]["AssumeRolePolicyDocument"]
    assert document["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "scheduler.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]

    page.goto("/console/roles/create")
    page.get_by_role("radio", name="Web identity (OIDC)").check()
    page.get_by_label("Identity provider").select_option(oidc)
    page.get_by_label("Audience").fill("ci-client")
    page.get_by_label("Role name").fill("ci-deploy")
    page.get_by_role("button", name="Create role").click()
    page.wait_for_url("**/console/roles/ci-deploy?done=created")
    document = iam.get_role(RoleName="ci-deploy")["Role"]["AssumeRolePolicyDocument"]
    assert document["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Federated": oidc},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {"token.example.com/ci:aud": "ci-client"}},
        }
    ]
    assert "OIDC provider token.example.com/ci" in page.locator("#trust-picture").inner_html()

    saml = iam.create_saml_provider(
        Name="corp", SAMLMetadataDocument=idp_lib.metadata(idp_lib.generate("https://idp.test"))
    )["SAMLProviderArn"]
    page.goto("/console/roles/create")
    page.get_by_role("radio", name="SAML 2.0 federation").check()
    page.get_by_label("SAML provider").select_option(saml)
    page.get_by_label("Role name").fill("staff")
    page.get_by_role("button", name="Create role").click()
    page.wait_for_url("**/console/roles/staff?done=created")
    document = iam.get_role(RoleName="staff")["Role"]["AssumeRolePolicyDocument"]
    assert document["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Federated": saml},
            "Action": "sts:AssumeRoleWithSAML",
            "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
        }
    ]

    # MFA does not apply to a service: the form says so and creates nothing
    page.goto("/console/roles/create")
    page.get_by_role("radio", name="AWS service").check()
    page.get_by_label("Require MFA").check()
    page.get_by_label("Role name").fill("never")
    page.get_by_role("button", name="Create role").click()
    assert "apply to AWS account principals only" in page.locator("#error").inner_text()
    assert "never" not in [r["RoleName"] for r in iam.list_roles()["Roles"]]


def test_the_create_form_shows_the_apis_refusals_and_keeps_the_choices(
    page: Any, iam: Any, account: Credentials
) -> None:
    iam.create_role(
        RoleName="taken", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{account.account_id}:root")
    )
    admin(page, iam, account)
    page.goto("/console/roles/create")
    page.get_by_role("radio", name="Another AWS account").check()
    page.get_by_label("Other account ID").fill("111122223333")
    page.get_by_label("Role name").fill("taken")
    page.get_by_role("button", name="Create role").click()
    code, message = refusal(
        lambda: iam.create_role(
            RoleName="taken", AssumeRolePolicyDocument=trust("arn:aws:iam::111122223333:root")
        )
    )
    assert page.locator("#error").inner_text() == f"{code}: {message}"
    assert page.get_by_label("Other account ID").input_value() == "111122223333"

    page.get_by_label("Role name").fill("fresh")
    page.get_by_label("Path").fill("no-slashes")
    page.get_by_role("button", name="Create role").click()
    code, message = refusal(
        lambda: iam.create_role(
            RoleName="fresh",
            Path="no-slashes",
            AssumeRolePolicyDocument=trust("arn:aws:iam::111122223333:root"),
        )
    )
    assert code == "ValidationError"
    assert page.locator("#error").inner_text() == f"{code}: {message}"
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["taken"]


def test_a_policy_that_cannot_be_attached_is_named_after_the_role_is_created(
    page: Any, iam: Any, account: Credentials
) -> None:
    make_user(iam, "maker", allow("iam:CreateRole", "iam:Get*", "iam:List*"))
    sign_in(page, str(account.account_id), "maker")
    page.wait_for_url("**/console")
    page.goto("/console/roles/create")
    page.get_by_label("Role name").fill("half")
    page.locator("input[name=policy][value='arn:aws:iam::aws:policy/ReadOnlyAccess']").check()
    page.get_by_role("button", name="Create role").click()
    assert page.locator("h1").inner_text() == "Role half created"
    failure = page.locator("#error li").inner_text()
    assert failure.startswith("arn:aws:iam::aws:policy/ReadOnlyAccess: AccessDenied: User: ")
    assert "iam:AttachRolePolicy" in failure
    assert iam.get_role(RoleName="half")["Role"]["RoleName"] == "half"
    assert iam.list_attached_role_policies(RoleName="half")["AttachedPolicies"] == []
    page.get_by_role("link", name="Go to the role half").click()
    page.wait_for_url("**/console/roles/half")


# --- a role's page --------------------------------------------------------------------------


def test_a_roles_page_shows_its_permissions_trust_picture_and_tags(
    page: Any, iam: Any, account: Credentials
) -> None:
    me = account.account_id
    iam.create_user(UserName="ann")
    boundary = iam.create_policy(PolicyName="edge", PolicyDocument=allow("s3:*"))["Policy"]["Arn"]
    reader = iam.create_policy(PolicyName="reader", PolicyDocument=allow("s3:Get*"))["Policy"]
    trust_policy = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{me}:user/ann"},
            "Action": "sts:AssumeRole",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        },
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        },
    )
    iam.create_role(
        RoleName="app",
        AssumeRolePolicyDocument=trust_policy,
        Description="The app's role",
        MaxSessionDuration=7200,
        PermissionsBoundary=boundary,
        Tags=[{"Key": "env", "Value": "prod"}],
    )
    iam.put_role_policy(RoleName="app", PolicyName="queue", PolicyDocument=allow("sqs:Send*"))
    iam.attach_role_policy(RoleName="app", PolicyArn=reader["Arn"])
    admin(page, iam, account)

    page.goto("/console/roles/app")
    assert page.locator("#role-arn").inner_text() == f"arn:aws:iam::{me}:role/app"
    assert page.locator("#role-description").inner_text() == "The app's role"
    assert page.locator("#role-duration").inner_text() == "2 hours"
    assert page.locator("#role-last-used").inner_text() == "—"
    inline = page.locator("#inline-policies tbody tr")
    assert inline.locator("th").all_inner_texts() == ["queue"]
    inline.get_by_text("Show document").click()
    assert json.loads(inline.locator("pre").inner_text())["Statement"][0]["Action"] == ["sqs:Send*"]
    managed = page.locator("#managed-policies tbody tr")
    assert managed.locator("th").all_inner_texts() == ["reader"]
    assert page.locator("#boundary").inner_text() == boundary
    assert page.locator("#role-tags tbody tr").all_inner_texts() == ["env\tprod\tRemove"]

    picture = page.locator("#trust-picture svg[role=img]")
    assert "Who may assume the role app" in str(picture.locator("title").first.text_content())
    texts = picture.locator("text").all_text_contents()
    assert "User ann" in texts and "Service lambda.amazonaws.com" in texts
    assert "if Bool aws:MultiFactorAuthPresent = true" in texts
    assert json.loads(page.locator("#trust-json").inner_text()) == json.loads(trust_policy)
    screenshot(page, "role-detail")


def test_the_roles_page_shows_who_can_assume_it_and_through_chains(
    page: Any, iam: Any, account: Credentials, make_client: MakeClient
) -> None:
    me = account.account_id
    iam.create_user(UserName="dev")
    iam.create_role(RoleName="hop", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{me}:user/dev"))
    iam.create_role(RoleName="vault", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{me}:role/hop"))
    iam.put_role_policy(RoleName="hop", PolicyName="p", PolicyDocument=allow("sts:AssumeRole"))
    admin(page, iam, account)
    page.goto("/console/roles/vault")
    section = page.locator("#assumers")
    picture = section.locator("#assumers-picture svg[role=img]")
    drawn = " ".join(picture.locator("text").all_text_contents())
    assert "hop" in drawn and "dev" in drawn
    words = section.locator("#assumers-list li").all_inner_texts()
    assert words[0].startswith("hop can assume vault")
    assert any(line.startswith("dev can assume hop") for line in words)
    # the analysis is right: dev reaches vault through hop
    dev = make_client("sts", keys(iam, "dev", account))
    hop = creds(dev.assume_role(RoleArn=f"arn:aws:iam::{me}:role/hop", RoleSessionName="first"), me)
    make_client("sts", hop).assume_role(
        RoleArn=f"arn:aws:iam::{me}:role/vault", RoleSessionName="second"
    )

    # someone who may not read the account's details sees why, and the rest of the page
    make_user(iam, "peek", allow("iam:GetRole", "iam:List*"))
    code, message = refusal(
        lambda: make_client("iam", keys(iam, "peek", account)).get_account_authorization_details()
    )
    page.context.clear_cookies()
    sign_in(page, str(me), "peek")
    page.wait_for_url("**/console")
    page.goto("/console/roles/vault")
    assert code == "AccessDenied"
    assert page.locator("#assumers .error").inner_text() == message
    assert page.locator("#role-arn").inner_text() == f"arn:aws:iam::{me}:role/vault"


def test_the_roles_page_changes_it_through_the_api(
    page: Any, iam: Any, account: Credentials
) -> None:
    me = account.account_id
    iam.create_role(RoleName="svc", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{me}:root"))
    admin(page, iam, account)
    page.goto("/console/roles/svc")

    page.get_by_label("Tag key").fill("owner")
    page.get_by_label("Tag value").fill("platform")
    page.get_by_role("button", name="Add tag").click()
    page.wait_for_url("**/console/roles/svc?done=tagged")
    assert iam.list_role_tags(RoleName="svc")["Tags"] == [{"Key": "owner", "Value": "platform"}]
    page.get_by_role("button", name="Remove tag owner").click()
    page.wait_for_url("**/console/roles/svc?done=untagged")
    assert iam.list_role_tags(RoleName="svc")["Tags"] == []

    page.get_by_text("Edit description and maximum session duration").click()
    page.get_by_label("Description", exact=True).fill("Runs the service")
    page.get_by_label("Maximum session duration").select_option("12")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url("**/console/roles/svc?done=updated")
    role = iam.get_role(RoleName="svc")["Role"]
    assert (role["Description"], role["MaxSessionDuration"]) == ("Runs the service", 43200)

    # a bad trust policy: AWS's refusal on the page, the text kept, nothing changed
    page.get_by_text("Edit trust policy").click()
    page.get_by_label("Trust policy (JSON)").fill('{"Version": "2012-10-17", "Statement": [')
    page.get_by_role("button", name="Update trust policy").click()
    code, message = refusal(
        lambda: iam.update_assume_role_policy(
            RoleName="svc", PolicyDocument='{"Version": "2012-10-17", "Statement": ['
        )
    )
    assert page.locator("#error").inner_text() == f"{code}: {message}"
    assert page.get_by_label("Trust policy (JSON)").input_value().endswith('"Statement": [')
    new_trust = trust("arn:aws:iam::111122223333:root")
    page.get_by_label("Trust policy (JSON)").fill(new_trust)
    page.get_by_role("button", name="Update trust policy").click()
    page.wait_for_url("**/console/roles/svc?done=trust")
    assert iam.get_role(RoleName="svc")["Role"]["AssumeRolePolicyDocument"] == json.loads(new_trust)
    assert "Account 111122223333" in page.locator("#trust-picture").inner_html()

    page.get_by_label("Attach a managed policy").select_option(
        "arn:aws:iam::aws:policy/ReadOnlyAccess"
    )
    page.get_by_role("button", name="Attach policy").click()
    page.wait_for_url("**/console/roles/svc?done=attached")
    page.get_by_label("Set the permissions boundary").select_option(
        "arn:aws:iam::aws:policy/PowerUserAccess"
    )
    page.get_by_role("button", name="Set boundary").click()
    page.wait_for_url("**/console/roles/svc?done=boundary")
    assert page.locator("#boundary").inner_text() == "arn:aws:iam::aws:policy/PowerUserAccess"
    assert iam.get_role(RoleName="svc")["Role"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": "arn:aws:iam::aws:policy/PowerUserAccess",
    }
    page.get_by_role("button", name="Remove boundary").click()
    page.wait_for_url("**/console/roles/svc?done=boundary-deleted")
    assert "PermissionsBoundary" not in iam.get_role(RoleName="svc")["Role"]
    page.get_by_text("Add or replace an inline policy").click()
    page.get_by_label("Policy name").fill("logs")
    page.get_by_label("Policy document (JSON)").fill(allow("logs:PutLogEvents"))
    page.get_by_role("button", name="Save inline policy").click()
    page.wait_for_url("**/console/roles/svc?done=inline")
    assert iam.list_role_policies(RoleName="svc")["PolicyNames"] == ["logs"]

    # policies remain: DeleteRole's DeleteConflict, in AWS's words, and the role stays
    page.get_by_label("Type the role name to confirm").fill("svc")
    page.get_by_role("button", name="Delete role").click()
    assert page.locator("#error").inner_text() == (
        "DeleteConflict: Cannot delete entity, must delete policies first."
    )
    assert iam.get_role(RoleName="svc")["Role"]["RoleName"] == "svc"
    page.get_by_role("button", name="Delete inline policy logs").click()
    page.wait_for_url("**/console/roles/svc?done=inline-deleted")
    page.get_by_role("button", name="Detach ReadOnlyAccess").click()
    page.wait_for_url("**/console/roles/svc?done=detached")
    page.get_by_label("Type the role name to confirm").fill("not-it")
    page.get_by_role("button", name="Delete role").click()
    assert "Type the role name svc to confirm" in page.locator("#error").inner_text()
    page.get_by_label("Type the role name to confirm").fill("svc")
    page.get_by_role("button", name="Delete role").click()
    page.wait_for_url("**/console/roles?deleted=svc")
    assert page.locator(".flash.ok").inner_text() == "Role svc deleted."
    assert refusal(lambda: iam.get_role(RoleName="svc"))[0] == "NoSuchEntity"


def test_a_role_named_create_has_its_own_page(page: Any, iam: Any, account: Credentials) -> None:
    me = account.account_id
    iam.create_role(RoleName="create", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{me}:root"))
    admin(page, iam, account)
    page.goto("/console/roles")
    page.get_by_role("link", name="create", exact=True).click()
    assert page.locator("h1").inner_text() == "Role create"
    page.get_by_label("Tag key").fill("k")
    page.get_by_role("button", name="Add tag").click()
    page.wait_for_url("**/console/roles/create/?done=tagged")
    assert iam.list_role_tags(RoleName="create")["Tags"] == [{"Key": "k", "Value": ""}]


# --- revoking sessions ----------------------------------------------------------------------


def test_revoking_active_sessions_denies_older_sessions_only(
    page: Any, iam: Any, account: Credentials, make_client: MakeClient
) -> None:
    me = account.account_id
    arn = f"arn:aws:iam::{me}:role/worker"
    iam.create_role(RoleName="worker", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{me}:root"))
    iam.put_role_policy(RoleName="worker", PolicyName="p", PolicyDocument=allow("iam:ListRoles"))
    admin(page, iam, account)
    sts = make_client("sts", keys(iam, "admin", account))
    older = creds(sts.assume_role(RoleArn=arn, RoleSessionName="older"), me)
    make_client("iam", older).list_roles()

    page.goto("/console/roles/worker")
    page.get_by_label("I acknowledge that every active session").check()
    page.get_by_role("button", name="Revoke active sessions").click()
    page.wait_for_url("**/console/roles/worker?done=revoked")
    assert "Active sessions revoked" in page.locator(".flash.ok").inner_text()
    assert "AWSRevokeOlderSessions" in page.locator("#inline-policies").inner_text()

    code, message = refusal(lambda: make_client("iam", older).list_roles())
    assert code == "AccessDenied"
    assert message.endswith("with an explicit deny in an identity-based policy")
    document = iam.get_role_policy(RoleName="worker", PolicyName="AWSRevokeOlderSessions")
    statement = document["PolicyDocument"]["Statement"][0]
    cutoff = dt.datetime.fromisoformat(
        statement["Condition"]["DateLessThan"]["aws:TokenIssueTime"].replace("Z", "+00:00")
    )
    assert (statement["Effect"], statement["Action"]) == ("Deny", ["*"])
    while dt.datetime.now(dt.UTC) < cutoff:  # sessions issued from the cut-off on work
        time.sleep(0.1)
    newer = creds(sts.assume_role(RoleArn=arn, RoleSessionName="newer"), me)
    assert make_client("iam", newer).list_roles()["Roles"]


def test_revoking_needs_the_acknowledgement(
    page: Any, iam: Any, account: Credentials, iamd_server: IamdServer
) -> None:
    me = account.account_id
    iam.create_role(RoleName="w", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{me}:root"))
    admin(page, iam, account)
    page.goto("/console/roles/w")
    csrf = page.locator("#sessions input[name=csrf]").input_value()
    answer = page.request.post(
        "/console/roles/w/revoke", form={"csrf": csrf}, headers={"Origin": iamd_server.endpoint}
    )
    assert answer.status == 400
    assert "Tick the acknowledgement" in answer.text()
    assert iam.list_role_policies(RoleName="w")["PolicyNames"] == []


# --- a read-only person ---------------------------------------------------------------------


def test_a_read_only_user_sees_the_pages_but_cannot_change_anything(
    page: Any, iam: Any, account: Credentials, make_client: MakeClient
) -> None:
    me = account.account_id
    iam.create_role(
        RoleName="seen",
        AssumeRolePolicyDocument=trust(f"arn:aws:iam::{me}:root"),
        Tags=[{"Key": "env", "Value": "dev"}],
    )
    make_user(iam, "reader", READER)
    reader = make_client("iam", keys(iam, "reader", account))
    sign_in(page, str(me), "reader")
    page.wait_for_url("**/console")

    page.goto("/console/roles")
    assert row_names(page) == ["seen"]
    page.goto("/console/roles/seen")
    assert page.locator("#role-tags tbody th").all_inner_texts() == ["env"]

    page.goto("/console/roles/create")
    page.get_by_label("Role name").fill("sneaky")
    page.get_by_role("button", name="Create role").click()
    code, message = refusal(
        lambda: reader.create_role(
            RoleName="sneaky", Path="/", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{me}:root")
        )
    )
    assert code == "AccessDenied"
    assert page.locator("#error").inner_text() == f"AccessDenied: {message}"
    assert "user/reader is not authorized to perform: iam:CreateRole" in message
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["seen"]

    page.goto("/console/roles/seen")
    page.get_by_label("Tag key").fill("owner")
    page.get_by_role("button", name="Add tag").click()
    code, message = refusal(
        lambda: reader.tag_role(RoleName="seen", Tags=[{"Key": "owner", "Value": ""}])
    )
    assert page.locator("#error").inner_text() == f"{code}: {message}"
    assert iam.list_role_tags(RoleName="seen")["Tags"] == [{"Key": "env", "Value": "dev"}]
    page.get_by_label("I acknowledge that every active session").check()
    page.get_by_role("button", name="Revoke active sessions").click()
    assert page.locator("#error").inner_text().startswith("AccessDenied: ")
    assert "iam:PutRolePolicy" in page.locator("#error").inner_text()
    assert iam.list_role_policies(RoleName="seen")["PolicyNames"] == []

    iam.create_service_linked_role(AWSServiceName=ECS)
    page.goto("/console/service-linked-roles")
    page.get_by_label(f"Delete {ECS_ROLE}: the service can no longer use it").check()
    page.get_by_role("button", name=f"Delete {ECS_ROLE}").click()
    code, message = refusal(lambda: reader.delete_service_linked_role(RoleName=ECS_ROLE))
    assert page.locator("#error").inner_text() == f"{code}: {message}"
    assert iam.get_role(RoleName=ECS_ROLE)["Role"]["RoleName"] == ECS_ROLE


# --- service-linked roles -------------------------------------------------------------------

ECS = "ecs.amazonaws.com"
ECS_ROLE = "AWSServiceRoleForECS"


def test_service_linked_roles_are_shown_read_only_and_deleted_with_a_status(
    page: Any, iam: Any, account: Credentials, iamd_server: IamdServer
) -> None:
    iam.create_service_linked_role(AWSServiceName=ECS)
    iam.create_role(
        RoleName="plain", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{account.account_id}:root")
    )
    admin(page, iam, account)
    page.goto("/console/service-linked-roles")
    card = page.locator("section.slr")
    assert card.locator("h2").all_inner_texts() == [ECS_ROLE]
    assert ECS in card.inner_text()
    assert "AmazonECSServiceRolePolicy" in card.inner_text()
    screenshot(page, "service-linked-roles")

    # its role page has no edit control, and the API refuses an edit anyway
    page.goto(f"/console/roles/{ECS_ROLE}")
    assert "service-linked role" in page.locator("#service-linked").inner_text()
    assert page.locator("main form").count() == 0
    assert page.locator("main textarea").count() == 0
    csrf = page.locator("header input[name=csrf]").first.input_value()
    answer = page.request.post(
        f"/console/roles/{ECS_ROLE}/trust",
        form={"csrf": csrf, "trust_policy": trust(f"arn:aws:iam::{account.account_id}:root")},
    )
    assert answer.status == 400
    assert (
        "UnmodifiableEntity: Cannot perform the operation on the protected role "
        f"'{ECS_ROLE}' - this role is only modifiable by AWS"
    ) in shown_text(answer.text())
    assert iam.get_role(RoleName=ECS_ROLE)["Role"]["AssumeRolePolicyDocument"]["Statement"][0][
        "Principal"
    ] == {"Service": ECS}

    # in use: the task fails and says by what
    cluster = f"arn:aws:ecs:us-east-1:{account.account_id}:cluster/prod"
    set_resources(iamd_server, ECS, account, ECS_ROLE, [cluster])
    page.goto("/console/service-linked-roles")
    page.get_by_label(f"Delete {ECS_ROLE}: the service can no longer use it").check()
    page.get_by_role("button", name=f"Delete {ECS_ROLE}").click()
    page.wait_for_url("**/console/service-linked-roles?task=*")
    assert page.locator("#deletion-status").inner_text() == "FAILED"
    assert cluster in page.locator("#deletion-usage").inner_text()
    screenshot(page, "service-linked-role-deletion-failed")
    assert iam.get_role(RoleName=ECS_ROLE)["Role"]["RoleName"] == ECS_ROLE

    set_resources(iamd_server, ECS, account, ECS_ROLE, [])
    page.get_by_label(f"Delete {ECS_ROLE}: the service can no longer use it").check()
    page.get_by_role("button", name=f"Delete {ECS_ROLE}").click()
    page.wait_for_url("**/console/service-linked-roles?task=*")
    assert page.locator("#deletion-status").inner_text() == "SUCCEEDED"
    assert page.locator("#no-slr").is_visible()
    assert refusal(lambda: iam.get_role(RoleName=ECS_ROLE))[0] == "NoSuchEntity"
    task = page.url.split("task=", 1)[1]
    assert "task%2Faws-service-role%2Fecs.amazonaws.com" in task
    code, message = refusal(
        lambda: iam.get_service_linked_role_deletion_status(DeletionTaskId="task/nonsense")
    )
    page.goto("/console/service-linked-roles?task=task/nonsense")
    assert page.locator("#error").inner_text() == f"{code}: {message}"
