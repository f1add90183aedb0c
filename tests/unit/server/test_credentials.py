"""The credential lookup: keys from the store, cached until their account changes."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection

from iamd.auth.credentials import CredentialLookup
from iamd.errors import InvalidClientTokenId
from iamd.model.caller import CallerKind
from iamd.server.runtime import Runtime
from iamd.store import access_keys
from iamd.store.db import change_counter, touch_account

from .asgi import KEY_ID, SECRET


def resolve(runtime: Runtime, lookup: CredentialLookup, key_id: str) -> object:
    return runtime.database.run(False, lambda c: lookup.resolve(c, key_id, None))


def test_root_key(runtime: Runtime) -> None:
    lookup = CredentialLookup(runtime.box)
    found = runtime.database.run(False, lambda c: lookup.resolve(c, KEY_ID, None))
    assert found.secret_access_key == SECRET
    assert found.principal.caller.kind is CallerKind.ROOT
    assert found.principal.caller.arn == f"arn:aws:iam::{runtime.settings.account_id}:root"
    assert found.principal.counter == runtime.database.run(
        False, lambda c: change_counter(c, runtime.settings.account_id)
    )


@pytest.mark.parametrize("key_id", ["AKIANOSUCHKEY0000000", "ASIATEMPORARY0000000"])
def test_unknown_and_temporary_keys(runtime: Runtime, key_id: str) -> None:
    lookup = CredentialLookup(runtime.box)
    with pytest.raises(InvalidClientTokenId):
        resolve(runtime, lookup, key_id)


def test_a_deactivated_key_stops_working_at_the_next_write(runtime: Runtime) -> None:
    lookup = CredentialLookup(runtime.box)
    account = runtime.settings.account_id
    resolve(runtime, lookup, KEY_ID)

    def deactivate(conn: Connection, touch: bool) -> None:
        access_keys.update_status(conn, account, None, KEY_ID, access_keys.INACTIVE)
        if touch:
            touch_account(conn, account)

    runtime.database.run(True, lambda c: deactivate(c, touch=False))
    resolve(runtime, lookup, KEY_ID)  # no write was counted: the cache stands
    runtime.database.run(True, lambda c: deactivate(c, touch=True))
    with pytest.raises(InvalidClientTokenId):
        resolve(runtime, lookup, KEY_ID)
    with pytest.raises(InvalidClientTokenId):  # and it is not cached as good again
        resolve(runtime, lookup, KEY_ID)
