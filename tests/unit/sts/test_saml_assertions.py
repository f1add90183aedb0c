"""SAML responses: signatures verified by signxml, only signed content read, wrapping refused;
metadata parsing; the saml: keys. Real keys, no server."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
from typing import Any

import pytest
from lxml import etree

from iamd.cli.idp import saml as idp_lib
from iamd.iam.saml_providers import XmlRejected, parse_instant, parse_metadata, parse_xml
from iamd.sts import saml
from iamd.sts.saml_assertions import Assertion, InvalidAssertion, verify_response

SAML = idp_lib.SAML
SAMLP = idp_lib.SAMLP
DS = idp_lib.DS
ROLE = "arn:aws:iam::123456789012:role/r"
PROVIDER = "arn:aws:iam::123456789012:saml-provider/p"


@pytest.fixture(scope="module")
def idp() -> idp_lib.Idp:
    return idp_lib.generate("https://idp.example.test/saml")


def claims(subject: str = "alice", **extra: Any) -> idp_lib.Claims:
    return idp_lib.Claims(subject=subject, roles=[(ROLE, PROVIDER)], session_name=subject, **extra)


def verify(idp: idp_lib.Idp, xml: bytes) -> Assertion:
    return verify_response(base64.b64encode(xml).decode(), [idp.certificate])


def encode(root: etree._Element) -> bytes:
    return etree.tostring(root)


@pytest.mark.parametrize("sign", ["assertion", "response", "both"])
def test_signed_responses_verify(idp: idp_lib.Idp, sign: str) -> None:
    got = verify_response(
        idp_lib.encode(idp_lib.response(idp, claims(), sign=sign)), [idp.certificate]
    )
    assert got.issuer == "https://idp.example.test/saml"
    assert got.name_id == "alice"
    assert got.values(saml.ROLE) == (f"{ROLE},{PROVIDER}",)
    assert got.confirmations[0].recipient == "https://signin.aws.amazon.com/saml"


def test_any_certificate_of_the_provider_verifies(idp: idp_lib.Idp) -> None:
    other = idp_lib.generate()
    xml = idp_lib.response(idp, claims())
    got = verify_response(idp_lib.encode(xml), [other.certificate, idp.certificate])
    assert got.name_id == "alice"
    with pytest.raises(InvalidAssertion, match="Response signature invalid"):
        verify_response(idp_lib.encode(xml), [other.certificate])


def test_an_unsigned_response_is_refused(idp: idp_lib.Idp) -> None:
    with pytest.raises(InvalidAssertion, match="signature invalid"):
        verify(idp, idp_lib.response(idp, claims(), sign="none"))


@pytest.mark.parametrize("sign", ["assertion", "response"])
def test_any_change_after_signing_breaks_the_signature(idp: idp_lib.Idp, sign: str) -> None:
    root = etree.fromstring(idp_lib.response(idp, claims(), sign=sign))
    value = root.find(f".//{{{SAML}}}AttributeValue")
    assert value is not None
    value.text = f"arn:aws:iam::123456789012:role/admin,{PROVIDER}"
    with pytest.raises(InvalidAssertion, match="signature invalid"):
        verify(idp, encode(root))


def evil(idp: idp_lib.Idp) -> etree._Element:
    found = etree.fromstring(idp_lib.response(idp, claims("mallory"), sign="none")).find(
        f"{{{SAML}}}Assertion"
    )
    assert found is not None
    return found


def test_a_second_assertion_is_refused_wherever_it_is(idp: idp_lib.Idp) -> None:
    for position in ("before", "after"):
        root = etree.fromstring(idp_lib.response(idp, claims()))
        signed = root.find(f"{{{SAML}}}Assertion")
        assert signed is not None
        (signed.addprevious if position == "before" else signed.addnext)(evil(idp))
        with pytest.raises(InvalidAssertion, match="Invalid SAML response"):
            verify(idp, encode(root))


def test_a_moved_signed_assertion_is_refused(idp: idp_lib.Idp) -> None:
    root = etree.fromstring(idp_lib.response(idp, claims()))
    signed = root.find(f"{{{SAML}}}Assertion")
    assert signed is not None
    root.remove(signed)
    extensions = etree.SubElement(root, f"{{{SAMLP}}}Extensions")
    extensions.append(signed)
    with pytest.raises(InvalidAssertion):
        verify(idp, encode(root))


def test_a_signed_response_nested_in_another_is_refused(idp: idp_lib.Idp) -> None:
    original = etree.fromstring(idp_lib.response(idp, claims(), sign="response"))
    signature = original.find(f"{{{DS}}}Signature")
    assert signature is not None
    wrapper = etree.Element(f"{{{SAMLP}}}Response", ID="_evil", Version="2.0")
    wrapper.append(copy.deepcopy(original.find(f"{{{SAML}}}Issuer")))
    wrapper.append(copy.deepcopy(signature))
    wrapper.append(copy.deepcopy(original.find(f"{{{SAMLP}}}Status")))
    original.remove(signature)
    extensions = etree.SubElement(wrapper, f"{{{SAMLP}}}Extensions")
    extensions.append(original)
    with pytest.raises(InvalidAssertion):
        verify(idp, encode(wrapper))


def test_duplicate_ids_are_refused(idp: idp_lib.Idp) -> None:
    root = etree.fromstring(idp_lib.response(idp, claims()))
    assertion = root.find(f"{{{SAML}}}Assertion")
    assert assertion is not None
    root.set("ID", str(assertion.get("ID")))
    with pytest.raises(InvalidAssertion, match="Invalid SAML response"):
        verify(idp, encode(root))


@pytest.mark.parametrize("sign", ["assertion", "response"])
def test_what_is_read_is_only_what_was_signed(idp: idp_lib.Idp, sign: str) -> None:
    """A comment slipped into the signed NameID leaves the digest intact (canonical XML
    drops comments); a reader of the received document would see ``alice@example.com``,
    but what was signed, and what iamd reads, is the whole name."""
    xml = idp_lib.response(idp, claims("alice@example.com.evil.test"), sign=sign)
    marker = b':persistent">alice@example.com.evil.test<'
    assert xml.count(marker) == 1
    xml = xml.replace(marker, b':persistent">alice@example.com<!---->.evil.test<')
    name_id = etree.fromstring(xml).find(f".//{{{SAML}}}NameID")
    assert name_id is not None and name_id.text == "alice@example.com"
    got = verify(idp, xml)
    assert got.name_id == "alice@example.com.evil.test"


def test_failed_status_and_encrypted_assertions(idp: idp_lib.Idp) -> None:
    root = etree.fromstring(idp_lib.response(idp, claims()))
    code = root.find(f"{{{SAMLP}}}Status/{{{SAMLP}}}StatusCode")
    assert code is not None
    code.set("Value", "urn:oasis:names:tc:SAML:2.0:status:Requester")
    with pytest.raises(InvalidAssertion, match="success"):
        verify(idp, encode(root))
    root = etree.fromstring(idp_lib.response(idp, claims()))
    etree.SubElement(root, f"{{{SAML}}}EncryptedAssertion")
    with pytest.raises(InvalidAssertion, match="Encrypted"):
        verify(idp, encode(root))


@pytest.mark.parametrize(
    "data",
    [
        b"not xml",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>',
        b"<samlp:Other xmlns:samlp='urn:oasis:names:tc:SAML:2.0:protocol'/>",
    ],
)
def test_malformed_documents(idp: idp_lib.Idp, data: bytes) -> None:
    with pytest.raises(InvalidAssertion):
        verify(idp, data)
    with pytest.raises(InvalidAssertion):
        verify_response("!!not base64!!", [idp.certificate])


def test_xml_parser_refuses_dtds() -> None:
    with pytest.raises(XmlRejected):
        parse_xml('<!DOCTYPE r SYSTEM "http://example.test/x.dtd"><r/>')


# --- metadata ----------------------------------------------------------------------------------


def test_metadata_signing_keys_and_validity(idp: idp_lib.Idp) -> None:
    other = idp_lib.generate()
    document = idp_lib.metadata(idp)
    got = parse_metadata(document)
    assert got.entity_id == "https://idp.example.test/saml"
    assert got.certificates == (idp.certificate,)
    assert got.valid_until is None
    # A KeyDescriptor without ``use`` signs too; an encryption key does not; the earliest
    # validUntil wins.
    extra = idp_lib.metadata(other)
    start = extra.index("<md:KeyDescriptor")
    key = extra[start : extra.index("</md:KeyDescriptor>") + len("</md:KeyDescriptor>")]
    both = document.replace(
        "<md:KeyDescriptor", key.replace(' use="signing"', "") + "<md:KeyDescriptor", 1
    )
    both = both.replace(
        "<md:EntityDescriptor ", '<md:EntityDescriptor validUntil="2030-01-01T00:00:00Z" '
    )
    both = both.replace(
        "<md:IDPSSODescriptor ", '<md:IDPSSODescriptor validUntil="2029-06-01T00:00:00.5Z" '
    )
    got = parse_metadata(both)
    assert set(got.certificates) == {idp.certificate, other.certificate}
    assert got.valid_until == dt.datetime(2029, 6, 1, 0, 0, 0, 500000, tzinfo=dt.UTC)
    encryption = document.replace('use="signing"', 'use="encryption"')
    with pytest.raises(ValueError, match="no signing certificate"):
        parse_metadata(encryption)


def test_metadata_in_an_entities_descriptor(idp: idp_lib.Idp) -> None:
    inner = idp_lib.metadata(idp).split("\n", 1)[1]
    wrapped = (
        '<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">'
        + inner
        + "</md:EntitiesDescriptor>"
    )
    assert parse_metadata(wrapped).entity_id == "https://idp.example.test/saml"


def test_instants() -> None:
    assert parse_instant("2024-05-06T07:08:09Z") == dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    assert parse_instant("2024-05-06T07:08:09.1234567Z").microsecond == 123456
    assert parse_instant("2024-05-06T09:08:09+02:00").hour == 7
    with pytest.raises(ValueError):
        parse_instant("yesterday")


# --- the saml: keys ----------------------------------------------------------------------------


def test_name_qualifier_is_aws_pseudo_code() -> None:
    expected = base64.b64encode(
        hashlib.sha1(b"https://example.com/saml123456789012/MySAMLIdP").digest()
    ).decode()
    assert saml.name_qualifier("https://example.com/saml", "123456789012", "MySAMLIdP") == expected


@pytest.mark.parametrize(
    ("name_format", "sub_type", "subject_type"),
    [
        ("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", "persistent", "persistent"),
        ("urn:oasis:names:tc:SAML:2.0:nameid-format:transient", "transient", "transient"),
        (
            "urn:oasis:names:tc:SAML:2.0:nameid-format:entity",
            "urn:oasis:names:tc:SAML:2.0:nameid-format:entity",
            "entity",
        ),
        (
            "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
            "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
            "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
        ),
    ],
)
def test_subject_types(name_format: str, sub_type: str, subject_type: str) -> None:
    assert saml.sub_type(name_format) == sub_type
    assert saml.subject_type(name_format) == subject_type


def test_attribute_keys(idp: idp_lib.Idp) -> None:
    attributes = {
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.1": ["staff", "member"],
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.6": ["alice@example.edu"],
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": ["a@example.com"],
        "urn:example:unmapped": ["x"],
    }
    xml = idp_lib.response(idp, claims(attributes=attributes))
    got = verify(idp, xml)
    keys = saml.attribute_keys(got)
    assert keys == {
        "saml:edupersonaffiliation": ["staff", "member"],
        "saml:edupersonprincipalname": "alice@example.edu",
        "saml:mail": ["a@example.com"],
    }
