"""Fuzzing the REST-JSON endpoint (IAM Roles Anywhere): no request gets a 5xx.

Every rolesanywhere operation iamd serves gets hypothesis-built parameters from its input
shape (``test_fuzz.value_for``: hostile content of the right types), serialized by
botocore's REST-JSON serializer, then mutated on the wire (a body member replaced by
garbage of another JSON type, one dropped, an unknown one added, the body replaced by
deep nesting), signed with SigV4 and sent. Raw CreateSession requests with malformed
X.509 auth come after. The examples are derandomized and few per operation.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Callable
from typing import Any

import botocore.session
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from botocore.serialize import create_serializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamd import operations
from iamd.server.handlers import load_operations

from .conftest import Credentials, IamdServer
from .test_fuzz import _post, fuzz_account, fuzzed, value_for

__all__ = ["fuzz_account", "fuzzed"]

SESSION = botocore.session.get_session()
MODEL = SESSION.get_service_model("rolesanywhere")
SERIALIZER = create_serializer("rest-json")
EXAMPLES = 12


def _served() -> list[str]:
    load_operations()
    return sorted(
        {op.name for op in operations.registered("rolesanywhere")} & set(MODEL.operation_names)
    )


_JSON_GARBAGE = st.sampled_from(
    [None, 10**4000, -1, 1.5, True, "", "\ud800", [], {}, [[[[]]]], {"a": {"b": []}}, "9" * 5000]
)


@st.composite
def requests(draw: Callable[..., Any], name: str) -> tuple[str, str, bytes]:
    """(method, path with query, body) for ``name``, possibly mutated."""
    operation = MODEL.operation_model(name)
    params = draw(value_for(operation.input_shape)) if operation.input_shape else {}
    try:
        request = SERIALIZER.serialize_to_request(params, operation)
    except Exception:  # botocore refuses some values of the right type: send an empty body
        return operation.http["method"], operation.http["requestUri"].split("{")[0], b"{}"
    path = request["url_path"]
    query = "&".join(
        f"{_quote(k)}={_quote(v)}"
        for k, values in request["query_string"].items()
        for v in (values if isinstance(values, list) else [values])
    )
    raw = request["body"]
    body = raw if isinstance(raw, bytes) else str(raw or "").encode("utf-8", "surrogatepass")
    mutation = draw(st.sampled_from(["none", "garbage", "drop", "unknown", "deep", "array"]))
    try:
        document = json.loads(body) if body else {}
    except ValueError:
        document = {}
    if mutation == "garbage" and document:
        document[draw(st.sampled_from(sorted(document)))] = draw(_JSON_GARBAGE)
        body = json.dumps(document).encode("utf-8", "surrogatepass")
    elif mutation == "drop" and document:
        del document[draw(st.sampled_from(sorted(document)))]
        body = json.dumps(document).encode()
    elif mutation == "unknown":
        document["noSuchMember"] = draw(_JSON_GARBAGE)
        body = json.dumps(document).encode("utf-8", "surrogatepass")
    elif mutation == "deep":
        body = b'{"name":' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    elif mutation == "array":
        body = b"[]"
    return request["method"], path + (f"?{query}" if query else ""), body


def _quote(value: object) -> str:
    return urllib.parse.quote(str(value).encode("utf-8", "surrogatepass"), safe="")


def _signed(creds: Credentials, method: str, path: str, data: bytes) -> dict[str, str]:
    request = AWSRequest(
        method=method,
        url=f"http://127.0.0.1{path}",
        data=data,
        headers={"Content-Type": "application/json"},
    )
    SigV4Auth(
        BotoCredentials(creds.access_key_id, creds.secret_access_key), "rolesanywhere", "us-east-1"
    ).add_auth(request)
    return dict(request.headers)


@pytest.mark.parametrize("name", _served())
def test_no_rest_json_request_built_from_the_model_gets_a_5xx(
    fuzzed: IamdServer, fuzz_account: Credentials, name: str
) -> None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(request=requests(name))
    def check(request: tuple[str, str, bytes]) -> None:
        method, path, data = request
        status, answer = _post(
            fuzzed, path, data, _signed(fuzz_account, method, path, data), method
        )
        assert status < 500, (request, answer[:500])

    check()


_CERT = base64.b64encode(b"0\x82\x01\x00" + b"\x00" * 256).decode()
_X509 = "AWS4-X509-RSA-SHA256 Credential=1/20260101/us-east-1/rolesanywhere/aws4_request, "
RAW: list[tuple[str, str, bytes, dict[str, str]]] = [
    ("POST", "/sessions", b"{}", {}),
    ("POST", "/sessions", b"{}", {"Authorization": "AWS4-X509-RSA-SHA256"}),
    ("POST", "/sessions", b"{}", {"Authorization": _X509 + "SignedHeaders=host, Signature=00"}),
    (
        "POST",
        "/sessions",
        b"{}",
        {
            "Authorization": _X509 + "SignedHeaders=host;x-amz-date;x-amz-x509, Signature=zz",
            "X-Amz-Date": "20260101T000000Z",
            "X-Amz-X509": _CERT,
        },
    ),
    (
        "POST",
        "/sessions",
        b"{}",
        {
            "Authorization": _X509 + "SignedHeaders=host;x-amz-date;x-amz-x509, Signature=00",
            "X-Amz-Date": "20260101T000000Z",
            "X-Amz-X509": "!" * 5000,
            "X-Amz-X509-Chain": ",".join([_CERT] * 100),
        },
    ),
    ("POST", "/sessions", b"[" * 100_000, {"Authorization": _X509 + "x=" * 2000}),
    ("GET", "/profiles?pageSize=" + "9" * 5000, b"", {}),
    ("GET", "/profile/" + "%2F" * 3000, b"", {}),
    ("DELETE", "/trustanchors", b"", {}),
    ("PATCH", "/profile/x", b"\xff\xfe", {"Authorization": _X509 + "SignedHeaders=host"}),
]


@pytest.mark.parametrize(("method", "path", "body", "headers"), RAW)
def test_no_raw_rolesanywhere_request_gets_a_5xx(
    fuzzed: IamdServer, method: str, path: str, body: bytes, headers: dict[str, str]
) -> None:
    status, answer = _post(fuzzed, path, body, headers, method)
    assert 400 <= status < 500, answer[:500]
    assert json.loads(answer)["message"]
