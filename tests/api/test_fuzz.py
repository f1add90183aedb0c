"""Fuzzing the server from botocore's models: no request, however made, gets a 5xx.

- Every IAM and STS operation iamd serves gets requests built by hypothesis from the
  operation's input shape: values of the right type with hostile content (huge and
  negative numbers, long and unpaired-surrogate strings, deeply nested JSON where a
  document is expected, ARNs, enum values and non-values, lists past their bounds), then
  mutated on the wire (a value replaced by garbage, a required member dropped, a list
  index of many digits, an unknown member). Each is signed as the root of a throwaway
  account and sent; the answer must be below 500.
- Raw requests that no SDK would send (bad signatures, headers, encodings, methods,
  bodies) go to the Query endpoint and to ``/authorize``.

The examples are derandomized (the same every run) and few per operation, so the whole
module stays well under a minute; a failure prints the request that caused it.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import urllib.parse
from collections.abc import Callable, Iterator
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

from .conftest import Credentials, IamdServer, _master_key

SESSION = botocore.session.get_session()
SERIALIZER = create_serializer("query")
EXAMPLES = 12


def _served(service: str) -> list[str]:
    load_operations()
    model = SESSION.get_service_model(service)
    return sorted({op.name for op in operations.registered(service)} & set(model.operation_names))


CASES = [(s, name) for s in ("iam", "sts") for name in _served(s)]

# --- values from shapes ---------------------------------------------------------------

_HOSTILE_TEXT = st.one_of(
    st.text(max_size=12),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=300),
    st.sampled_from(
        [
            "",
            " ",
            "\ud800",
            "a\x00b",
            "*" * 200,
            "arn:aws:iam::123456789012:role/x",
            "arn:aws:iam::*:*",
            "arn:" + ":" * 50,
            "../../etc/passwd",
            "<x>&amp;</x>",
            "%zz",
            "9" * 5000,
            "x" * 70_000,
            "[" * 3000,
            '{"Version":"2012-10-17","Statement":' + "[" * 3000 + "]" * 3000 + "}",
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*a*a*a*a*a*a*a*a*a*a*b","Resource":"*"}]}',
        ]
    ),
)
_NUMBER = st.one_of(
    st.sampled_from([10**4000, -(10**4000), 2**63, 2**31, -1, 0]),  # str() stops at 4,300 digits
    st.integers(min_value=-(2**70), max_value=2**70),
)


def _document_like(name: str) -> bool:
    return any(word in name for word in ("Policy", "Document", "Assertion", "Token", "Context"))


def value_for(shape: Any, name: str = "", depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of ``shape``'s Python type (as botocore serializes them), hostile in content."""
    kind = shape.type_name
    if kind == "structure":
        if depth > 3:
            return st.just({})
        members = shape.members
        required = set(shape.required_members)
        fields = {m: value_for(s, m, depth + 1) for m, s in members.items()}
        return st.fixed_dictionaries(
            {m: fields[m] for m in members if m in required},
            optional={m: fields[m] for m in members if m not in required},
        )
    if kind == "list":
        return st.lists(value_for(shape.member, name, depth + 1), max_size=3)
    if kind == "map":
        return st.dictionaries(
            value_for(shape.key, name, depth + 1),
            value_for(shape.value, name, depth + 1),
            max_size=2,
        )
    if kind in ("integer", "long"):
        return _NUMBER
    if kind in ("float", "double"):
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return st.datetimes(timezones=st.just(dt.UTC))
    if kind == "blob":
        return st.binary(max_size=64)
    choices = [_HOSTILE_TEXT]
    if shape.enum:
        choices.append(st.sampled_from(shape.enum))
    if _document_like(name):
        choices.append(
            st.recursive(st.none() | st.text(max_size=5), st.lists, max_leaves=8).map(json.dumps)
        )
    return st.one_of(*choices)


_GARBAGE = st.sampled_from(["9" * 5000, "\ud800", "", "x", "-", "1e9999", "true", "%"])


