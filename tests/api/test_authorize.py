"""POST /authorize: decisions about a service's clients, with their reasons.

The asking service is the test account's root (always allowed ``iamd:Authorize``) unless
a test is about the service's own permission; the clients are users and role sessions
that signed requests for the ``storage`` service.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest

from .authorize_support import ask, asker, policy, sign, user_with_policy
from .conftest import Credentials, IamdServer
from .sts_support import creds as session_creds
from .sts_support import role, trust

PHOTO = "arn:aws:storage:::photos/cat.jpg"
GET = "storage:GetObject"


def allow(
    action: str = GET, resource: str = "arn:aws:storage:::photos/*", **extra: Any
) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str = GET, resource: str = "*") -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource}


def test_a_user_allowed_by_its_policy(
    iamd_server: IamdServer, account: Credentials, iam: Any
) -> None:
    iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "blue"}])
    iam.put_user_policy(UserName="alice", PolicyName="read", PolicyDocument=policy(allow()))
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    alice = Credentials(key["AccessKeyId"], key["SecretAccessKey"])
    result = ask(
        iamd_server, account, sign(alice), action=GET, resource=PHOTO, owner=account.account_id
    )
    assert result.decision == "Allow" and result.allowed
    assert result.message is None and result.error is None
    assert result.caller == {
        "type": "User",
        "account": account.account_id,
        "arn": f"arn:aws:iam::{account.account_id}:user/alice",
        "userId": iam.get_user(UserName="alice")["User"]["UserId"],
        "accessKeyId": alice.access_key_id,
        "principalTags": {"team": "blue"},
    }
    (matched,) = result.reasons["matchedStatements"]
    assert matched["policyId"] == "user/alice/read"
    assert matched["policyType"] == "identity-based policy"
    assert matched["effect"] == "Allow" and matched["statementIndex"] == 0
    assert result.reasons["deniedBy"] is None


def test_an_implicit_deny_says_which_policy_type_did_not_allow(
    iamd_server: IamdServer, account: Credentials, iam: Any
) -> None:
    bob = user_with_policy(iam, "bob", account.account_id, allow("storage:ListBucket"))
    result = ask(
        iamd_server, account, sign(bob), action=GET, resource=PHOTO, owner=account.account_id
    )
    assert result.decision == "ImplicitDeny" and not result.allowed
    assert result.reasons == {
        "matchedStatements": [],
        "deniedBy": "identity-based policy",
        "missingContextKeys": [],
    }
    assert result.message == (
        f"User: arn:aws:iam::{account.account_id}:user/bob is not authorized to perform: "
        f"{GET} on resource: {PHOTO} because no identity-based policy allows the {GET} action"
    )


def test_an_explicit_deny_names_the_denying_statement(
    iamd_server: IamdServer, account: Credentials, iam: Any
) -> None:
    carol = user_with_policy(
        iam, "carol", account.account_id, allow(), deny(resource="arn:aws:storage:::*cat*")
    )
    result = ask(
        iamd_server, account, sign(carol), action=GET, resource=PHOTO, owner=account.account_id
    )
    assert result.decision == "ExplicitDeny"
    (matched,) = result.reasons["matchedStatements"]
    assert matched["effect"] == "Deny" and matched["statementIndex"] == 1
    assert result.message is not None
    assert result.message.endswith("with an explicit deny in an identity-based policy")


def test_condition_keys_from_the_service_and_missing_ones(
    iamd_server: IamdServer, account: Credentials, iam: Any
) -> None:
    conditioned = allow(Condition={"StringEquals": {"storage:Tier": "cold"}})
    dave = user_with_policy(iam, "dave", account.account_id, conditioned)
    request = sign(dave)
    owner = account.account_id
    missing = ask(iamd_server, account, request, action=GET, resource=PHOTO, owner=owner)
    assert missing.decision == "ImplicitDeny"
    assert missing.reasons["missingContextKeys"] == ["storage:tier"]
    tier = [{"key": "storage:Tier", "type": "string", "values": ["cold"]}]
    given = ask(
        iamd_server, account, request, action=GET, resource=PHOTO, owner=owner, context=tier
    )
    assert given.decision == "Allow"
    hot = [{"key": "storage:Tier", "type": "string", "values": ["hot"]}]
    other = ask(iamd_server, account, request, action=GET, resource=PHOTO, owner=owner, context=hot)
    assert other.decision == "ImplicitDeny" and other.reasons["missingContextKeys"] == []


def test_the_clients_source_ip_region_and_transport(
    iamd_server: IamdServer, account: Credentials, iam: Any
) -> None:
    conditions = {
        "IpAddress": {"aws:SourceIp": "203.0.113.0/24"},
        "StringEquals": {"aws:RequestedRegion": "eu-west-3"},
        "Bool": {"aws:SecureTransport": "true"},
    }
    erin = user_with_policy(iam, "erin", account.account_id, allow(Condition=conditions))
    request = sign(erin, region="eu-west-3")
    owner = account.account_id
    facts = {"sourceIp": "203.0.113.9", "secureTransport": True}
    allowed = ask(iamd_server, account, request, action=GET, resource=PHOTO, owner=owner, **facts)
    assert allowed.decision == "Allow"
    elsewhere = {"sourceIp": "198.51.100.1", "secureTransport": True}
    denied = ask(
        iamd_server, account, request, action=GET, resource=PHOTO, owner=owner, **elsewhere
    )
    assert denied.decision == "ImplicitDeny"
    unknown = ask(iamd_server, account, request, action=GET, resource=PHOTO, owner=owner)
    assert unknown.decision == "ImplicitDeny"
    assert "aws:sourceip" in unknown.reasons["missingContextKeys"]


def test_a_role_session_with_session_credentials_and_a_session_policy(
    iamd_server: IamdServer, account: Credentials, iam: Any
) -> None:
    owner = account.account_id
    user = user_with_policy(
        iam, "frank", owner, {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}
    )
    role_arn = role(
        iam,
        "reader",
        trust(f"arn:aws:iam::{owner}:user/frank"),
        allow("storage:*"),
        tags={"dept": "eng"},
    )
    sts = iamd_server.client("sts", user)
    session = session_creds(sts.assume_role(RoleArn=role_arn, RoleSessionName="s1"))
    result = ask(iamd_server, account, sign(session), action=GET, resource=PHOTO, owner=owner)
    assert result.decision == "Allow"
    assert result.caller is not None
    assert result.caller["type"] == "AssumedRole"
    assert result.caller["arn"] == f"arn:aws:sts::{owner}:assumed-role/reader/s1"
    assert result.caller["userId"].endswith(":s1")
    assert result.caller["principalTags"] == {"dept": "eng"}
    assert result.reasons["matchedStatements"][0]["policyId"] == "role/reader/p"

    narrowed = session_creds(
        sts.assume_role(
            RoleArn=role_arn, RoleSessionName="s2", Policy=policy(allow("storage:ListBucket"))
        )
    )
    denied = ask(iamd_server, account, sign(narrowed), action=GET, resource=PHOTO, owner=owner)
    assert denied.decision == "ImplicitDeny"
    assert denied.reasons["deniedBy"] == "session policy"


def test_cross_account_needs_the_resource_policy(
    iamd_server: IamdServer, account: Credentials, iam: Any
) -> None:
    owner = account.account_id
    other = iamd_server.create_account()
    other_iam = iamd_server.client("iam", other)
    grace = user_with_policy(other_iam, "grace", other.account_id, allow())
    grace_arn = f"arn:aws:iam::{other.account_id}:user/grace"
    request = sign(grace)

    alone = ask(iamd_server, account, request, action=GET, resource=PHOTO, owner=owner)
    assert alone.decision == "ImplicitDeny"
    assert alone.reasons["deniedBy"] == "resource-based policy"

    names_user = policy({**allow(), "Principal": {"AWS": grace_arn}})
    granted = ask(
        iamd_server,
        account,
        request,
        action=GET,
        resource=PHOTO,
        owner=owner,
        resourcePolicy=names_user,
    )
    assert granted.decision == "Allow"
    types = {m["policyType"] for m in granted.reasons["matchedStatements"]}
    assert types == {"identity-based policy", "resource-based policy"}

    # Naming the other account delegates to it: its identity policies must allow too.
    names_account = policy({**allow(), "Principal": {"AWS": other.account_id}})
    delegated = ask(
        iamd_server,
        account,
        request,
        action=GET,
        resource=PHOTO,
        owner=owner,
        resourcePolicy=names_account,
    )
    assert delegated.decision == "Allow"
    put = ask(
        iamd_server,
        account,
        request,
        action="storage:PutObject",
        resource=PHOTO,
        owner=owner,
        resourcePolicy=policy({**allow("storage:*"), "Principal": {"AWS": other.account_id}}),
    )
    assert put.decision == "ImplicitDeny"
    assert put.reasons["deniedBy"] == "identity-based policy"

    refused = policy({**deny(), "Principal": {"AWS": grace_arn}}, {**allow(), "Principal": "*"})
    denied = ask(
        iamd_server,
        account,
        request,
        action=GET,
        resource=PHOTO,
        owner=owner,
        resourcePolicy=refused,
    )
    assert denied.decision == "ExplicitDeny"
    assert denied.reasons["matchedStatements"][0]["policyType"] == "resource-based policy"


def test_same_account_resource_policy_naming_the_user_is_enough(
    iamd_server: IamdServer, account: Credentials, iam: Any
) -> None:
    owner = account.account_id
    henry = user_with_policy(iam, "henry", owner)
    grant = policy({**allow(), "Principal": {"AWS": f"arn:aws:iam::{owner}:user/henry"}})
    result = ask(
        iamd_server,
        account,
        sign(henry),
        action=GET,
        resource=PHOTO,
        owner=owner,
        resourcePolicy=grant,
    )
    assert result.decision == "Allow"


def test_an_unsigned_client_is_anonymous(iamd_server: IamdServer, account: Credentials) -> None:
    owner = account.account_id
    public = policy({**allow(), "Principal": "*"})
    request = sign(None)
    result = ask(
        iamd_server,
        account,
        request,
        action=GET,
        resource=PHOTO,
        owner=owner,
        resourcePolicy=public,
    )
    assert result.decision == "Allow"
    assert result.caller is not None and result.caller["type"] == "Anonymous"
    assert result.caller["arn"] == "anonymous" and result.caller["account"] is None
    private = ask(iamd_server, account, request, action=GET, resource=PHOTO, owner=owner)
    assert private.decision == "ImplicitDeny"
    assert private.message is not None and private.message.startswith("User: anonymous is not")


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("tampered-path", "SignatureDoesNotMatch"),
        ("tampered-header", "SignatureDoesNotMatch"),
        ("other-body", "SignatureDoesNotMatch"),
        ("wrong-secret", "SignatureDoesNotMatch"),
        ("unknown-key", "InvalidClientTokenId"),
        ("expired", "SignatureDoesNotMatch"),
        ("bad-region", "SignatureDoesNotMatch"),
        ("no-signature-part", "IncompleteSignature"),
    ],
)
def test_a_bad_client_signature_is_an_error_about_the_client(
    iamd_server: IamdServer, account: Credentials, iam: Any, case: str, code: str
) -> None:
    owner = account.account_id
    ivan = user_with_policy(iam, "ivan", owner, allow())
    request = sign(ivan, "PUT", body=b"meow")
    fields: dict[str, Any] = {}
    if case == "tampered-path":
        request.path = "/photos/dog.jpg"
    elif case == "tampered-header":
        request.headers = [
            [k, "evil.example" if k.lower() == "host" else v] for k, v in request.headers
        ]
    elif case == "other-body":
        fields["payloadHash"] = "0" * 64
    elif case == "wrong-secret":
        request = sign(Credentials(ivan.access_key_id, "not-the-secret"), "PUT", body=b"meow")
    elif case == "unknown-key":
        request = sign(Credentials("AKIAUNKNOWNKEY000000", "x"), "PUT", body=b"meow")
    elif case == "expired":
        past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        request = sign(ivan, "PUT", body=b"meow", at=past)
    elif case == "bad-region":
        request = sign(ivan, "PUT", body=b"meow", region="nowhere")
    elif case == "no-signature-part":
        request.headers = [
            [k, v.split(", Signature=")[0] if k.lower() == "authorization" else v]
            for k, v in request.headers
        ]
    result = ask(
        iamd_server,
        account,
        request,
        action="storage:PutObject",
        resource=PHOTO,
        owner=owner,
        **fields,
    )
    assert result.decision == "ImplicitDeny" and not result.allowed
    assert result.caller is None
    assert result.error is not None and result.error.code == code
    assert result.error.http_status in (400, 403)
    if case == "expired":
        assert result.error.message.startswith("Signature expired")
    if case == "bad-region":
        assert "valid region" in result.error.message


def test_the_body_itself_may_be_sent_instead_of_its_hash(
    iamd_server: IamdServer, account: Credentials, iam: Any
) -> None:
    owner = account.account_id
    judy = user_with_policy(iam, "judy", owner, allow("storage:PutObject"))
    request = sign(judy, "PUT", body=b"meow", headers={"Content-Type": "image/jpeg"})
    question = request.question("storage:PutObject", PHOTO, owner)
    del question["payloadHash"]
    question["body"] = base64.b64encode(b"meow").decode()
    with asker(iamd_server, account) as service:
        assert service.ask(question).decision == "Allow"
        question["body"] = base64.b64encode(b"woof").decode()
        changed = service.ask(question)
    assert changed.error is not None and changed.error.code == "SignatureDoesNotMatch"


def test_session_credentials_that_expired_are_expired_token(
    iamd_server: IamdServer, account: Credentials, iam: Any
) -> None:
    owner = account.account_id
    kim = user_with_policy(iam, "kim", owner, allow())
    session = session_creds(iamd_server.client("sts", kim).get_session_token())
    broken = Credentials(session.access_key_id, session.secret_access_key, "garbage-token")
    result = ask(iamd_server, account, sign(broken), action=GET, resource=PHOTO, owner=owner)
    assert result.error is not None and result.error.code == "InvalidClientTokenId"
    good = ask(iamd_server, account, sign(session), action=GET, resource=PHOTO, owner=owner)
    assert good.decision == "Allow"
    assert good.caller is not None and good.caller["arn"].endswith(":user/kim")


def test_json_answers_the_documented_shape(
    iamd_server: IamdServer, account: Credentials, iam: Any
) -> None:
    owner = account.account_id
    liz = user_with_policy(iam, "liz", owner, allow())
    result = ask(iamd_server, account, sign(liz), action=GET, resource=PHOTO, owner=owner)
    assert set(result.raw) == {"decision", "caller", "action", "resource", "reasons", "requestId"}
    assert json.dumps(result.raw)  # plain JSON all the way down
