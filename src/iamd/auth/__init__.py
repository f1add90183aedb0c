"""Request authentication: who signed this request? (AWS Signature Version 4, spec §6)

::

    HttpRequest ──parse.parse_auth──> AuthParams ──SigV4Verifier.verify(now)──> VerifiedRequest
      (request.py)   header or presigned query      │ 1 time window (15 min; presigned expiry)
                                                    │ 2 lookup(akid, token) -> SigningSecret
                                                    │ 3 credential scope
                                                    └ 4 canonical.* -> signature, compare_digest

- ``request.py``: the frozen ``HttpRequest`` (method, raw path, raw query, ordered headers,
  body) and ``detect_auth``, which tells "no auth at all" apart so the server can let the
  unsigned operations (AssumeRoleWithWebIdentity, AssumeRoleWithSAML) through.
- ``parse.py``: syntax only. Malformed or missing parts are ``IncompleteSignature`` with
  AWS's wording; no auth is ``MissingAuthenticationToken``; both forms at once is an error.
- ``canonical.py``: one pure function per artifact of the canonical request, string to
  sign and signing key, checked piece by piece against AWS's public test suite; plus the
  bounded LRU of derived signing keys (a key is good for a day, and this path is hot).
- ``sigv4.py``: ``SigV4Verifier``, which runs the checks in AWS's order and raises the
  ``iamd.errors`` class a real client expects.

Pure by design: no I/O, no clock reads (``now`` is an argument), no database. The secret
lookup is injected and raises ``InvalidClientTokenId`` / ``ExpiredToken`` itself; what it
returns alongside the secret (a principal, say) comes back in ``VerifiedRequest``.
"""

from __future__ import annotations

from iamd.auth.canonical import SigningKeyCache
from iamd.auth.parse import AuthParams, Credential, parse_auth
from iamd.auth.request import AuthKind, HttpRequest, detect_auth
from iamd.auth.sigv4 import (
    ComputedSignature,
    SecretLookup,
    SignatureMismatch,
    SigningSecret,
    SigV4Verifier,
    VerifiedRequest,
    compute_signature,
)

__all__ = [
    "AuthKind",
    "AuthParams",
    "ComputedSignature",
    "Credential",
    "HttpRequest",
    "SecretLookup",
    "SigV4Verifier",
    "SignatureMismatch",
    "SigningKeyCache",
    "SigningSecret",
    "VerifiedRequest",
    "compute_signature",
    "detect_auth",
    "parse_auth",
]
