"""AssumeRoleWithWebIdentity with real tokens: signed by the development IdP (``iamd idp
oidc``'s ``IdpServer``, in this process) with real keys, its JWKS fetched by the server
over loopback HTTP. Each refusal is AWS's error code and status, and changes nothing."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import boto3
import jwt
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.asymmetric import rsa

from iamd.cli.idp.oidc import IdpServer

from .conftest import REGION, Credentials, IamdServer
from .sts_support import allow, code_of, creds, message_of, policy

CLIENT_ID = "my-client"
WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"


@pytest.fixture(scope="module")
def idp() -> Iterator[IdpServer]:
    server = IdpServer("127.0.0.1", 0).start()
    yield server
    server.stop()


@pytest.fixture
def provider_arn(iam: Any, idp: IdpServer) -> str:
    arn: str = iam.create_open_id_connect_provider(Url=idp.issuer, ClientIDList=[CLIENT_ID])[
        "OpenIDConnectProviderArn"
    ]
    return arn


def _host(idp: IdpServer) -> str:
    return idp.issuer.split("://", 1)[1]


def _unsigned_sts(server: IamdServer) -> Any:
    """STS with no credentials at all: botocore sends the request unsigned."""
    return boto3.session.Session(region_name=REGION).client(
        "sts",
        endpoint_url=server.endpoint,
        config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1}),
    )


def _trust(provider: str, *, actions: Any = WEB_IDENTITY, **condition: Any) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Federated": provider},
        "Action": actions,
    }
    if condition:
        statement["Condition"] = condition
    return policy(statement)


def _role(iam: Any, name: str, trust: str, *statements: dict[str, Any]) -> str:
    arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    if statements:
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=policy(*statements))
    return arn


def _assume(server: IamdServer, role_arn: str, token: str, **extra: Any) -> dict[str, Any]:
    got: dict[str, Any] = _unsigned_sts(server).assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName="web", WebIdentityToken=token, **extra
    )
    return got


def _refused(server: IamdServer, role_arn: str, token: str) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as refused:
        _assume(server, role_arn, token)
    status = int(refused.value.response["ResponseMetadata"]["HTTPStatusCode"])
    return code_of(refused), status, message_of(refused)


def _never_used(iam: Any, name: str) -> None:
    assert iam.get_role(RoleName=name)["Role"].get("RoleLastUsed", {}) == {}


def test_a_valid_token_assumes_the_role(
    iamd_server: IamdServer, iam: Any, account: Credentials, idp: IdpServer, provider_arn: str
) -> None:
    role_arn = _role(iam, "web", _trust(provider_arn), allow("iam:ListRoles"))
    got = _assume(iamd_server, role_arn, idp.idp.token("alice-1", CLIENT_ID))
    role_id = iam.get_role(RoleName="web")["Role"]["RoleId"]
    assert got["SubjectFromWebIdentityToken"] == "alice-1"
    assert got["Provider"] == provider_arn
    assert got["Audience"] == CLIENT_ID
    assert got["AssumedRoleUser"] == {
        "Arn": f"arn:aws:sts::{account.account_id}:assumed-role/web/web",
        "AssumedRoleId": f"{role_id}:web",
    }
    assert got["Credentials"]["AccessKeyId"].startswith("ASIA")
    assert "PackedPolicySize" not in got and "SourceIdentity" not in got
    session = creds(got)
    me = iamd_server.client("sts", session).get_caller_identity()
    assert me["Arn"] == f"arn:aws:sts::{account.account_id}:assumed-role/web/web"
    roles = iamd_server.client("iam", session).list_roles()["Roles"]
    assert [r["RoleName"] for r in roles] == ["web"]
    assert "LastUsedDate" in iam.get_role(RoleName="web")["Role"]["RoleLastUsed"]


def test_the_aws_cli_assumes_the_role(
    iamd_server: IamdServer, iam: Any, aws: Any, idp: IdpServer, provider_arn: str
) -> None:
    role_arn = _role(iam, "cli", _trust(provider_arn))
    token = idp.idp.token("bob-42", CLIENT_ID)
    done = aws(
        "sts",
        "assume-role-with-web-identity",
        "--role-arn",
        role_arn,
        "--role-session-name",
        "from-cli",
        "--web-identity-token",
        token,
        "--duration-seconds",
        "900",
    )
    assert done.returncode == 0, done.stderr
    out = done.json()
    assert out["SubjectFromWebIdentityToken"] == "bob-42"
    assert out["AssumedRoleUser"]["Arn"].endswith(":assumed-role/cli/from-cli")
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")


def _other_key_token(idp: IdpServer, **claims: Any) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    payload = {"iss": idp.issuer, "sub": "mallory", "aud": CLIENT_ID, "iat": now}
    payload |= {"exp": now + 600, **claims}
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": idp.idp.kid})


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("case", "code", "status"),
    [
        ("other key", "InvalidIdentityToken", 400),
        ("wrong audience", "InvalidIdentityToken", 400),
        ("expired", "ExpiredTokenException", 400),
        ("not yet valid", "InvalidIdentityToken", 400),
        ("issued in the future", "InvalidIdentityToken", 400),
        ("unknown issuer", "InvalidIdentityToken", 400),
        ("alg none", "InvalidIdentityToken", 400),
        ("alg HS256", "InvalidIdentityToken", 400),
        ("unknown kid", "InvalidIdentityToken", 400),
        ("not a JWT", "InvalidIdentityToken", 400),
        ("sub rejected", "AccessDenied", 403),
        ("tags without TagSession", "AccessDenied", 403),
        ("source identity without SetSourceIdentity", "AccessDenied", 403),
    ],
)
def test_bad_tokens_are_refused_and_change_nothing(
    iamd_server: IamdServer,
    iam: Any,
    idp: IdpServer,
    provider_arn: str,
    case: str,
    code: str,
    status: int,
) -> None:
    host = _host(idp)
    condition = {"StringEquals": {f"{host}:sub": ["alice", "mallory"], f"{host}:aud": CLIENT_ID}}
    role_arn = _role(iam, "guarded", _trust(provider_arn, **condition))
    mint = idp.idp.token
    now = int(time.time())
    tokens = {
        "other key": lambda: _other_key_token(idp),
        "wrong audience": lambda: mint("alice", "someone-else"),
        "expired": lambda: mint("alice", CLIENT_ID, expires_in=-600),
        "not yet valid": lambda: mint("alice", CLIENT_ID, not_before=600),
        "issued in the future": lambda: mint("alice", CLIENT_ID, issued_at=600),
        "unknown issuer": lambda: _other_key_token(idp, iss="https://elsewhere.example.com"),
        "alg none": lambda: jwt.encode(
            {"iss": idp.issuer, "sub": "alice", "aud": CLIENT_ID, "exp": now + 600},
            None,
            algorithm="none",
        ),
        "alg HS256": lambda: jwt.encode(
            {"iss": idp.issuer, "sub": "alice", "aud": CLIENT_ID, "exp": now + 600},
            "a-shared-secret-of-at-least-32-bytes!!",
            algorithm="HS256",
            headers={"kid": idp.idp.kid},
        ),
        "unknown kid": lambda: jwt.encode(
            {"iss": idp.issuer, "sub": "alice", "aud": CLIENT_ID, "exp": now + 600},
            rsa.generate_private_key(public_exponent=65537, key_size=2048),
            algorithm="RS256",
            headers={"kid": "no-such-key"},
        ),
        "not a JWT": lambda: "this-is-not-a-token",
        "sub rejected": lambda: mint("eve", CLIENT_ID),
        "tags without TagSession": lambda: mint("alice", CLIENT_ID, tags={"team": "red"}),
        "source identity without SetSourceIdentity": lambda: mint(
            "alice", CLIENT_ID, source_identity="alice-si"
        ),
    }
    got_code, got_status, message = _refused(iamd_server, role_arn, tokens[case]())
    assert (got_code, got_status) == (code, status), message
    if code == "AccessDenied":
        assert message.startswith("Not authorized to perform sts:")
    if case == "unknown issuer":
        assert message == (
            "No OpenIDConnect provider found in your account for https://elsewhere.example.com"
        )
    if case == "expired":
        assert message.startswith("Token expired: current date/time ")
    _never_used(iam, "guarded")


def test_a_valid_token_with_the_same_claims_passes_that_trust_policy(
    iamd_server: IamdServer, iam: Any, idp: IdpServer, provider_arn: str
) -> None:
    """The control for the refusals above: the same role takes alice's good token."""
    host = _host(idp)
    condition = {"StringEquals": {f"{host}:sub": ["alice", "mallory"], f"{host}:aud": CLIENT_ID}}
    role_arn = _role(iam, "guarded", _trust(provider_arn, **condition))
    assert _assume(iamd_server, role_arn, idp.idp.token("alice", CLIENT_ID))["Audience"] == (
        CLIENT_ID
    )