@st.composite
def wire_bodies(draw: Callable[..., Any], service: str, name: str) -> dict[str, Any]:
    """A request body for ``service``'s ``name``, as form fields, possibly mutated."""
    operation = SESSION.get_service_model(service).operation_model(name)
    params = draw(value_for(operation.input_shape)) if operation.input_shape else {}
    try:
        body: dict[str, Any] = SERIALIZER.serialize_to_request(params, operation)["body"]
    except Exception:  # botocore refuses some values of the right type: send the rest
        body = {"Action": name, "Version": operation.metadata["apiVersion"]}
    fields = [k for k in body if k not in ("Action", "Version")]
    mutation = draw(st.sampled_from(["garbage", "none", "drop", "index", "unknown"]))
    if mutation == "garbage" and fields:
        body[draw(st.sampled_from(fields))] = draw(_GARBAGE)
    elif mutation == "drop" and fields:
        del body[draw(st.sampled_from(fields))]
    elif mutation == "index":
        body[f"{(fields or ['Tags'])[0].split('.')[0]}.member.{'7' * 600}"] = "x"
    elif mutation == "unknown":
        body["NoSuchMember"] = draw(_GARBAGE)
    return body


def _encode(body: dict[str, Any]) -> bytes:
    pairs = [
        (
            urllib.parse.quote(str(k).encode("utf-8", "surrogatepass"), safe=""),
            urllib.parse.quote(str(v).encode("utf-8", "surrogatepass"), safe=""),
        )
        for k, v in body.items()
    ]
    return "&".join(f"{k}={v}" for k, v in pairs).encode("ascii")


def _post(
    server: IamdServer, path: str, data: bytes, headers: dict[str, str], method: str = "POST"
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _signed(creds: Credentials, service: str, data: bytes, path: str = "/") -> dict[str, str]:
    request = AWSRequest(
        method="POST",
        url=f"http://127.0.0.1{path}",
        data=data,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    SigV4Auth(
        BotoCredentials(creds.access_key_id, creds.secret_access_key), service, "us-east-1"
    ).add_auth(request)
    return dict(request.headers)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IamdServer]:
    """A server of its own on SQLite: fuzzed once (PostgreSQL runs the same request path),
    and its throwaway store keeps what the fuzzing made away from the other tests."""
    server = IamdServer("sqlite", tmp_path_factory.mktemp("iamd-fuzz"), None, _master_key())
    server.start()
    yield server
    server.stop()
    server.close_database()


@pytest.fixture
def fuzz_account(fuzzed: IamdServer) -> Credentials:
    return fuzzed.create_account()


@pytest.mark.parametrize(("service", "name"), CASES, ids=[f"{s}:{n}" for s, n in CASES])
def test_no_request_built_from_the_model_gets_a_5xx(
    fuzzed: IamdServer, fuzz_account: Credentials, service: str, name: str
) -> None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(body=wire_bodies(service, name))
    def check(body: dict[str, Any]) -> None:
        data = _encode(body)
        status, answer = _post(fuzzed, "/", data, _signed(fuzz_account, service, data))
        assert status < 500, (body, answer[:500])

    check()


RAW_QUERIES: list[tuple[str, str, bytes, dict[str, str]]] = [
    ("POST", "/", b"Action=GetCallerIdentity&Version=2011-06-15", {}),
    ("POST", "/", b"Action=ListUsers&Version=2010-05-08", {"Authorization": "AWS4-HMAC-SHA256"}),
    (
        "POST",
        "/",
        b"Action=ListUsers",
        {"Authorization": "AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=, Signature=z"},
    ),
    ("POST", "/", b"Action=ListUsers", {"Authorization": "x" * 20_000}),
    ("POST", "/", b"Action=ListUsers", {"Authorization": "AWS4-HMAC-SHA256 " + "," * 5000}),
    ("POST", "/", b"%zz=%zz&Action=%ff%fe", {}),
    ("POST", "/", b"\xff\xfe\x00garbage", {"Content-Type": "application/x-www-form-urlencoded"}),
    ("POST", "/", b"Action=ListUsers&" * 20_000, {}),
    ("POST", "/", b"a" * 11_000_000, {}),
    ("GET", "/?" + "Action=ListUsers&" * 500, b"", {}),
    ("GET", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + "/" * 3000, b"", {}),
    ("GET", "/?X-Amz-Expires=" + "9" * 5000 + "&X-Amz-Algorithm=AWS4-HMAC-SHA256", b"", {}),
    ("PUT", "/", b"", {}),
    ("DELETE", "/authorize", b"", {}),
    ("POST", "/", b"Action=ListUsers", {"X-Amz-Date": "9" * 5000}),
    ("POST", "/", b"Action=ListUsers", {"Date": "Fri, 31 Dec 9999 23:59:59 -2359"}),
    ("POST", "/", b"Action=ListUsers", {"X-Amz-Security-Token": "!" * 4000}),
    ("POST", "/", b"Action=ListUsers", {"Content-Length": "99999999999999999999"}),
    ("POST", "/authorize", b"{" * 5000, {"Content-Type": "application/json"}),
    ("POST", "/authorize", b"\xff" * 100, {"Content-Type": "application/json"}),
    ("POST", "/authorize", json.dumps({"action": "x" * 100_000}).encode(), {}),
    ("GET", "/healthz?" + "x" * 5000, b"", {}),
]


@pytest.mark.parametrize(("method", "path", "body", "headers"), RAW_QUERIES)
def test_no_raw_request_gets_a_5xx(
    fuzzed: IamdServer, method: str, path: str, body: bytes, headers: dict[str, str]
) -> None:
    try:
        status, answer = _post(fuzzed, path, body, headers, method)
    except (ConnectionError, http.client.HTTPException):
        return  # the server may close a connection it will not read; it must stay up
    assert status < 500, answer[:500]


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(
    headers=st.dictionaries(
        st.sampled_from(
            ["Authorization", "X-Amz-Date", "Date", "X-Amz-Security-Token", "Content-Type", "Host"]
        ),
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=300),
        max_size=4,
    ),
    body=st.binary(max_size=300),
    path=st.sampled_from(["/", "/authorize", "/?Action=GetCallerIdentity&Version=2011-06-15"]),
)
def test_random_headers_and_bodies_get_no_5xx(
    fuzzed: IamdServer, headers: dict[str, str], body: bytes, path: str
) -> None:
    try:
        status, answer = _post(fuzzed, path, body, headers)
    except (ConnectionError, http.client.HTTPException):
        return
    assert status < 500, (headers, body, answer[:500])


