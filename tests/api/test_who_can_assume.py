"""The console's "who can assume this role" analysis, checked against what STS does.

An account with users (inline, group and managed policies, a boundary, a deny, an MFA
device), roles with varied trust policies (the account, a user, a role chain, a
service, an OIDC provider, ExternalId and MFA conditions, another account), fetched with
GetAccountAuthorizationDetails through boto3's paginator; then, for every role, every
user and every role session of the account tries sts:AssumeRole, and each outcome must
be what the graph says: an unconditional edge gets credentials, a missing edge is
refused, a conditional edge is refused until its condition is supplied.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from iamd.cli.idp.oidc import IdpServer
from iamd.console.assumers import (
    TRUST,
    TRUST_AND_IDENTITY,
    AssumeGraph,
    Edge,
    all_pages,
    merge_pages,
    who_can_assume,
)
from iamd.console.assumers_svg import render
from iamd.iam.mfa import totp

from .conftest import Credentials, IamdServer
from .sts_support import allow, creds, policy, user
from .test_web_identity import _unsigned_sts

EXTERNAL_ID = "s3cret"
CLIENT_ID = "console-app"
MFA = "aws:MultiFactorAuthPresent"
USERS = ("alice", "bob", "carol", "dave", "erin", "frank", "gina")
ROLES = ("app", "hop", "named", "partner", "guarded", "svc")


@pytest.fixture(scope="module")
def idp() -> Iterator[IdpServer]:
    server = IdpServer("127.0.0.1", 0).start()
    yield server
    server.stop()


@dataclass
class World:
    account: str
    other: str
    users: dict[str, Credentials]
    mfa: tuple[str, bytes]  # frank's device: serial, seed
    outsiders: dict[str, Credentials]  # users of the other account
    provider: str

    def arn(self, kind: str, name: str) -> str:
        return _arn(self.account, kind, name)


def _arn(account: str, kind: str, name: str) -> str:
    return f"arn:aws:iam::{account}:{kind}/{name}"


def _managed(iam: Any, name: str, *statements: dict[str, Any]) -> str:
    arn: str = iam.create_policy(PolicyName=name, PolicyDocument=policy(*statements))["Policy"][
        "Arn"
    ]
    return arn


def _role(iam: Any, name: str, *statements: dict[str, Any]) -> None:
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=policy(*statements))


def _trusts(principal: dict[str, Any], action: str = "sts:AssumeRole", **extra: Any) -> Any:
    return {"Effect": "Allow", "Principal": principal, "Action": action, **extra}


def _build(server: IamdServer, iam: Any, account: Credentials, idp: IdpServer) -> World:
    acct = account.account_id
    assert acct is not None

    def arn(kind: str, name: str) -> str:
        return _arn(acct, kind, name)

    root = f"arn:aws:iam::{acct}:root"
    assume_all = _managed(iam, "assume-all", allow("sts:AssumeRole"))
    s3_only = _managed(iam, "s3-only", allow("s3:*"))
    users = {
        "alice": user(iam, "alice", allow("sts:AssumeRole"), account=acct),
        "bob": user(iam, "bob", account=acct),
        "carol": user(iam, "carol", account=acct),
        "dave": user(
            iam,
            "dave",
            {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": arn("role", "app")},
            account=acct,
        ),
        "erin": user(iam, "erin", account=acct),
        "frank": user(iam, "frank", allow("sts:AssumeRole", arn("role", "guarded")), account=acct),
        "gina": user(iam, "gina", allow("sts:AssumeRole", arn("role", "hop")), account=acct),
    }
    iam.create_group(GroupName="ops")
    iam.put_group_policy(
        GroupName="ops",
        PolicyName="assume-apps",
        PolicyDocument=policy(allow("sts:AssumeRole", arn("role", "app*"))),
    )
    iam.add_user_to_group(GroupName="ops", UserName="bob")
    for name in ("carol", "dave"):
        iam.attach_user_policy(UserName=name, PolicyArn=assume_all)
    iam.put_user_permissions_boundary(UserName="carol", PermissionsBoundary=s3_only)

    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="frank-phone")["VirtualMFADevice"]
    seed = base64.b32decode(device["Base32StringSeed"])
    now = int(dt.datetime.now(dt.UTC).timestamp()) // 30
    iam.enable_mfa_device(
        UserName="frank",
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1=totp(seed, now - 2),
        AuthenticationCode2=totp(seed, now - 1),
    )

    other = server.create_account()
    assert other.account_id is not None
    other_iam = server.client("iam", other)
    outsiders = {
        "outsider": user(other_iam, "outsider", allow("sts:AssumeRole"), account=other.account_id),
        "no-policy": user(other_iam, "no-policy", account=other.account_id),
    }

    provider: str = iam.create_open_id_connect_provider(Url=idp.issuer, ClientIDList=[CLIENT_ID])[
        "OpenIDConnectProviderArn"
    ]
    host = idp.issuer.split("://", 1)[1]

    _role(iam, "app", _trusts({"AWS": root}))
    _role(iam, "hop", _trusts({"AWS": arn("user", "gina")}))
    iam.put_role_policy(
        RoleName="hop",
        PolicyName="onward",
        PolicyDocument=policy(
            allow("sts:AssumeRole", [arn("role", "app"), arn("role", "partner")])
        ),
    )
    _role(iam, "named", _trusts({"AWS": [arn("user", "erin"), arn("role", "hop")]}))
    _role(
        iam,
        "partner",
        _trusts({"AWS": root}, Condition={"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}),
        _trusts({"AWS": other.account_id}),
    )
    _role(iam, "guarded", _trusts({"AWS": acct}, Condition={"Bool": {MFA: "true"}}))
    _role(
        iam,
        "svc",
        _trusts({"Service": "ec2.amazonaws.com"}),
        _trusts(
            {"Federated": provider},
            "sts:AssumeRoleWithWebIdentity",
            Condition={"StringEquals": {f"{host}:aud": CLIENT_ID}},
        ),
    )
    return World(acct, other.account_id, users, (device["SerialNumber"], seed), outsiders, provider)


def _details(iam: Any) -> dict[str, Any]:
    pages = list(
        iam.get_paginator("get_account_authorization_details").paginate(
            PaginationConfig={"PageSize": 4}
        )
    )
    assert len(pages) > 3  # really paginated
    return merge_pages(pages)


def _assume(server: IamdServer, caller: Credentials, role_arn: str, **extra: Any) -> Any:
    """The credentials sts:AssumeRole gives ``caller``, or the error code it answers."""
    try:
        response = server.client("sts", caller).assume_role(
            RoleArn=role_arn, RoleSessionName="check", **extra
        )
    except ClientError as error:
        return error.response["Error"]["Code"]
    return creds(response)


def _supply(world: World, name: str, edge: Edge) -> dict[str, Any] | None:
    """The request parameters that meet ``edge``'s conditions, when this caller has them."""
    extra: dict[str, Any] = {}
    for key in edge.conditions:
        if key == "sts:ExternalId":
            extra["ExternalId"] = EXTERNAL_ID
        elif key == MFA and name == "frank":
            serial, seed = world.mfa
            code = totp(seed, int(dt.datetime.now(dt.UTC).timestamp()) // 30)
            extra.update(SerialNumber=serial, TokenCode=code)
        else:
            return None
    return extra


def _summary(graph: AssumeGraph, role_arn: str) -> set[tuple[str, str, tuple[str, ...]]]:
    found = set()
    for edge in graph.assumers(role_arn):
        node = graph.node(edge.source)
        assert node is not None
        found.add((node.label, edge.via, edge.conditions))
    return found


def test_the_graph_says_what_sts_does(
    iamd_server: IamdServer, iam: Any, account: Credentials, idp: IdpServer
) -> None:
    world = _build(iamd_server, iam, account, idp)
    details = _details(iam)
    # The console's way to the same details: Marker after Marker through one callable.
    fetched = all_pages(lambda params: iam.get_account_authorization_details(**params), 3)
    assert fetched == details
    graphs = {
        name: who_can_assume(details, world.account, world.arn("role", name)) for name in ROLES
    }
    host = idp.issuer.split("://", 1)[1]
    T, TI = TRUST, TRUST_AND_IDENTITY
    xid, mfa = ("sts:ExternalId",), (MFA,)
    assert {name: _summary(graphs[name], world.arn("role", name)) for name in ROLES} == {
        "app": {("alice", TI, ()), ("bob", TI, ()), ("hop", TI, ())},
        "hop": {("gina", T, ())},
        "named": {("erin", T, ()), ("hop", T, ())},
        "partner": {
            ("alice", TI, xid),
            ("dave", TI, xid),
            ("hop", TI, xid),
            (f"account {world.other}", TI, ()),
        },
        "guarded": {("alice", TI, mfa), ("dave", TI, mfa), ("frank", TI, mfa)},
        "svc": {("ec2.amazonaws.com", T, ()), (host, T, (f"{host}:aud",))},
    }
    app = graphs["app"]
    assert {(n.label, n.depth) for n in app.nodes} == {
        ("app", 0),
        ("alice", 1),
        ("bob", 1),
        ("hop", 1),
        ("gina", 2),
    }
    assert [e.chained for e in app.edges if e.source == world.arn("role", "hop")] == [True]

    # Every user, and every role session we can get, against every role.
    sessions = {
        "hop": _assume(iamd_server, world.users["gina"], world.arn("role", "hop")),
        "named": _assume(iamd_server, world.users["erin"], world.arn("role", "named")),
        "app": _assume(iamd_server, world.users["alice"], world.arn("role", "app")),
        "partner": _assume(
            iamd_server, world.users["alice"], world.arn("role", "partner"), ExternalId=EXTERNAL_ID
        ),
    }
    callers = {**world.users, **sessions}
    checked = 0
    for role_name in ROLES:
        role_arn = world.arn("role", role_name)
        edges = {e.source: e for e in graphs[role_name].assumers(role_arn)}
        for name, caller in callers.items():
            assert isinstance(caller, Credentials), (name, caller)
            kind = "user" if name in world.users else "role"
            edge = edges.get(world.arn(kind, name))
            got = _assume(iamd_server, caller, role_arn)
            if edge is None or edge.conditional:
                assert got == "AccessDenied", (name, role_name)
            else:
                assert isinstance(got, Credentials), (name, role_name, got)
            if edge is not None and edge.conditional:
                supplied = _supply(world, name, edge)
                if supplied is not None:
                    met = _assume(iamd_server, caller, role_arn, **supplied)
                    assert isinstance(met, Credentials), (name, role_name, met)
            checked += 1
    assert checked == len(ROLES) * len(callers)

    # The other account's principals: "if its own policies allow".
    partner = world.arn("role", "partner")
    assert isinstance(_assume(iamd_server, world.outsiders["outsider"], partner), Credentials)
    assert _assume(iamd_server, world.outsiders["no-policy"], partner) == "AccessDenied"

    # The OIDC provider's edge: a token for the client id the condition names works.
    token = idp.idp.token("someone", CLIENT_ID)
    got = _unsigned_sts(iamd_server).assume_role_with_web_identity(
        RoleArn=world.arn("role", "svc"), RoleSessionName="web", WebIdentityToken=token
    )
    assert got["Credentials"]["AccessKeyId"].startswith("ASIA")

    # And the picture of it all.
    svg = render(app)
    assert svg.startswith("<svg") and "Who can assume app" in svg
