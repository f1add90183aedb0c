"""Every console page, as an administrator sees it: labelled controls, one main heading,
named pictures, reachable by keyboard, and nothing fetched from elsewhere (the ``page``
fixture checks that last one for every browser test)."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from .browser import allow, make_user, screenshot, sign_in
from .conftest import Credentials

UNLABELLED = """() => Array.from(document.querySelectorAll(
    'input:not([type=hidden]), select, textarea')).filter(el =>
    !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
    && !el.getAttribute('aria-labelledby')).map(el => el.outerHTML.slice(0, 120))"""

UNNAMED_PICTURES = """() => Array.from(document.querySelectorAll('svg, img')).filter(el =>
    !(el.getAttribute('alt') !== null || el.getAttribute('aria-label')
      || el.getAttribute('aria-labelledby') || el.getAttribute('aria-hidden') === 'true'
      || el.querySelector('title'))).map(el => el.outerHTML.slice(0, 120))"""


def _trust(principal: str) -> str:
    statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_every_page_is_labelled_and_usable_by_keyboard(
    page: Any, iam: Any, account: Credentials
) -> None:
    acct = account.account_id
    make_user(iam, "admin", allow("*"))
    iam.create_group(GroupName="devs")
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=_trust(f"arn:aws:iam::{acct}:root"))
    arn = iam.create_policy(PolicyName="p", PolicyDocument=allow("s3:GetObject"))["Policy"]["Arn"]
    sign_in(page, acct, "admin")
    page.wait_for_url("**/console")
    paths = [
        "/console",
        "/console/roles",
        "/console/roles/app",
        "/console/roles/create",
        "/console/users",
        "/console/users/admin",
        "/console/groups",
        "/console/groups/devs",
        "/console/policies",
        "/console/policies/view?arn=" + urllib.parse.quote(arn, safe=""),
        "/console/policies/new",
        "/console/users/new",
        "/console/providers",
        "/console/service-linked-roles",
        "/console/simulator",
        "/console/trail",
        "/console/switchrole",
    ]
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert page.evaluate(UNLABELLED) == [], path
        assert page.evaluate(UNNAMED_PICTURES) == [], path
        assert page.locator("h1").count() == 1, path
        assert page.locator("main").count() == 1, path
    # the keyboard reaches the navigation: the first Tab is the skip link
    page.goto("/console")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    screenshot(page, "accessibility-last-page")