def test_a_provider_in_another_account_does_not_count(
    iamd_server: IamdServer, iam: Any, idp: IdpServer, provider_arn: str
) -> None:
    other = iamd_server.create_account()
    other_iam = iamd_server.client("iam", other)
    role_arn = _role(other_iam, "theirs", _trust(provider_arn))
    code, status, message = _refused(iamd_server, role_arn, idp.idp.token("alice", CLIENT_ID))
    assert (code, status) == ("InvalidIdentityToken", 400)
    assert message == f"No OpenIDConnect provider found in your account for {idp.issuer}"


def test_a_missing_role_is_denied_like_an_untrusted_one(
    iamd_server: IamdServer, account: Credentials, idp: IdpServer, provider_arn: str
) -> None:
    role_arn = f"arn:aws:iam::{account.account_id}:role/nobody"
    code, status, message = _refused(iamd_server, role_arn, idp.idp.token("alice", CLIENT_ID))
    assert (code, status, message) == (
        "AccessDenied",
        403,
        "Not authorized to perform sts:AssumeRoleWithWebIdentity",
    )


def test_an_unreachable_idp_is_an_idp_communication_error(
    iamd_server: IamdServer, iam: Any, idp: IdpServer
) -> None:
    issuer = f"http://127.0.0.1:{_closed_port()}"
    provider = iam.create_open_id_connect_provider(Url=issuer, ClientIDList=[CLIENT_ID])
    role_arn = _role(iam, "far", _trust(provider["OpenIDConnectProviderArn"]))
    token = _other_key_token(idp, iss=issuer)
    code, status, _ = _refused(iamd_server, role_arn, token)
    assert (code, status) == ("IDPCommunicationError", 400)
    _never_used(iam, "far")


