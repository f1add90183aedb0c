"""Terraform's hashicorp/aws provider manages IAM against iamd: create, read back with no
drift, update, and destroy (a user with ``force_destroy`` included).

The provider is taken from a local filesystem mirror (these machines keep one; nothing is
downloaded). Without ``terraform`` or the mirror the test is skipped, saying which is missing.
One run costs about a minute, so it runs on the SQLite server only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from .conftest import Credentials, IamdServer

PROVIDER_VERSION_FILE = "registry.terraform.io/hashicorp/aws"


def _provider_mirror() -> Path | None:
    """The folder holding ``registry.terraform.io/hashicorp/aws``, if the machine has one."""
    configured = os.environ.get("IAMD_TERRAFORM_MIRROR")
    candidates = [Path(configured)] if configured else []
    candidates += [Path("/opt/tf-plugins"), Path.home() / ".terraform.d" / "plugins"]
    for base in candidates:
        if (base / PROVIDER_VERSION_FILE).is_dir():
            return base
    return None


def _provider_version(mirror: Path) -> str:
    versions = sorted((mirror / PROVIDER_VERSION_FILE).iterdir(), key=lambda p: p.name)
    return versions[-1].name


class Terraform:
    """``terraform`` in one working directory, pointed at iamd with one account's root."""

    def __init__(self, workdir: Path, mirror: Path, server: IamdServer, root: Credentials):
        self.workdir = workdir
        self.version = _provider_version(mirror)
        rc = workdir / "cli.tfrc"
        rc.write_text(
            "provider_installation {\n"
            f'  filesystem_mirror {{\n    path = "{mirror}"\n'
            '    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
            '  direct { exclude = ["registry.terraform.io/hashicorp/aws"] }\n}\n'
        )
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_", "IAMD_"))
        }
        self.env.update(
            TF_CLI_CONFIG_FILE=str(rc),
            TF_IN_AUTOMATION="1",
            CHECKPOINT_DISABLE="1",
            AWS_ACCESS_KEY_ID=root.access_key_id,
            AWS_SECRET_ACCESS_KEY=root.secret_access_key,
            AWS_REGION="us-east-1",
            AWS_EC2_METADATA_DISABLED="true",
        )
        self.endpoint = server.endpoint

    def write(self, resources: str) -> None:
        provider = f"""
terraform {{
  required_providers {{
    aws = {{ source = "hashicorp/aws", version = "{self.version}" }}
  }}
}}
provider "aws" {{
  region                  = "us-east-1"
  skip_metadata_api_check = true
  endpoints {{
    iam = "{self.endpoint}"
    sts = "{self.endpoint}"
  }}
}}
"""
        (self.workdir / "main.tf").write_text(provider + resources)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            ["terraform", *args, "-no-color"],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if check:
            assert done.returncode == 0, done.stderr[-4000:] + done.stdout[-4000:]
        return done

    def apply(self) -> None:
        self.run("apply", "-auto-approve", "-input=false")

    def assert_no_drift(self) -> None:
        """``plan -detailed-exitcode`` answers 0: what iamd reads back is what was written."""
        done = self.run("plan", "-detailed-exitcode", "-input=false", check=False)
        assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]

    def outputs(self) -> dict[str, Any]:
        raw = json.loads(self.run("output", "-json").stdout)
        return {name: entry["value"] for name, entry in raw.items()}


def _ssh_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )


def _certificate(key: ec.EllipticCurvePrivateKey | None = None) -> str:
    key = key or ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "terraform")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"Service": "ec2.amazonaws.com"},
            }
        ],
    }
)


def _resources(
    *,
    tag: str,
    max_session: int,
    action: str,
    status: str,
    ssh_key: str,
    certificate: str,
    server_certificate: str,
    server_key: str,
) -> str:
    """The IAM estate under test; the arguments are what the update step changes."""
    return f"""
resource "aws_iam_user" "u" {{
  name          = "tf-user"
  path          = "/tf/"
  force_destroy = true
  tags          = {{ team = "{tag}" }}
}}
resource "aws_iam_role" "r" {{
  name                 = "tf-role"
  assume_role_policy   = jsonencode({TRUST})
  max_session_duration = {max_session}
  tags                 = {{ team = "{tag}" }}
}}
resource "aws_iam_policy" "p" {{
  name = "tf-policy"
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "{action}", Resource = "*" }}]
  }})
}}
resource "aws_iam_role_policy_attachment" "a" {{
  role       = aws_iam_role.r.name
  policy_arn = aws_iam_policy.p.arn
}}
resource "aws_iam_role_policy" "inline" {{
  name = "inline"
  role = aws_iam_role.r.id
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Deny", Action = "s3:DeleteBucket", Resource = "*" }}]
  }})
}}
resource "aws_iam_group" "g" {{
  name = "tf-group"
}}
resource "aws_iam_user_group_membership" "m" {{
  user   = aws_iam_user.u.name
  groups = [aws_iam_group.g.name]
}}
resource "aws_iam_instance_profile" "ip" {{
  name = "tf-ip"
  role = aws_iam_role.r.name
}}
resource "aws_iam_openid_connect_provider" "o" {{
  url             = "https://token.example.com"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]
  tags            = {{ team = "{tag}" }}
}}
resource "aws_iam_service_linked_role" "slr" {{
  aws_service_name = "autoscaling.amazonaws.com"
  description      = "Scaling for {tag}"
}}
resource "aws_iam_user_login_profile" "lp" {{
  user                    = aws_iam_user.u.name
  password_reset_required = true
}}
resource "aws_iam_user_ssh_key" "ssh" {{
  username   = aws_iam_user.u.name
  encoding   = "SSH"
  public_key = "{ssh_key}"
  status     = "{status}"
}}
resource "aws_iam_signing_certificate" "cert" {{
  user_name        = aws_iam_user.u.name
  certificate_body = <<EOT
{certificate}EOT
  status           = "{status}"
}}
resource "aws_iam_service_specific_credential" "git" {{
  service_name = "codecommit.amazonaws.com"
  user_name    = aws_iam_user.u.name
  status       = "{status}"
}}
resource "aws_iam_server_certificate" "tls" {{
  name             = "tf-tls"
  certificate_body = <<EOT
{server_certificate}EOT
  private_key      = <<EOT
{server_key}EOT
  tags             = {{ team = "{tag}" }}
}}
output "role_arn" {{ value = aws_iam_role.r.arn }}
output "policy_arn" {{ value = aws_iam_policy.p.arn }}
"""


