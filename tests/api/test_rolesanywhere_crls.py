"""Certificate revocation lists: their lifecycle, and CreateSession refusing a certificate
that an enabled CRL of the trust anchor revokes (the leaf's or an intermediate's)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from cryptography import x509

from pki import make_ca, make_crl, make_leaf

from .conftest import Credentials, IamdServer
from .rolesanywhere_support import create_session, make_setup


def test_crl_lifecycle(iamd_server: IamdServer, account: Credentials) -> None:
    setup = make_setup(iamd_server, account)
    ra = setup.ra
    crl_pem = make_crl(setup.ca, [])
    crl = ra.import_crl(name="ca-crl", crlData=crl_pem, trustAnchorArn=setup.anchor_arn)["crl"]
    assert crl["enabled"] is False
    assert crl["trustAnchorArn"] == setup.anchor_arn
    assert x509.load_der_x509_crl(crl["crlData"]).issuer == setup.ca.certificate.subject
    crl_id = crl["crlId"]
    assert ra.enable_crl(crlId=crl_id)["crl"]["enabled"] is True
    assert ra.get_crl(crlId=crl_id)["crl"]["enabled"] is True
    assert ra.update_crl(crlId=crl_id, name="renamed")["crl"]["name"] == "renamed"
    assert [c["crlId"] for c in ra.list_crls()["crls"]] == [crl_id]
    ra.tag_resource(resourceArn=crl["crlArn"], tags=[{"key": "k", "value": "v"}])
    assert ra.list_tags_for_resource(resourceArn=crl["crlArn"])["tags"] == [
        {"key": "k", "value": "v"}
    ]
    ra.delete_crl(crlId=crl_id)
    with pytest.raises(ClientError) as err:
        ra.get_crl(crlId=crl_id)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"

    with pytest.raises(ClientError) as err:
        ra.import_crl(name="bad", crlData=b"not a crl", trustAnchorArn=setup.anchor_arn)
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert ra.list_crls()["crls"] == []


@pytest.mark.parametrize("revoke", ["leaf", "intermediate"])
def test_a_revoked_certificate_is_refused_while_the_crl_is_enabled(
    iamd_server: IamdServer, account: Credentials, revoke: str
) -> None:
    setup = make_setup(iamd_server, account)
    intermediate = make_ca("Intermediate", issuer=setup.ca)
    leaf = make_leaf(intermediate)
    crl_pem = (
        make_crl(intermediate, [leaf]) if revoke == "leaf" else make_crl(setup.ca, [intermediate])
    )
    ra = setup.ra
    crl = ra.import_crl(name="crl", crlData=crl_pem, trustAnchorArn=setup.anchor_arn, enabled=True)[
        "crl"
    ]
    endpoint = iamd_server.endpoint
    refused = create_session(endpoint, leaf, setup.body(), chain=[intermediate])
    assert (refused.status, refused.error_type) == (403, "AccessDeniedException")
    assert refused.document["message"] == "Certificate has been revoked"
    other = make_leaf(intermediate, "other.example.com")
    if revoke == "leaf":  # another certificate of the same CA is not revoked
        assert create_session(endpoint, other, setup.body(), chain=[intermediate]).status == 201
    ra.disable_crl(crlId=crl["crlId"])
    assert create_session(endpoint, leaf, setup.body(), chain=[intermediate]).status == 201


def test_a_crl_signed_by_someone_else_revokes_nothing(
    iamd_server: IamdServer, account: Credentials
) -> None:
    setup = make_setup(iamd_server, account)
    leaf = make_leaf(setup.ca)
    impostor = make_ca("Test Root CA")  # the same name, another key
    crl_pem = make_crl(impostor, [leaf])
    setup.ra.import_crl(
        name="forged", crlData=crl_pem, trustAnchorArn=setup.anchor_arn, enabled=True
    )
    assert create_session(iamd_server.endpoint, leaf, setup.body()).status == 201
