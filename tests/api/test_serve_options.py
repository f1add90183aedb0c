"""``iamd serve --certfile/--keyfile`` serves HTTPS; ``--no-upgrade`` refuses a store whose
schema needs an upgrade instead of upgrading it."""

from __future__ import annotations

import datetime as dt
import ipaddress
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import text

from iamd.store import migrate
from iamd.store.db import Database

from .conftest import IamdServer, _master_key


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = directory / "cert.pem", directory / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certfile, keyfile


class _HttpsServer(IamdServer):
    @property
    def endpoint(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def _wait_ready(self) -> bool:  # /healthz over TLS with the test's own CA
        import ssl
        import time
        import urllib.request

        context = ssl.create_default_context(cafile=str(self.data_dir / "cert.pem"))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(
                    f"{self.endpoint}/healthz", timeout=2, context=context
                ) as response:
                    return bool(response.status == 200)
            except OSError:
                time.sleep(0.05)
        return False


def test_https_with_certfile_and_keyfile(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    certfile, keyfile = _self_signed(data)
    server = _HttpsServer("sqlite", data, None, _master_key())
    server.start("--certfile", str(certfile), "--keyfile", str(keyfile))
    try:
        sts: Any = boto3.session.Session().client(
            "sts",
            endpoint_url=server.endpoint,
            region_name="us-east-1",
            aws_access_key_id=server.root.access_key_id,
            aws_secret_access_key=server.root.secret_access_key,
            verify=str(certfile),
            config=Config(retries={"total_max_attempts": 1}),
        )
        assert sts.get_caller_identity()["Account"] == server.root.account_id
        _console_cookies_are_secure(server, certfile)
    finally:
        server.stop()
        server.close_database()


def _console_cookies_are_secure(server: IamdServer, certfile: Path) -> None:
    """Under TLS the console's cookies carry Secure (and HttpOnly, SameSite)."""
    import re
    import ssl
    import subprocess
    import sys
    import urllib.parse
    import urllib.request

    account = server.root.account_id or ""
    subprocess.run(
        [sys.executable, "-m", "iamd.cli.main", "account", "password", account],
        input="R00t-password-long\n",
        env=server.env(),
        text=True,
        check=True,
        capture_output=True,
        timeout=60,
    )
    context = ssl.create_default_context(cafile=str(certfile))
    with urllib.request.urlopen(
        f"{server.endpoint}/console/signin", context=context, timeout=10
    ) as page:
        csrf_cookie = page.headers["Set-Cookie"]
        form_secret = re.search(r'name="csrf" value="([^"]+)"', page.read().decode())
    assert form_secret is not None
    assert "Secure" in csrf_cookie and "HttpOnly" in csrf_cookie
    form = urllib.parse.urlencode(
        {
            "csrf": form_secret.group(1),
            "kind": "root",
            "account": account,
            "password": "R00t-password-long",
            "next": "/console",
        }
    ).encode()
    request = urllib.request.Request(f"{server.endpoint}/console/signin", data=form)
    request.add_header("Cookie", csrf_cookie.split(";", 1)[0])

    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), Stay)
    try:
        opener.open(request, timeout=10)
        raise AssertionError("sign-in should redirect")
    except urllib.error.HTTPError as moved:
        with moved:
            assert moved.code == 303
            session_cookie = moved.headers["Set-Cookie"]
    assert session_cookie.startswith("iamd-console=")
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie
    assert "SameSite=lax" in session_cookie or "SameSite=Lax" in session_cookie


def test_no_upgrade_refuses_an_older_store(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    server = IamdServer("sqlite", data, None, _master_key())
    db = Database(f"sqlite:///{data / 'iamd.sqlite3'}")
    try:
        with db.transaction(write=True) as conn:
            from alembic import command

            command.upgrade(migrate._config(conn), migrate.BASELINE)
            conn.execute(text("DROP TABLE alembic_version"))
    finally:
        db.dispose()
    done = subprocess.run(
        [sys.executable, "-m", "iamd.cli.main", "serve", "--port", "1", "--no-upgrade"],
        env=server.env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "iamd db upgrade" in done.stderr
    server.start()  # without --no-upgrade it upgrades the store and serves
    try:
        assert server.client("iam").list_users()["Users"] == []
    finally:
        server.stop()
        server.close_database()
