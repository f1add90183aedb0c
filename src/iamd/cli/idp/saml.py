"""``iamd idp saml``: a small local SAML 2.0 identity provider for development and tests.

It keeps an RSA key and a self-signed certificate (made with ``cryptography`` on first
use) in a directory (``--dir``, default ``$IAMD_DATA_DIR/idp/saml``), and:

- ``iamd idp saml metadata`` prints its metadata document, for CreateSAMLProvider
  (``--serve PORT`` serves it at ``http://127.0.0.1:PORT/metadata`` instead);
- ``iamd idp saml assertion --sub alice --role ROLE_ARN,PROVIDER_ARN ...`` prints a
  signed, base64 ``SAMLResponse`` for AssumeRoleWithSAML, with the session name, session
  tags, source identity and any other attributes given on the command line.

Signatures are made by signxml (RSA-SHA256, exclusive canonicalization), on the Assertion
by default, or on the Response, or both (``--sign``). The functions below are the
library the API tests use to make real assertions (and to tamper with them).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import http.server
import secrets
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml.algorithms import CanonicalizationMethod
from signxml.signer import XMLSigner

from iamd.config import Settings

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
AWS_SAML_ENDPOINT = "https://signin.aws.amazon.com/saml"
AWS_ATTRIBUTES = "https://aws.amazon.com/SAML/Attributes/"
NAMEID_FORMAT = "urn:oasis:names:tc:SAML:2.0:nameid-format:"
DEFAULT_ENTITY_ID = "urn:iamd:idp:saml:dev"
DEFAULT_SSO_URL = "http://127.0.0.1/iamd-idp/sso"
KEY_FILE = "saml-idp-key.pem"
CERT_FILE = "saml-idp-cert.pem"
ENTITY_FILE = "saml-idp-entity-id"


@dataclass(frozen=True)
class Idp:
    """The identity provider's identity: its entity id, key and certificate."""

    entity_id: str
    key: rsa.RSAPrivateKey = field(repr=False)
    certificate: x509.Certificate

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @property
    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


