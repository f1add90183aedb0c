"""The pieces of a SigV4 canonical request, string to sign and signature (spec §6.2, §6.3).

Each step is its own function, as botocore's ``SigV4Auth`` splits them, so the AWS test
suite can check every intermediate artifact. Nothing here raises on hostile input: a
malformed piece simply yields a canonical form the client did not sign.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from threading import Lock

from iamd.auth.request import decode_query_part, group_headers, split_query

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
_ENCODED = tuple(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in range(256))


def uri_encode(data: bytes, *, keep_slash: bool = False) -> str:
    """RFC 3986 encoding as SigV4 wants it: only ``A-Z a-z 0-9 - _ . ~`` stay as they are.

    Every other byte becomes ``%XX`` with uppercase hex (space is ``%20``, never ``+``);
    ``/`` is kept only when ``keep_slash`` is true (for paths).
    """
    if keep_slash:
        return "/".join(uri_encode(part) for part in data.split(b"/"))
    return "".join([_ENCODED[b] for b in data])


def normalize_path(raw_path: str) -> str:
    """Remove ``.`` and ``..`` segments and collapse ``//`` (RFC 3986 §5.2.4, non-S3 rule).

    The result starts with ``/``; a trailing ``/`` survives unless the result is the root.
    """
    segments: list[str] = []
    for segment in raw_path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    path = "/" + "/".join(segments)
    if raw_path.endswith("/") and path != "/":
        path += "/"
    return path


def canonical_uri(raw_path: str, *, normalize: bool = True) -> str:
    """The CanonicalURI line: the raw path, normalized, then URI-encoded once more.

    The raw path is still in its wire (percent-encoded) form, so encoding it again gives
    the "encode each segment twice" rule of every service but S3 (``%20`` becomes
    ``%2520``). Literal non-ASCII characters are encoded from their UTF-8 bytes.
    """
    if raw_path == "/":  # IAM and STS: nothing to normalize or encode
        return raw_path
    path = normalize_path(raw_path) if normalize else (raw_path or "/")
    return uri_encode(path.encode("utf-8"), keep_slash=True)


def canonical_query_string(raw_query: str, *, exclude: Iterable[str] = ()) -> str:
    """The CanonicalQueryString line.

    Each name and value is decoded (``+`` is a space) and re-encoded with :func:`uri_encode`;
    pairs are sorted by encoded name, then encoded value. Parameters whose decoded name is
    in ``exclude`` (``X-Amz-Signature`` for presigned requests) are left out.
    """
    if not raw_query:
        return ""
    excluded = {name.encode("utf-8") for name in exclude}
    pairs: list[tuple[str, str]] = []
    for raw_name, raw_value in split_query(raw_query):
        name = decode_query_part(raw_name)
        if name in excluded:
            continue
        pairs.append((uri_encode(name), uri_encode(decode_query_part(raw_value))))
    pairs.sort()
    return "&".join(f"{name}={value}" for name, value in pairs)


def canonical_header_value(value: str) -> str:
    """Trim the value and collapse every inner run of whitespace to one space (even in quotes)."""
    return " ".join(value.split())


def canonical_headers(headers: Sequence[tuple[str, str]], signed_names: Sequence[str]) -> str:
    """The CanonicalHeaders block: ``name:value\\n`` per signed header, in ``signed_names`` order.

    Repeated headers are joined with ``,`` in the order received. A signed header that is
    absent contributes an empty value (and so, in practice, a signature mismatch).
    """
    return canonical_headers_by_name(group_headers(headers), signed_names)


def canonical_headers_by_name(
    values: Mapping[str, tuple[str, ...]], signed_names: Sequence[str]
) -> str:
    """:func:`canonical_headers` over the headers' values already grouped by lowercase name
    (``HttpRequest.headers_by_name``): only the signed headers are looked at."""
    lines = []
    for name in signed_names:
        lowered = name.lower()
        found = values.get(lowered, ())
        if len(found) == 1:
            value = canonical_header_value(found[0])
        else:
            value = ",".join([canonical_header_value(v) for v in found])
        lines.append(f"{lowered}:{value}\n")
    return "".join(lines)


@lru_cache(maxsize=256)  # a client signs the same headers on every request
def signed_headers(signed_names: tuple[str, ...]) -> str:
    """The SignedHeaders line: the lowercase names joined by ``;``."""
    return ";".join(name.lower() for name in signed_names)


def payload_hash(body: bytes) -> str:
    """Lowercase hex SHA-256 of the request body."""
    return hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256


def canonical_request(
    *, method: str, uri: str, query: str, headers: str, signed: str, body_hash: str
) -> str:
    """Join the six parts; the headers block already ends with a newline, hence the blank line."""
    return "\n".join((method, uri, query, headers, signed, body_hash))


def credential_scope(date: str, region: str, service: str) -> str:
    """``yyyymmdd/region/service/aws4_request``."""
    return f"{date}/{region}/{service}/{TERMINATOR}"


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    """The string to sign (no trailing newline)."""
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"


def derive_signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """kSigning = HMAC chain over date, region, service and the terminator."""
    key = _hmac(f"AWS4{secret}".encode(), date)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, TERMINATOR)


def signature(signing_key: bytes, to_sign: str) -> str:
    """Lowercase hex HMAC-SHA256 of the string to sign."""
    # HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m)) (RFC 2104), from copies of the two
    # hashes with the padded key already absorbed: a third of hmac.new's cost, which looks
    # the digest up in OpenSSL on every call.
    inner_start, outer_start = _hmac_pads(signing_key)
    inner = inner_start.copy()
    inner.update(to_sign.encode("utf-8"))
    outer = outer_start.copy()
    outer.update(inner.digest())
    return outer.hexdigest()


_BLOCK = 64  # SHA-256's block size in bytes
_TRANS_36 = bytes(x ^ 0x36 for x in range(256))
_TRANS_5C = bytes(x ^ 0x5C for x in range(256))


@lru_cache(maxsize=1024)  # one entry per signing key, as SigningKeyCache holds them
def _hmac_pads(key: bytes) -> tuple[hashlib._Hash, hashlib._Hash]:
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return hashlib.sha256(key.translate(_TRANS_36)), hashlib.sha256(key.translate(_TRANS_5C))


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


class SigningKeyCache:
    """A small thread-safe LRU of derived signing keys, keyed by (secret, date, region, service).

    A signing key is valid for a whole day, so a busy caller derives it once per day
    instead of running four HMACs on every request.
    """

    def __init__(self, maxsize: int = 1024) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._maxsize = maxsize
        self._keys: OrderedDict[tuple[str, str, str, str], bytes] = OrderedDict()
        self._lock = Lock()

    def __len__(self) -> int:
        return len(self._keys)

    def get(self, secret: str, date: str, region: str, service: str) -> bytes:
        """The signing key for this scope, derived on a miss."""
        cache_key = (secret, date, region, service)
        with self._lock:
            key = self._keys.get(cache_key)
            if key is not None:
                self._keys.move_to_end(cache_key)
                return key
        key = derive_signing_key(secret, date, region, service)
        with self._lock:
            self._keys[cache_key] = key
            self._keys.move_to_end(cache_key)
            while len(self._keys) > self._maxsize:
                self._keys.popitem(last=False)
        return key
