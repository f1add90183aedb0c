"""Attribute mappings: which of a certificate's attributes become session tags.

A profile maps each certificate field (``x509Subject``, ``x509Issuer``, ``x509SAN``) to
specifiers: attribute names (``CN``, ``OU``; ``DNS``, ``URI``, ``DirectoryName`` for the
SAN) or ``*`` for all of them. By default every field maps ``*``. PutAttributeMapping
replaces one field's specifiers; DeleteAttributeMapping removes some (or all) of them
(both in ``profiles``).
CreateSession tags the session with the mapped attributes only, as
``x509Subject/CN``-style keys, and the trust policy sees them as principal tags.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cryptography import x509

from iamd.rolesanywhere import certificates
from iamd.store import rolesanywhere as store

FIELDS = ("x509Subject", "x509Issuer", "x509SAN")
ALL = "*"
DEFAULT: tuple[tuple[str, tuple[str, ...]], ...] = tuple((field, (ALL,)) for field in FIELDS)
MAX_TAG_VALUE = 256

Mappings = tuple[tuple[str, tuple[str, ...]], ...]


def effective(profile: store.Profile) -> Mappings:
    return DEFAULT if profile.attribute_mappings is None else profile.attribute_mappings


def as_output(profile: store.Profile) -> list[dict[str, Any]]:
    """The ``AttributeMappings`` output shape."""
    return [
        {"certificateField": field, "mappingRules": [{"specifier": s} for s in specifiers]}
        for field, specifiers in effective(profile)
        if specifiers
    ]


def _attributes(field: str, certificate: x509.Certificate) -> list[tuple[str, str]]:
    if field == "x509Subject":
        return certificates.names(certificate.subject)
    if field == "x509Issuer":
        return certificates.names(certificate.issuer)
    return certificates.subject_alternative_names(certificate)


def session_tags(mappings: Mappings, certificate: x509.Certificate) -> tuple[tuple[str, str], ...]:
    """The certificate's mapped attributes as (``FIELD/NAME``, value), first value wins."""
    tags: dict[str, tuple[str, str]] = {}
    for field, specifiers in mappings:
        wanted = set(specifiers)
        for name, value in _attributes(field, certificate):
            if ALL in wanted or name in wanted:
                key = f"{field}/{name}"
                tags.setdefault(key.lower(), (key, value[:MAX_TAG_VALUE]))
    return tuple(tags.values())


def with_field(mappings: Mappings, field: str, specifiers: Sequence[str]) -> Mappings:
    """``mappings`` with ``field``'s specifiers replaced (no specifiers: not mapped)."""
    kept = dict(mappings)
    kept[field] = tuple(dict.fromkeys(specifiers))
    return tuple((f, kept[f]) for f in FIELDS if f in kept)
