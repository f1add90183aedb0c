"""The HTTP request as the signature verifier sees it, and the parts of it that carry auth."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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
    # Every header's values under its lowercase name, built once: the verifier looks up
    # half a dozen headers per request, and a scan of all of them for each was a tenth of
    # its cost.
    _by_name: dict[str, tuple[str, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        self._by_name.update(group_headers(self.headers))

    def header_values(self, name: str) -> tuple[str, ...]:
        """Every value of the header ``name`` (case-insensitive), in the order received."""
        return self._by_name.get(name.lower(), ())

    @property
    def headers_by_name(self) -> Mapping[str, tuple[str, ...]]:
        """Every header's values (in the order received) under its lowercase name."""
        return self._by_name

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


def group_headers(headers: Iterable[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """Each header's values, in the order received, under its lowercase name."""
    by_name: dict[str, tuple[str, ...]] = {}
    for key, value in headers:
        lowered = key.lower()
        by_name[lowered] = (*by_name[lowered], value) if lowered in by_name else (value,)
    return by_name


_KINDS = {
    (False, False): frozenset[AuthKind](),
    (True, False): frozenset({AuthKind.HEADER}),
    (False, True): frozenset({AuthKind.QUERY}),
    (True, True): frozenset({AuthKind.HEADER, AuthKind.QUERY}),
}


def detect_auth(request: HttpRequest) -> frozenset[AuthKind]:
    """Which auth forms the request carries: none, one, or (an error) both.

    The caller uses an empty result to serve operations that allow unsigned requests
    (AssumeRoleWithWebIdentity, AssumeRoleWithSAML) without running the verifier.
    """
    header = "authorization" in request.headers_by_name
    query = bool(request.raw_query) and any(
        _decode(name) in PRESIGN_PARAMS for name, _ in split_query(request.raw_query)
    )
    return _KINDS[header, query]