def test_keys_rotated_at_the_idp_are_fetched_again(
    iamd_server: IamdServer, iam: Any, provider_arn: str
) -> None:
    rotating = IdpServer("127.0.0.1", 0).start()
    try:
        arn = iam.create_open_id_connect_provider(Url=rotating.issuer, ClientIDList=[CLIENT_ID])
        role_arn = _role(iam, "rot", _trust(arn["OpenIDConnectProviderArn"]))
        assert _assume(iamd_server, role_arn, rotating.idp.token("a", CLIENT_ID))
        rotating.idp.rotate()
        time.sleep(1.1)  # iamd refetches a JWKS at most once a second per issuer
        got = _assume(iamd_server, role_arn, rotating.idp.token("b", CLIENT_ID))
        assert got["SubjectFromWebIdentityToken"] == "b"
    finally:
        rotating.stop()


def test_session_tags_and_source_identity_come_from_the_token(
    iamd_server: IamdServer, iam: Any, idp: IdpServer, provider_arn: str
) -> None:
    actions = [WEB_IDENTITY, "sts:TagSession", "sts:SetSourceIdentity"]
    role_arn = _role(
        iam,
        "tagged",
        _trust(provider_arn, actions=actions),
        allow("iam:ListRoles", Condition={"StringEquals": {"aws:PrincipalTag/team": "red"}}),
        allow("iam:GetRole", Condition={"StringEquals": {"aws:SourceIdentity": "alice-si"}}),
    )
    token = idp.idp.token(
        "alice",
        CLIENT_ID,
        tags={"team": "red", "cost": "42"},
        transitive_tag_keys=["team"],
        source_identity="alice-si",
    )
    got = _assume(iamd_server, role_arn, token)
    assert got["SourceIdentity"] == "alice-si"
    assert 0 < got["PackedPolicySize"] <= 100
    session = creds(got)
    session_iam = iamd_server.client("iam", session)
    assert session_iam.list_roles()["Roles"]
    assert session_iam.get_role(RoleName="tagged")["Role"]["RoleName"] == "tagged"
    # The transitive tag follows the session into a chained AssumeRole.
    chained_arn = _role(
        iam,
        "next",
        policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": role_arn},
                "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
                "Condition": {"StringEquals": {"aws:PrincipalTag/team": "red"}},
            }
        ),
    )
    chained = iamd_server.client("sts", session).assume_role(
        RoleArn=chained_arn, RoleSessionName="hop"
    )
    assert chained["AssumedRoleUser"]["Arn"].endswith(":assumed-role/next/hop")


