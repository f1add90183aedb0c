"""IAM OIDC identity providers through boto3: URL, client-id and thumbprint rules, tags,
accounts kept apart, authorization like every IAM call."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import Credentials, IamdServer
from .sts_support import allow, code_of, message_of, user

URL = "https://token.example.com/org/ci"
THUMB_A = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
THUMB_B = "A031C46782E6E6C662C2C87C76DA9AA62CCABD8E"


def _status(error: Any) -> int:
    return int(error.value.response["ResponseMetadata"]["HTTPStatusCode"])


def test_create_get_list_and_delete(iam: Any, account: Credentials) -> None:
    created = iam.create_open_id_connect_provider(
        Url=URL,
        ClientIDList=["sts.amazonaws.com", "ci", "ci"],
        ThumbprintList=[THUMB_A],
        Tags=[{"Key": "team", "Value": "build"}],
    )
    arn = f"arn:aws:iam::{account.account_id}:oidc-provider/token.example.com/org/ci"
    assert created["OpenIDConnectProviderArn"] == arn
    assert created["Tags"] == [{"Key": "team", "Value": "build"}]
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == "token.example.com/org/ci"
    assert got["ClientIDList"] == ["sts.amazonaws.com", "ci"]
    assert got["ThumbprintList"] == [THUMB_A]
    assert got["Tags"] == [{"Key": "team", "Value": "build"}]
    assert "CreateDate" in got
    iam.create_open_id_connect_provider(Url="https://accounts.example.org")
    listed = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert sorted(p["Arn"] for p in listed) == sorted(
        [arn, f"arn:aws:iam::{account.account_id}:oidc-provider/accounts.example.org"]
    )
    bare = iam.get_open_id_connect_provider(
        OpenIDConnectProviderArn=f"arn:aws:iam::{account.account_id}:oidc-provider/accounts.example.org"
    )
    assert bare["ClientIDList"] == [] and bare["ThumbprintList"] == [] and "Tags" not in bare
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    with pytest.raises(ClientError) as gone:
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert (code_of(gone), _status(gone)) == ("NoSuchEntity", 404)
    assert message_of(gone) == f"OpenIDConnect Provider not found for arn {arn}"
    with pytest.raises(ClientError) as again:
        iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert code_of(again) == "NoSuchEntity"
    # Its tags went with it: a new provider with the same URL starts with none.
    iam.create_open_id_connect_provider(Url=URL)
    assert iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"] == []


def test_one_provider_per_url(iam: Any) -> None:
    iam.create_open_id_connect_provider(Url=URL, ClientIDList=["a"])
    with pytest.raises(ClientError) as taken:
        iam.create_open_id_connect_provider(Url=URL, ClientIDList=["b"])
    assert (code_of(taken), _status(taken)) == ("EntityAlreadyExists", 409)
    assert message_of(taken) == f"Provider with url {URL} already exists."


@pytest.mark.parametrize(
    "url",
    [
        "http://token.example.com",
        "token.example.com",
        "https://token.example.com?x=1",
        "https://token.example.com/#frag",
        "https://token.example.com:8443",
        "https://",
        "https://user@token.example.com",
        "ftp://token.example.com",
        "http://10.0.0.1:9400",
    ],
)
def test_invalid_urls(iam: Any, url: str) -> None:
    with pytest.raises(ClientError) as bad:
        iam.create_open_id_connect_provider(Url=url)
    assert (code_of(bad), _status(bad)) == ("ValidationError", 400)
    assert message_of(bad) == "Invalid Open ID Connect Provider URL"
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []


def test_plain_http_only_for_loopback_issuers(iam: Any, account: Credentials) -> None:
    arn = iam.create_open_id_connect_provider(Url="http://127.0.0.1:9400")[
        "OpenIDConnectProviderArn"
    ]
    assert arn == f"arn:aws:iam::{account.account_id}:oidc-provider/127.0.0.1:9400"
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == "127.0.0.1:9400"


def test_thumbprint_rules(iamd_server: IamdServer, iam: Any, account: Credentials) -> None:
    with pytest.raises(ClientError) as too_many:
        iam.create_open_id_connect_provider(Url=URL, ThumbprintList=[f"{i:040x}" for i in range(6)])
    assert (code_of(too_many), _status(too_many)) == ("InvalidInput", 400)
    assert message_of(too_many) == "Thumbprint list must contain fewer than 5 entries."
    with pytest.raises(ClientError) as not_hex:
        iam.create_open_id_connect_provider(Url=URL, ThumbprintList=["z" * 40])
    assert code_of(not_hex) == "ValidationError"
    unvalidated = iamd_server.client("iam", account, validate=False)
    with pytest.raises(ClientError) as short:
        unvalidated.create_open_id_connect_provider(Url=URL, ThumbprintList=["ab" * 10])
    assert code_of(short) == "ValidationError"
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []
    arn = iam.create_open_id_connect_provider(Url=URL, ThumbprintList=[THUMB_A])[
        "OpenIDConnectProviderArn"
    ]
    iam.update_open_id_connect_provider_thumbprint(
        OpenIDConnectProviderArn=arn, ThumbprintList=[THUMB_B, THUMB_A]
    )
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ThumbprintList"] == [THUMB_B, THUMB_A]
    with pytest.raises(ClientError) as bad_update:
        iam.update_open_id_connect_provider_thumbprint(
            OpenIDConnectProviderArn=arn, ThumbprintList=[f"{i:040x}" for i in range(6)]
        )
    assert code_of(bad_update) == "InvalidInput"
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ThumbprintList"] == [THUMB_B, THUMB_A]


def test_client_ids(iam: Any) -> None:
    with pytest.raises(ClientError) as too_many:
        iam.create_open_id_connect_provider(Url=URL, ClientIDList=[str(i) for i in range(101)])
    assert (code_of(too_many), _status(too_many)) == ("LimitExceeded", 409)
    assert message_of(too_many) == "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100"
    arn = iam.create_open_id_connect_provider(Url=URL, ClientIDList=["a"])[
        "OpenIDConnectProviderArn"
    ]
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="b")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="b")
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"] == [
        "a",
        "b",
    ]
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="a")
    iam.remove_client_id_from_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, ClientID="never-there"
    )
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"] == ["b"]
    for i in range(99):
        iam.add_client_id_to_open_id_connect_provider(
            OpenIDConnectProviderArn=arn, ClientID=f"c{i}"
        )
    with pytest.raises(ClientError) as full:
        iam.add_client_id_to_open_id_connect_provider(
            OpenIDConnectProviderArn=arn, ClientID="one-more"
        )
    assert code_of(full) == "LimitExceeded"


def test_tags(iam: Any) -> None:
    arn = iam.create_open_id_connect_provider(Url=URL)["OpenIDConnectProviderArn"]
    iam.tag_open_id_connect_provider(
        OpenIDConnectProviderArn=arn,
        Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}],
    )
    iam.tag_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, Tags=[{"Key": "A", "Value": "3"}]
    )
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["b"])
    tags = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)
    assert tags["Tags"] == [{"Key": "A", "Value": "3"}] and tags["IsTruncated"] is False
    with pytest.raises(ClientError) as reserved:
        iam.tag_open_id_connect_provider(
            OpenIDConnectProviderArn=arn, Tags=[{"Key": "aws:x", "Value": "1"}]
        )
    assert code_of(reserved) == "InvalidInput"


def test_accounts_are_kept_apart(iamd_server: IamdServer, iam: Any) -> None:
    arn = iam.create_open_id_connect_provider(Url=URL)["OpenIDConnectProviderArn"]
    other = iamd_server.client("iam", iamd_server.create_account())
    assert other.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []
    with pytest.raises(ClientError) as hidden:
        other.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert code_of(hidden) in ("NoSuchEntity", "AccessDenied")
    # The same URL is free in another account.
    other.create_open_id_connect_provider(Url=URL)


def test_calls_are_authorized_on_the_provider_arn(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    arn = iam.create_open_id_connect_provider(Url=URL)["OpenIDConnectProviderArn"]
    reader = user(
        iam,
        "reader",
        allow("iam:GetOpenIDConnectProvider", arn),
        allow("iam:ListOpenIDConnectProviders"),
        account=account.account_id,
    )
    client = iamd_server.client("iam", reader)
    assert client.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["Url"]
    assert len(client.list_open_id_connect_providers()["OpenIDConnectProviderList"]) == 1
    with pytest.raises(ClientError) as denied:
        client.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert (code_of(denied), _status(denied)) == ("AccessDenied", 403)
    assert f"iam:DeleteOpenIDConnectProvider on resource: {arn}" in message_of(denied)
    with pytest.raises(ClientError) as create_denied:
        client.create_open_id_connect_provider(Url="https://other.example.com")
    assert code_of(create_denied) == "AccessDenied"
