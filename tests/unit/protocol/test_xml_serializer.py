"""Response XML details the round trips don't pin down."""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET
from typing import Any

import botocore.parsers
import pytest

from iamd.protocol import load_service, serialize_result
from iamd.protocol.xml_serializer import escape_text

NS = "{https://iam.amazonaws.com/doc/2010-05-08/}"


def _parse(service: str, action: str, body: bytes) -> dict[str, Any]:
    operation = load_service(service).operation(action)
    assert operation is not None
    shape = operation.botocore_model.output_shape
    parsed: dict[str, Any] = botocore.parsers.create_parser("query").parse(
        {"body": body, "headers": {}, "status_code": 200}, shape
    )
    return parsed


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain", "plain"),
        ("a & b < c > d", "a &amp; b &lt; c &gt; d"),
        ("quotes ' \" stay", "quotes ' \" stay"),
        ("cr\r\nlf", "cr&#13;\nlf"),
        ("nul\x00bell\x07", "nul\ufffdbell\ufffd"),
        ("lone \ud800 surrogate", "lone \ufffd surrogate"),
        ("tab\tok ü 日本 😀", "tab\tok ü 日本 😀"),
    ],
)
def test_escape_text(text: str, escaped: str) -> None:
    assert escape_text(text) == escaped


def test_text_survives_an_xml_parser_exactly() -> None:
    description = "a & b <c> \"d\" 'e'\r\n\tü 😀"
    role = {"RoleName": "r", "Description": description}
    body = serialize_result("iam", "GetRole", {"Role": role}, "id")
    assert _parse("iam", "GetRole", body)["Role"]["Description"] == description


def test_absent_and_none_members_are_omitted_empty_lists_kept() -> None:
    result = {"Roles": [], "IsTruncated": False, "Marker": None}
    body = serialize_result("iam", "ListRoles", result, "id")
    assert body == (
        b'<ListRolesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        b"<ListRolesResult><Roles></Roles><IsTruncated>false</IsTruncated></ListRolesResult>"
        b"<ResponseMetadata><RequestId>id</RequestId></ResponseMetadata></ListRolesResponse>"
    )
    assert _parse("iam", "ListRoles", body)["Roles"] == []


def test_members_follow_model_order_not_dict_order() -> None:
    result = {"IsTruncated": True, "Marker": "m", "Roles": []}
    root = ET.fromstring(serialize_result("iam", "ListRoles", result, "id"))
    wrapper = root.find(f"{NS}ListRolesResult")
    assert wrapper is not None
    assert [child.tag.removeprefix(NS) for child in wrapper] == ["Roles", "IsTruncated", "Marker"]


def test_an_empty_result_still_has_its_wrapper() -> None:
    body = serialize_result("sts", "GetCallerIdentity", {}, "id")
    assert b"<GetCallerIdentityResult></GetCallerIdentityResult>" in body
    assert _parse("sts", "GetCallerIdentity", body)["ResponseMetadata"]["RequestId"] == "id"


def test_operations_without_output_have_only_response_metadata() -> None:
    assert serialize_result("iam", "DeleteRole", None, "r-1") == (
        b'<DeleteRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        b"<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></DeleteRoleResponse>"
    )


def test_sts_credentials_and_timestamps() -> None:
    expiration = datetime.datetime(2011, 7, 11, 19, 55, 29, 611000, tzinfo=datetime.UTC)
    result = {
        "Credentials": {
            "AccessKeyId": "ASIAIOSFODNN7EXAMPLE",
            "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
            "SessionToken": "token+/=",
            "Expiration": expiration,
        }
    }
    body = serialize_result("sts", "GetSessionToken", result, "id")
    assert body.startswith(b'<GetSessionTokenResponse xmlns="https://sts.amazonaws.com/doc/')
    assert b"<Expiration>2011-07-11T19:55:29.611Z</Expiration>" in body
    parsed = _parse("sts", "GetSessionToken", body)
    assert parsed["Credentials"]["Expiration"] == expiration


def test_policy_documents_are_percent_encoded_per_rfc_3986() -> None:
    document = '{"a b": "~-._*\'()!ü"}'
    result = {"RoleName": "r", "PolicyName": "p", "PolicyDocument": document}
    body = serialize_result("iam", "GetRolePolicy", result, "i")
    assert b"<PolicyDocument>%7B%22a%20b%22%3A%20%22~-._%2A%27%28%29%21%C3%BC%22%7D<" in body


def test_request_id_is_escaped() -> None:
    assert b"<RequestId>a&amp;b</RequestId>" in serialize_result("iam", "DeleteRole", None, "a&b")


def test_unknown_operation_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown operation"):
        serialize_result("iam", "Nope", None, "id")


def test_unknown_service() -> None:
    with pytest.raises(ValueError, match="unknown service"):
        serialize_result("s3", "ListBuckets", None, "id")
