"""The HTTP request as the signature verifier sees it, and the parts of it that carry auth."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import unquote_to_bytes


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """An HTTP request exactly as received, before any decoding.

    ``raw_path`` and ``raw_query`` are the path and query string as they came on the wire
    (still percent-encoded; no ``?``). ``headers`` keeps every (name, value) pair in the
    order received, with names in any case and repeated names repeated. ``payload_hash``
    stands in for the body when only its SHA-256 (hex) is at hand, as when a service asks
    ``/authorize`` about a request it received; ``UNSIGNED-PAYLOAD`` there means the
    service accepts a client that signed its headers only.
    """

    method: str
    raw_path: str
    raw_query: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    payload_hash: str | None = None

    def header_values(self, name: str) -> tuple[str, ...]:
        """Every value of the header ``name`` (case-insensitive), in the order received."""
        wanted = name.lower()
        return tuple(value for key, value in self.headers if key.lower() == wanted)

    def query_params(self) -> tuple[tuple[str, str], ...]:
        """The query string split into decoded (name, value) pairs, in order.

        ``+`` means a space, as AWS reads it (a literal plus must arrive as ``%2B``); bytes
        that are not UTF-8 are replaced, which only matters for names the verifier looks up.
        """
        return tuple((_decode(name), _decode(value)) for name, value in split_query(self.raw_query))


def split_query(raw_query: str) -> list[tuple[str, str]]:
    """Split a raw query string on ``&`` into still-encoded (name, value) pairs.

    Empty pieces (``a=1&&b=2``) are dropped; a piece without ``=`` has an empty value.
    """
    pairs: list[tuple[str, str]] = []
    for piece in raw_query.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        pairs.append((name, value))
    return pairs


def decode_query_part(text: str) -> bytes:
    """Percent-decode one name or value of a query string, reading ``+`` as a space.

    botocore sends form-style ``+`` for spaces in ``params`` while signing them as ``%20``,
    and AWS has always decoded ``+`` as a space (SigV2 signatures had to escape theirs).
    """
    return unquote_to_bytes(text.replace("+", " "))


def _decode(text: str) -> str:
    return decode_query_part(text).decode("utf-8", errors="replace")


class AuthKind(StrEnum):
    """Where a request carries its SigV4 signature."""

    HEADER = "header"
    QUERY = "query"


# Any of these in the query string means the client meant to presign the request.
PRESIGN_PARAMS = frozenset(
    {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-SignedHeaders", "X-Amz-Signature"}
)


def detect_auth(request: HttpRequest) -> frozenset[AuthKind]:
    """Which auth forms the request carries: none, one, or (an error) both.

    The caller uses an empty result to serve operations that allow unsigned requests
    (AssumeRoleWithWebIdentity, AssumeRoleWithSAML) without running the verifier.
    """
    kinds: set[AuthKind] = set()
    if request.header_values("authorization"):
        kinds.add(AuthKind.HEADER)
    if any(name in PRESIGN_PARAMS for name, _ in request.query_params()):
        kinds.add(AuthKind.QUERY)
    return frozenset(kinds)