@pytest.fixture
def terraform(
    iamd_server: IamdServer, account: Credentials, tmp_path: Path
) -> Callable[[], Terraform]:
    if shutil.which("terraform") is None:
        pytest.skip("terraform is not installed on this machine")
    mirror = _provider_mirror()
    if mirror is None:
        pytest.skip("no local provider mirror holding hashicorp/aws (set IAMD_TERRAFORM_MIRROR)")
    if iamd_server.db_url is not None:
        pytest.skip("one Terraform run (on SQLite) is enough: each costs about a minute")

    def make() -> Terraform:
        return Terraform(tmp_path, mirror, iamd_server, account)

    return make


def test_terraform_creates_reads_updates_and_destroys(
    terraform: Callable[[], Terraform], iam: Any
) -> None:
    tf = terraform()
    server_key = ec.generate_private_key(ec.SECP256R1())
    keys = {
        "ssh_key": _ssh_key(),
        "certificate": _certificate(),
        "server_certificate": _certificate(server_key),
        "server_key": server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
    }
    tf.write(
        _resources(tag="red", max_session=3600, action="s3:GetObject", status="Active", **keys)
    )
    tf.run("init", "-input=false")
    tf.apply()
    tf.assert_no_drift()

    out = tf.outputs()
    role = iam.get_role(RoleName="tf-role")["Role"]
    assert role["Arn"] == out["role_arn"]
    assert role["MaxSessionDuration"] == 3600
    attached = iam.list_attached_role_policies(RoleName="tf-role")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [out["policy_arn"]]
    assert iam.get_user(UserName="tf-user")["User"]["Path"] == "/tf/"
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="tf-user")["Groups"]] == [
        "tf-group"
    ]
    profile = iam.get_instance_profile(InstanceProfileName="tf-ip")["InstanceProfile"]
    assert [r["RoleName"] for r in profile["Roles"]] == ["tf-role"]
    assert iam.get_login_profile(UserName="tf-user")["LoginProfile"]["PasswordResetRequired"]
    assert len(iam.list_ssh_public_keys(UserName="tf-user")["SSHPublicKeys"]) == 1
    assert len(iam.list_signing_certificates(UserName="tf-user")["Certificates"]) == 1
    listed = iam.list_service_specific_credentials(UserName="tf-user")
    assert len(listed["ServiceSpecificCredentials"]) == 1
    tls = iam.get_server_certificate(ServerCertificateName="tf-tls")["ServerCertificate"]
    assert tls["Tags"] == [{"Key": "team", "Value": "red"}]

    tf.write(
        _resources(tag="blue", max_session=7200, action="s3:PutObject", status="Inactive", **keys)
    )
    tf.apply()
    tf.assert_no_drift()
    assert iam.get_role(RoleName="tf-role")["Role"]["MaxSessionDuration"] == 7200
    assert iam.list_role_tags(RoleName="tf-role")["Tags"] == [{"Key": "team", "Value": "blue"}]
    policy = iam.get_policy(PolicyArn=out["policy_arn"])["Policy"]
    document = iam.get_policy_version(
        PolicyArn=out["policy_arn"], VersionId=policy["DefaultVersionId"]
    )["PolicyVersion"]["Document"]
    assert document["Statement"][0]["Action"] == "s3:PutObject"
    keys_now = iam.list_ssh_public_keys(UserName="tf-user")["SSHPublicKeys"]
    assert [k["Status"] for k in keys_now] == ["Inactive"]

    # What force_destroy must clear although Terraform did not make it.
    iam.create_access_key(UserName="tf-user")
    iam.upload_ssh_public_key(UserName="tf-user", SSHPublicKeyBody=_ssh_key())
    iam.upload_signing_certificate(UserName="tf-user", CertificateBody=_certificate())
    iam.create_service_specific_credential(
        UserName="tf-user", ServiceName="cassandra.amazonaws.com"
    )
    iam.put_user_policy(
        UserName="tf-user",
        PolicyName="extra",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
            }
        ),
    )

    tf.run("destroy", "-auto-approve", "-input=false")
    assert [u["UserName"] for u in iam.list_users()["Users"]] == []
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == []
    assert iam.list_policies(Scope="Local")["Policies"] == []
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []
    assert iam.list_instance_profiles()["InstanceProfiles"] == []
    assert iam.list_server_certificates()["ServerCertificateMetadataList"] == []
