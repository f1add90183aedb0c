"""SAML 2.0 responses: decode, verify the XML signature, and read only what was signed.

``verify_response(encoded, certificates)`` takes the base64 ``SAMLResponse`` that
AssumeRoleWithSAML receives and the provider's signing certificates, and returns the
``Assertion`` it carries, read from the signed bytes alone. Signatures are verified by
signxml (``XMLVerifier``) against each certificate of the provider's metadata in turn;
iamd does no XML cryptography of its own.

What is accepted:

- the document is a ``samlp:Response`` with status Success, holding exactly one
  ``saml:Assertion`` (a direct child) and no ``EncryptedAssertion`` (unsupported);
- either the Response is signed (its ``ds:Signature`` a direct child, its one Reference
  the Response's own ID) or the Assertion is (its ``ds:Signature`` a direct child, its
  Reference the Assertion's ID); when both carry a signature, both must verify;
- signature and digest algorithms are signxml's defaults, which leave out SHA-1.

Signature wrapping: everything is read from ``VerifyResult.signed_xml``, the
canonicalized bytes that the signature covers, re-parsed; nothing is read from the
document as received. Besides, the signed element must be the document's root (for a
signed Response) or its one Assertion (for a signed Assertion), identified by the ID the
Reference names; a second Assertion anywhere, a signed element moved under another
parent, or duplicate IDs are refused outright rather than tolerated.

Certificates are pinned by the metadata, so their X.509 validity period is not checked
(the provider's ValidUntil governs instead) [INF: AWS is not documented to check it].

Checks of meaning (issuer, recipient, audience, times, attributes) are the operation's
(``iamd.sts.saml``); this module only raises ``InvalidAssertion`` for what cannot be a
well-formed, correctly signed response.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from lxml import etree
from signxml.exceptions import SignXMLException
from signxml.verifier import SignatureConfiguration, XMLVerifier

from iamd.iam.saml_providers import XmlRejected, parse_instant, parse_xml

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"

SIGNATURE_INVALID = "Response signature invalid"
MALFORMED = "Invalid SAML response"


class InvalidAssertion(Exception):
    """Not a well-formed, correctly signed SAML response (InvalidIdentityToken)."""


@dataclass(frozen=True, slots=True)
class Confirmation:
    method: str
    recipient: str | None
    not_on_or_after: dt.datetime | None
    not_before: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Assertion:
    """The signed assertion's claims."""

    issuer: str
    name_id: str
    name_id_format: str | None
    confirmations: tuple[Confirmation, ...]
    not_before: dt.datetime | None
    not_on_or_after: dt.datetime | None
    audience_restrictions: tuple[tuple[str, ...], ...]
    session_not_on_or_after: dt.datetime | None
    attributes: tuple[tuple[str, tuple[str, ...]], ...]

    def values(self, name: str) -> tuple[str, ...]:
        """Every value of the attributes named ``name`` (case-sensitive, as AWS)."""
        return tuple(v for n, values in self.attributes if n == name for v in values)

    def has(self, name: str) -> bool:
        return any(n == name for n, _ in self.attributes)


# --- decoding and structure -----------------------------------------------------------------


