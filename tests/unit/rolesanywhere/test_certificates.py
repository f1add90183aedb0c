"""Trust anchor bundles and certificate paths, with certificates made in the test."""

from __future__ import annotations

import pytest

from iamd.rolesanywhere import certificates
from iamd.rolesanywhere.certificates import BundleError, Untrusted, parse_bundle, verify_path
from pki import DAY, NOW, make_ca, make_leaf


def test_a_bundle_holds_ca_certificates_only() -> None:
    root, other = make_ca("Root"), make_ca("Other", kind="ec")
    assert len(parse_bundle((root.pem + other.pem).decode())) == 2
    with pytest.raises(BundleError, match="only CA certificates"):
        parse_bundle((root.pem + make_leaf(root).pem).decode())
    with pytest.raises(BundleError):
        parse_bundle("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    with pytest.raises(BundleError):
        parse_bundle("-----BEGIN CERTIFICATE-----\n" * 51)


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_paths_direct_and_through_intermediates(kind: str) -> None:
    root = make_ca(kind=kind)
    first = make_ca("First", kind=kind, issuer=root)
    second = make_ca("Second", kind=kind, issuer=first)
    leaf = make_leaf(second, kind=kind)
    path = verify_path(
        leaf.certificate, [first.certificate, second.certificate], [root.certificate], NOW
    )
    assert path.root == root.certificate
    assert path.intermediates == (second.certificate, first.certificate)
    direct = make_leaf(root, kind=kind)
    assert verify_path(direct.certificate, [], [root.certificate], NOW).intermediates == ()
    with pytest.raises(Untrusted):
        verify_path(leaf.certificate, [second.certificate], [root.certificate], NOW)


def test_refusals() -> None:
    root = make_ca()
    leaf = make_leaf(root)
    roots = [root.certificate]
    with pytest.raises(Untrusted, match="validity"):
        verify_path(leaf.certificate, [], roots, NOW + 60 * DAY)
    with pytest.raises(Untrusted, match="must not be a CA"):
        verify_path(make_ca("ca as leaf", issuer=root).certificate, [], roots, NOW)
    with pytest.raises(Untrusted, match="digital signatures"):
        verify_path(make_leaf(root, digital_signature=False).certificate, [], roots, NOW)
    # A chain certificate that is no CA cannot vouch for the leaf.
    not_a_ca = make_leaf(root, "intermediate pretender")
    forged = make_leaf(not_a_ca)  # signed by the pretender's key
    with pytest.raises(Untrusted, match="Untrusted Signing Certificate"):
        verify_path(forged.certificate, [not_a_ca.certificate], roots, NOW)
    expired_intermediate = make_ca(
        "Old", issuer=root, not_before=NOW - 10 * DAY, not_after=NOW - DAY
    )
    under_old = make_leaf(expired_intermediate)
    with pytest.raises(Untrusted, match="Intermediate certificate"):
        verify_path(under_old.certificate, [expired_intermediate.certificate], roots, NOW)


def test_attribute_names() -> None:
    leaf = make_leaf(make_ca("Issuing CA"), "host.example.com", san_dns="host.example.com")
    assert certificates.names(leaf.certificate.subject) == [
        ("CN", "host.example.com"),
        ("O", "iamd tests"),
    ]
    assert certificates.subject_alternative_names(leaf.certificate) == [("DNS", "host.example.com")]
