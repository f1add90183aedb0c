"""Fixtures for the SigV4 tests (helpers themselves live in ``sigv4_helpers``)."""

from __future__ import annotations

import pytest
from sigv4_helpers import BotocoreSigner, FakeKeyStore

from iamd.auth import SigV4Verifier


@pytest.fixture
def keys() -> FakeKeyStore:
    return FakeKeyStore()


@pytest.fixture
def sts_verifier(keys: FakeKeyStore) -> SigV4Verifier[str]:
    return SigV4Verifier(keys, ("sts",))


@pytest.fixture
def iam_verifier(keys: FakeKeyStore) -> SigV4Verifier[str]:
    return SigV4Verifier(keys, ("iam",), regions=("us-east-1",))


@pytest.fixture
def signer(monkeypatch: pytest.MonkeyPatch) -> BotocoreSigner:
    return BotocoreSigner(monkeypatch)