def generate(entity_id: str = DEFAULT_ENTITY_ID, *, now: dt.datetime | None = None) -> Idp:
    """A new IdP: a 2048-bit RSA key and a self-signed certificate valid for ten years."""
    moment = now or dt.datetime.now(dt.UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "iamd development SAML IdP")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(moment - dt.timedelta(days=1))
        .not_valid_after(moment + dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return Idp(entity_id, key, certificate)


def load_or_create(directory: Path, entity_id: str | None = None) -> Idp:
    """The IdP kept in ``directory``, made there on first use."""
    key_path, cert_path = directory / KEY_FILE, directory / CERT_FILE
    entity_path = directory / ENTITY_FILE
    if key_path.exists() and cert_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{key_path} is not an RSA private key")
        stored = entity_path.read_text().strip() if entity_path.exists() else DEFAULT_ENTITY_ID
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
        return Idp(entity_id or stored, key, certificate)
    idp = generate(entity_id or DEFAULT_ENTITY_ID)
    directory.mkdir(parents=True, exist_ok=True)
    key_path.touch(mode=0o600)
    key_path.write_bytes(idp.key_pem)
    cert_path.write_bytes(idp.certificate_pem)
    entity_path.write_text(idp.entity_id + "\n")
    return idp


def _certificate_b64(idp: Idp) -> str:
    return base64.b64encode(idp.certificate.public_bytes(serialization.Encoding.DER)).decode()


def metadata(idp: Idp, sso_url: str = DEFAULT_SSO_URL) -> str:
    """The IdP's SAML 2.0 metadata document (what CreateSAMLProvider takes)."""
    root = etree.Element(f"{{{MD}}}EntityDescriptor", nsmap={"md": MD, "ds": DS})
    root.set("entityID", idp.entity_id)
    descriptor = etree.SubElement(root, f"{{{MD}}}IDPSSODescriptor")
    descriptor.set("WantAuthnRequestsSigned", "false")
    descriptor.set("protocolSupportEnumeration", SAMLP)
    key = etree.SubElement(descriptor, f"{{{MD}}}KeyDescriptor", use="signing")
    info = etree.SubElement(key, f"{{{DS}}}KeyInfo")
    data = etree.SubElement(info, f"{{{DS}}}X509Data")
    etree.SubElement(data, f"{{{DS}}}X509Certificate").text = _certificate_b64(idp)
    for name_format in ("persistent", "transient"):
        etree.SubElement(descriptor, f"{{{MD}}}NameIDFormat").text = NAMEID_FORMAT + name_format
    sso = etree.SubElement(descriptor, f"{{{MD}}}SingleSignOnService")
    sso.set("Binding", "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST")
    sso.set("Location", sso_url)
    text: str = etree.tostring(root, pretty_print=True, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + text


# --- responses ---------------------------------------------------------------------------


@dataclass
class Claims:
    """What the IdP asserts about its user (``roles``: (role ARN, provider ARN) pairs)."""

    subject: str
    roles: Sequence[tuple[str, str]] = ()
    session_name: str | None = None
    name_format: str = "persistent"
    tags: Mapping[str, str] = field(default_factory=dict)
    transitive_tag_keys: Sequence[str] = ()
    source_identity: str | None = None
    session_duration: int | None = None
    attributes: Mapping[str, Sequence[str]] = field(default_factory=dict)
    recipient: str = AWS_SAML_ENDPOINT
    audience: str | None = AWS_SAML_ENDPOINT
    lifetime: dt.timedelta = dt.timedelta(minutes=5)
    session_lifetime: dt.timedelta | None = None


def _instant(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


def _new_id() -> str:
    return "_" + secrets.token_hex(16)


def _attributes(claims: Claims) -> list[tuple[str, list[str]]]:
    found: list[tuple[str, list[str]]] = []
    if claims.roles:
        found.append((AWS_ATTRIBUTES + "Role", [f"{r},{p}" for r, p in claims.roles]))
    if claims.session_name is not None:
        found.append((AWS_ATTRIBUTES + "RoleSessionName", [claims.session_name]))
    if claims.session_duration is not None:
        found.append((AWS_ATTRIBUTES + "SessionDuration", [str(claims.session_duration)]))
    if claims.source_identity is not None:
        found.append((AWS_ATTRIBUTES + "SourceIdentity", [claims.source_identity]))
    for key, value in claims.tags.items():
        found.append((AWS_ATTRIBUTES + f"PrincipalTag:{key}", [value]))
    if claims.transitive_tag_keys:
        found.append((AWS_ATTRIBUTES + "TransitiveTagKeys", list(claims.transitive_tag_keys)))
    for name, values in claims.attributes.items():
        found.append((name, list(values)))
    return found


def _placeholder(parent: etree._Element, after: etree._Element) -> None:
    """Where signxml puts the signature: right after the Issuer, as the schema wants."""
    signature = etree.Element(f"{{{DS}}}Signature", Id="placeholder", nsmap={"ds": DS})
    after.addnext(signature)


def _sign(idp: Idp, element: etree._Element) -> etree._Element:
    signer = XMLSigner(c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0)
    signed: etree._Element = signer.sign(
        element,
        key=idp.key,
        cert=[idp.certificate],
        reference_uri="#" + str(element.get("ID")),
        id_attribute="ID",
    )
    return signed


def assertion_element(idp: Idp, claims: Claims, now: dt.datetime) -> etree._Element:
    """An unsigned ``saml:Assertion`` (with a signature placeholder after its Issuer)."""
    until = _instant(now + claims.lifetime)
    assertion = etree.Element(f"{{{SAML}}}Assertion", nsmap={"saml": SAML})
    assertion.set("ID", _new_id())
    assertion.set("Version", "2.0")
    assertion.set("IssueInstant", _instant(now))
    issuer = etree.SubElement(assertion, f"{{{SAML}}}Issuer")
    issuer.text = idp.entity_id
    subject = etree.SubElement(assertion, f"{{{SAML}}}Subject")
    name_id = etree.SubElement(subject, f"{{{SAML}}}NameID")
    name_format = claims.name_format
    name_id.set("Format", name_format if ":" in name_format else NAMEID_FORMAT + name_format)
    name_id.text = claims.subject
    confirmation = etree.SubElement(subject, f"{{{SAML}}}SubjectConfirmation")
    confirmation.set("Method", "urn:oasis:names:tc:SAML:2.0:cm:bearer")
    data = etree.SubElement(confirmation, f"{{{SAML}}}SubjectConfirmationData")
    data.set("NotOnOrAfter", until)
    data.set("Recipient", claims.recipient)
    conditions = etree.SubElement(assertion, f"{{{SAML}}}Conditions")
    conditions.set("NotBefore", _instant(now - dt.timedelta(seconds=5)))
    conditions.set("NotOnOrAfter", until)
    if claims.audience is not None:
        restriction = etree.SubElement(conditions, f"{{{SAML}}}AudienceRestriction")
        etree.SubElement(restriction, f"{{{SAML}}}Audience").text = claims.audience
    authn = etree.SubElement(assertion, f"{{{SAML}}}AuthnStatement")
    authn.set("AuthnInstant", _instant(now))
    authn.set("SessionIndex", _new_id())
    if claims.session_lifetime is not None:
        authn.set("SessionNotOnOrAfter", _instant(now + claims.session_lifetime))
    context = etree.SubElement(authn, f"{{{SAML}}}AuthnContext")
    etree.SubElement(
        context, f"{{{SAML}}}AuthnContextClassRef"
    ).text = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
    attributes = _attributes(claims)
    if attributes:
        statement = etree.SubElement(assertion, f"{{{SAML}}}AttributeStatement")
        for name, values in attributes:
            attribute = etree.SubElement(statement, f"{{{SAML}}}Attribute", Name=name)
            for value in values:
                etree.SubElement(attribute, f"{{{SAML}}}AttributeValue").text = value
    _placeholder(assertion, issuer)
    return assertion


def response(
    idp: Idp, claims: Claims, *, now: dt.datetime | None = None, sign: str = "assertion"
) -> bytes:
    """A ``samlp:Response`` carrying one assertion, signed as ``sign`` says
    (``assertion``, ``response``, ``both`` or ``none``)."""
    moment = now or dt.datetime.now(dt.UTC)
    assertion = assertion_element(idp, claims, moment)
    if sign in ("assertion", "both"):
        assertion = _sign(idp, assertion)
    else:
        placeholder = assertion.find(f"{{{DS}}}Signature")
        if placeholder is not None:
            assertion.remove(placeholder)
    root = etree.Element(f"{{{SAMLP}}}Response", nsmap={"samlp": SAMLP, "saml": SAML})
    root.set("ID", _new_id())
    root.set("Version", "2.0")
    root.set("IssueInstant", _instant(moment))
    root.set("Destination", claims.recipient)
    issuer = etree.SubElement(root, f"{{{SAML}}}Issuer")
    issuer.text = idp.entity_id
    status = etree.SubElement(root, f"{{{SAMLP}}}Status")
    etree.SubElement(
        status, f"{{{SAMLP}}}StatusCode", Value="urn:oasis:names:tc:SAML:2.0:status:Success"
    )
    root.append(assertion)
    if sign in ("response", "both"):
        _placeholder(root, issuer)
        root = _sign(idp, root)
    out: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return out


def encode(xml: bytes) -> str:
    """The base64 ``SAMLResponse`` AssumeRoleWithSAML takes."""
    return base64.b64encode(xml).decode("ascii")


# --- the command -------------------------------------------------------------------------


def _directory(args: argparse.Namespace) -> Path:
    if args.dir:
        return Path(args.dir)
    return Settings.from_env().data_dir / "idp" / "saml"


def _pair(text: str) -> tuple[str, str]:
    role, sep, provider = text.partition(",")
    if not sep or not role or not provider:
        raise argparse.ArgumentTypeError("expected ROLE_ARN,PROVIDER_ARN")
    return role.strip(), provider.strip()


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError("expected KEY=VALUE")
    return key, value


def register(subparsers: Any) -> None:
    """Add ``saml`` (with ``metadata`` and ``assertion``) to ``iamd idp``'s subcommands."""
    saml = subparsers.add_parser("saml", help="a local SAML 2.0 identity provider")
    sub = saml.add_subparsers(dest="saml_command", metavar="SUBCOMMAND", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dir", help="key directory (default: $IAMD_DATA_DIR/idp/saml)")
    common.add_argument("--entity-id", help=f"the IdP's entity id (default {DEFAULT_ENTITY_ID})")

    meta = sub.add_parser("metadata", parents=[common], help="print the IdP's metadata")
    meta.add_argument("--sso-url", default=DEFAULT_SSO_URL, help="SingleSignOnService URL")
    meta.add_argument("--serve", type=int, metavar="PORT", help="serve it at /metadata")
    meta.set_defaults(handler=run_metadata)

    issue = sub.add_parser("assertion", parents=[common], help="print a signed SAMLResponse")
    issue.add_argument("--sub", required=True, help="the NameID (the user)")
    issue.add_argument(
        "--role", type=_pair, action="append", default=[], metavar="ROLE_ARN,PROVIDER_ARN"
    )
    issue.add_argument("--session-name", help="RoleSessionName (default: the subject)")
    issue.add_argument("--name-format", default="persistent", help="persistent, transient, URI")
    issue.add_argument("--tag", type=_key_value, action="append", default=[], metavar="K=V")
    issue.add_argument("--transitive-tag-key", action="append", default=[], metavar="KEY")
    issue.add_argument("--source-identity")
    issue.add_argument("--session-duration", type=int, metavar="SECONDS")
    issue.add_argument(
        "--attribute", type=_key_value, action="append", default=[], metavar="NAME=VALUE"
    )
    issue.add_argument("--recipient", default=AWS_SAML_ENDPOINT)
    issue.add_argument("--audience", default=AWS_SAML_ENDPOINT)
    issue.add_argument("--lifetime", type=int, default=300, metavar="SECONDS")
    issue.add_argument("--sign", choices=("assertion", "response", "both"), default="assertion")
    issue.add_argument("--xml", action="store_true", help="print the XML, not base64")
    issue.set_defaults(handler=run_assertion)


def run_metadata(args: argparse.Namespace) -> int:
    idp = load_or_create(_directory(args), args.entity_id)
    document = metadata(idp, args.sso_url)
    if args.serve is None:
        print(document, end="")
        return 0
    body = document.encode("utf-8")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] != "/metadata":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/samlmetadata+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.serve), Handler)
    print(f"serving SAML metadata at http://127.0.0.1:{args.serve}/metadata", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def run_assertion(args: argparse.Namespace) -> int:
    idp = load_or_create(_directory(args), args.entity_id)
    attributes: dict[str, list[str]] = {}
    for name, value in args.attribute:
        attributes.setdefault(name, []).append(value)
    claims = Claims(
        subject=args.sub,
        roles=args.role,
        session_name=args.session_name or args.sub,
        name_format=args.name_format,
        tags=dict(args.tag),
        transitive_tag_keys=args.transitive_tag_key,
        source_identity=args.source_identity,
        session_duration=args.session_duration,
        attributes=attributes,
        recipient=args.recipient,
        audience=args.audience or None,
        lifetime=dt.timedelta(seconds=args.lifetime),
    )
    xml = response(idp, claims, sign=args.sign)
    print(xml.decode("utf-8") if args.xml else encode(xml))
    return 0
