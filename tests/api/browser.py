"""The console's browser tests: Playwright (Python) driving Debian's Chromium.

``.ci/run`` installs the ``chromium`` package; on a machine without it the browser tests
are skipped with that reason, except under CI, where they fail. Screenshots of the pages
go to ``test-artifacts/console/`` at the top of the checkout.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import struct
import time
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts" / "console"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "Corr3ct-Horse-Battery!"


def totp(seed: bytes, offset: int = 0) -> str:
    """The RFC 6238 code of ``seed`` for the current 30-second step (+ ``offset`` steps)."""
    step = int(time.time()) // 30 + offset
    digest = hmac.new(seed, struct.pack(">Q", step), hashlib.sha1).digest()
    start = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[start : start + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def allow(*actions: str, resource: str = "*") -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": resource}],
        }
    )


def make_user(
    iam: Any, name: str, *policies: str, password: str = PASSWORD, reset: bool = False
) -> None:
    """An IAM user with a console password and inline policies."""
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password=password, PasswordResetRequired=reset)
    for index, document in enumerate(policies):
        iam.put_user_policy(UserName=name, PolicyName=f"p{index}", PolicyDocument=document)


def add_mfa(iam: Any, name: str) -> bytes:
    """A virtual MFA device enabled for ``name``; its seed."""
    made = iam.create_virtual_mfa_device(VirtualMFADeviceName=f"{name}-phone")["VirtualMFADevice"]
    seed = base64.b32decode(made["Base32StringSeed"])
    iam.enable_mfa_device(
        UserName=name,
        SerialNumber=made["SerialNumber"],
        AuthenticationCode1=totp(seed, -2),
        AuthenticationCode2=totp(seed, -1),
    )
    return seed


def sign_in(page: Any, account: str, user: str | None, password: str = PASSWORD) -> None:
    """Fill and send the sign-in form (``user`` None: the root user)."""
    page.goto("/console/signin")
    if user is None:
        page.get_by_role("radio", name="Root user").check()
    else:
        page.get_by_label("IAM user name").fill(user)
    page.get_by_label("Account ID (12 digits) or account alias").fill(account)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def in_ci() -> bool:
    return bool(os.environ.get("CI"))