# --- the JSON protocol (CloudTrail's LookupEvents) -------------------------------------

LOOKUP_TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"
_JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), _HOSTILE_TEXT),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(_HOSTILE_TEXT, inner, max_size=4)
    ),
    max_leaves=12,
)
_LOOKUP_KEYS = st.sampled_from(
    ["LookupAttributes", "StartTime", "EndTime", "EventCategory", "MaxResults", "NextToken"]
)
_ATTRIBUTE = st.fixed_dictionaries(
    {"AttributeKey": st.one_of(st.sampled_from(["EventName", "ReadOnly", "ResourceName"]),
                               _HOSTILE_TEXT),
     "AttributeValue": _JSON_VALUES},
)  # fmt: skip
_LOOKUP_BODIES = st.one_of(
    st.dictionaries(_LOOKUP_KEYS, _JSON_VALUES, max_size=6),
    st.fixed_dictionaries({"LookupAttributes": st.lists(_ATTRIBUTE, max_size=3)}),
    _JSON_VALUES,
)


def test_no_lookup_events_body_gets_a_5xx(fuzzed: IamdServer, fuzz_account: Credentials) -> None:
    @settings(
        max_examples=60,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(body=_LOOKUP_BODIES)
    def check(body: Any) -> None:
        data = json.dumps(body).encode()
        headers = _signed(fuzz_account, "cloudtrail", data)
        headers.update(
            {"X-Amz-Target": LOOKUP_TARGET, "Content-Type": "application/x-amz-json-1.1"}
        )
        status, answer = _post(fuzzed, "/", data, headers)
        assert status < 500, (body, answer[:500])
        if status >= 400:
            assert json.loads(answer)["__type"]

    check()


RAW_JSON: list[tuple[str, bytes, dict[str, str]]] = [
    ("POST", b"{" * 5000, {"X-Amz-Target": LOOKUP_TARGET}),
    ("POST", b"\xff\xfe", {"X-Amz-Target": LOOKUP_TARGET}),
    ("POST", b"{}", {"X-Amz-Target": "x" * 20_000}),
    ("POST", b"{}", {"X-Amz-Target": "."}),
    ("POST", b"{}", {"X-Amz-Target": LOOKUP_TARGET, "Authorization": "AWS4-HMAC-SHA256 ,,"}),
    ("GET", b"", {"X-Amz-Target": LOOKUP_TARGET}),
]


@pytest.mark.parametrize(("method", "body", "headers"), RAW_JSON)
def test_no_raw_json_request_gets_a_5xx(
    fuzzed: IamdServer, method: str, body: bytes, headers: dict[str, str]
) -> None:
    status, answer = _post(fuzzed, "/", body, headers, method=method)
    assert 400 <= status < 500, answer[:300]
    assert json.loads(answer)["__type"]