def decode(encoded: str) -> bytes:
    """The XML bytes of a base64 SAMLResponse (whitespace allowed, as IdPs wrap lines)."""
    try:
        return base64.b64decode("".join(encoded.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidAssertion(MALFORMED) from None


def _tag(ns: str, local: str) -> str:
    return f"{{{ns}}}{local}"


def _structure(root: etree._Element) -> etree._Element:
    """The Response's one Assertion, after the structural checks of the module docstring."""
    if root.tag != _tag(SAMLP, "Response"):
        raise InvalidAssertion(MALFORMED)
    if next(root.iter(_tag(SAML, "EncryptedAssertion")), None) is not None:
        raise InvalidAssertion("Encrypted SAML assertions are not supported")
    assertions = list(root.iter(_tag(SAML, "Assertion")))
    if len(assertions) != 1 or assertions[0].getparent() is not root:
        raise InvalidAssertion(MALFORMED)
    ids = [v for e in root.iter() if isinstance(e.tag, str) for v in _ids(e)]
    if len(ids) != len(set(ids)):
        raise InvalidAssertion(MALFORMED)
    status = root.find(f"{_tag(SAMLP, 'Status')}/{_tag(SAMLP, 'StatusCode')}")
    if status is None or status.get("Value") != SUCCESS:
        raise InvalidAssertion("The SAML response does not report success")
    return assertions[0]


def _ids(element: etree._Element) -> list[str]:
    return [str(v) for k, v in element.attrib.items() if str(k).rsplit("}", 1)[-1] in ("ID", "Id")]


# --- signatures -----------------------------------------------------------------------------


def _signed(
    data: bytes,
    location: str,
    certificates: Sequence[x509.Certificate],
) -> etree._Element:
    """The element a signature at ``location`` covers, verified with one certificate."""
    for certificate in certificates:
        config = SignatureConfiguration(
            location=location,
            expect_references=1,
            verification_time=certificate.not_valid_before_utc,
        )
        try:
            result = XMLVerifier().verify(data, x509_cert=certificate, expect_config=config)
        except (SignXMLException, etree.LxmlError, ValueError, KeyError, TypeError):
            continue
        signed = result.signed_xml if not isinstance(result, list) else None
        if signed is not None:
            return signed
    raise InvalidAssertion(SIGNATURE_INVALID)


def _trusted_assertion(
    data: bytes, root: etree._Element, assertion: etree._Element, certs: Sequence[x509.Certificate]
) -> etree._Element:
    response_signed = root.find(_tag(DS, "Signature")) is not None
    assertion_signed = assertion.find(_tag(DS, "Signature")) is not None
    trusted: etree._Element | None = None
    if response_signed:
        signed = _signed(data, "./", certs)
        if signed.tag != _tag(SAMLP, "Response") or _ids(signed) != _ids(root) or not _ids(root):
            raise InvalidAssertion(SIGNATURE_INVALID)
        inner = signed.findall(_tag(SAML, "Assertion"))
        if len(inner) != 1:
            raise InvalidAssertion(SIGNATURE_INVALID)
        trusted = inner[0]
    if assertion_signed:
        signed = _signed(data, f"./{_tag(SAML, 'Assertion')}/", certs)
        ids = _ids(assertion)
        if signed.tag != _tag(SAML, "Assertion") or _ids(signed) != ids or not ids:
            raise InvalidAssertion(SIGNATURE_INVALID)
        trusted = trusted if trusted is not None else signed
    if trusted is None:
        raise InvalidAssertion(SIGNATURE_INVALID)
    return trusted


# --- reading the signed assertion -----------------------------------------------------------


def _time(element: etree._Element | None, attribute: str) -> dt.datetime | None:
    value = element.get(attribute) if element is not None else None
    if value is None:
        return None
    try:
        return parse_instant(str(value))
    except ValueError:
        raise InvalidAssertion(f"{attribute} is not a valid dateTime") from None


def _text(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _read(assertion: etree._Element) -> Assertion:
    issuer = _text(assertion.find(_tag(SAML, "Issuer")))
    subject = assertion.find(_tag(SAML, "Subject"))
    name_id = subject.find(_tag(SAML, "NameID")) if subject is not None else None
    if not issuer or subject is None or name_id is None or not _text(name_id):
        raise InvalidAssertion(MALFORMED)
    confirmations = []
    for confirmation in subject.findall(_tag(SAML, "SubjectConfirmation")):
        data = confirmation.find(_tag(SAML, "SubjectConfirmationData"))
        confirmations.append(
            Confirmation(
                method=str(confirmation.get("Method") or ""),
                recipient=str(data.get("Recipient"))
                if data is not None and data.get("Recipient")
                else None,
                not_on_or_after=_time(data, "NotOnOrAfter"),
                not_before=_time(data, "NotBefore"),
            )
        )
    conditions = assertion.find(_tag(SAML, "Conditions"))
    restrictions: list[tuple[str, ...]] = []
    if conditions is not None:
        for restriction in conditions.findall(_tag(SAML, "AudienceRestriction")):
            restrictions.append(
                tuple(_text(a) for a in restriction.findall(_tag(SAML, "Audience")))
            )
    session_end: dt.datetime | None = None
    for statement in assertion.findall(_tag(SAML, "AuthnStatement")):
        end = _time(statement, "SessionNotOnOrAfter")
        if end is not None and (session_end is None or end < session_end):
            session_end = end
    attributes: list[tuple[str, tuple[str, ...]]] = []
    for statement in assertion.findall(_tag(SAML, "AttributeStatement")):
        for attribute in statement.findall(_tag(SAML, "Attribute")):
            values = tuple(_text(v) for v in attribute.findall(_tag(SAML, "AttributeValue")))
            attributes.append((str(attribute.get("Name") or ""), values))
    return Assertion(
        issuer=issuer,
        name_id=_text(name_id),
        name_id_format=str(name_id.get("Format")) if name_id.get("Format") else None,
        confirmations=tuple(confirmations),
        not_before=_time(conditions, "NotBefore"),
        not_on_or_after=_time(conditions, "NotOnOrAfter"),
        audience_restrictions=tuple(restrictions),
        session_not_on_or_after=session_end,
        attributes=tuple(attributes),
    )


def verify_response(encoded: str, certificates: Sequence[x509.Certificate]) -> Assertion:
    """The signed assertion of a base64 SAMLResponse; InvalidAssertion otherwise."""
    data = decode(encoded)
    try:
        root = parse_xml(data)
    except XmlRejected:
        raise InvalidAssertion(MALFORMED) from None
    assertion = _structure(root)
    return _read(_trusted_assertion(data, root, assertion, certificates))


def read_unverified(encoded: str) -> Assertion:
    """The assertion of a SAMLResponse with its structure checked but NOT its signature
    (``verify_response`` is the check): only for showing what it offers."""
    data = decode(encoded)
    try:
        root = parse_xml(data)
    except XmlRejected:
        raise InvalidAssertion(MALFORMED) from None
    return _read(_structure(root))