def test_the_session_keeps_the_federated_provider_and_the_idp_keys(
    iamd_server: IamdServer, iam: Any, idp: IdpServer, provider_arn: str
) -> None:
    host = _host(idp)
    role_arn = _role(
        iam,
        "ctx",
        _trust(provider_arn),
        allow(
            "iam:GetRole",
            Condition={"StringEquals": {"aws:FederatedProvider": provider_arn}},
        ),
        allow("iam:ListRoles", Condition={"StringEquals": {f"{host}:sub": "alice"}}),
        allow("iam:ListUsers", Condition={"StringEquals": {f"{host}:aud": CLIENT_ID}}),
    )
    alice = iamd_server.client(
        "iam", creds(_assume(iamd_server, role_arn, idp.idp.token("alice", CLIENT_ID)))
    )
    bob = iamd_server.client(
        "iam", creds(_assume(iamd_server, role_arn, idp.idp.token("bob", CLIENT_ID)))
    )
    for session in (alice, bob):
        assert session.get_role(RoleName="ctx")["Role"]["Arn"] == role_arn
        assert "Users" in session.list_users()
    assert alice.list_roles()["Roles"]
    with pytest.raises(ClientError) as denied:
        bob.list_roles()
    assert code_of(denied) == "AccessDenied"


def test_session_policies_and_durations_as_assume_role(
    iamd_server: IamdServer, iam: Any, idp: IdpServer, provider_arn: str
) -> None:
    role_arn = _role(iam, "scoped", _trust(provider_arn), allow(["iam:ListRoles", "iam:ListUsers"]))
    token = idp.idp.token("alice", CLIENT_ID)
    got = _assume(
        iamd_server,
        role_arn,
        token,
        Policy=policy(allow("iam:ListUsers")),
        DurationSeconds=900,
    )
    assert 0 < got["PackedPolicySize"] <= 100
    session = iamd_server.client("iam", creds(got))
    assert "Users" in session.list_users()
    with pytest.raises(ClientError) as denied:
        session.list_roles()
    assert code_of(denied) == "AccessDenied"
    with pytest.raises(ClientError) as too_long:
        _assume(iamd_server, role_arn, token, DurationSeconds=7200)
    assert code_of(too_long) == "ValidationError"
    assert "MaxSessionDuration" in message_of(too_long)


def test_azp_chooses_the_audience_and_amr_is_multivalued(
    iamd_server: IamdServer, iam: Any, idp: IdpServer, provider_arn: str
) -> None:
    host = _host(idp)
    condition = {
        "StringEquals": {f"{host}:aud": CLIENT_ID, f"{host}:oaud": "api.example.com"},
        "ForAnyValue:StringEquals": {f"{host}:amr": "mfa"},
    }
    role_arn = _role(iam, "azp", _trust(provider_arn, **condition))
    token = idp.idp.token(
        "alice", "api.example.com", claims={"azp": CLIENT_ID, "amr": ["pwd", "mfa"]}
    )
    got = _assume(iamd_server, role_arn, token)
    assert got["Audience"] == CLIENT_ID
    no_mfa = idp.idp.token("alice", "api.example.com", claims={"azp": CLIENT_ID, "amr": ["pwd"]})
    code, status, _ = _refused(iamd_server, role_arn, no_mfa)
    assert (code, status) == ("AccessDenied", 403)
