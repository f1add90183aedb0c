"""Session tokens: round trips, binding to the access key, tampering, size, rotation."""

from __future__ import annotations

import random

import pytest

from iamd.store.db import Database
from iamd.store.secrets import AesGcmBox
from iamd.sts import tokens
from iamd.sts.keyring import KeyRing
from iamd.sts.tokens import InvalidToken, SessionClaims, SessionKind

from .conftest import START

AKID = "ASIAAAAAAAAAAAAAAAAA"
OTHER_AKID = "ASIABBBBBBBBBBBBBBBB"

CLAIMS = SessionClaims(
    kind=SessionKind.ROLE,
    account_id="123456789012",
    principal_id="AROAEXAMPLEEXAMPLE1",
    principal_arn="arn:aws:iam::123456789012:role/app/deploy",
    name="alice",
    issued_at=1714564800,
    expires_at=1714568400,
    secret="s" * 40,
)


def _seal(ring: KeyRing, db: Database, rng: random.Random, claims: SessionClaims = CLAIMS) -> str:
    with db.transaction() as conn:
        return tokens.seal(ring, conn, claims, AKID, now=START, random=rng.randbytes)


def _open(ring: KeyRing, db: Database, token: str, akid: str = AKID) -> SessionClaims:
    with db.transaction(write=False) as conn:
        return tokens.open_token(ring, conn, token, akid)


def test_round_trip_keeps_every_claim(ring: KeyRing, db: Database, rng: random.Random) -> None:
    full = SessionClaims(
        kind=SessionKind.ROLE,
        account_id="123456789012",
        principal_id="AROAEXAMPLEEXAMPLE1",
        principal_arn="arn:aws:iam::123456789012:role/r",
        name="s",
        issued_at=1,
        expires_at=2,
        secret="x" * 40,
        policies=('{"Version":"2012-10-17","Statement":[]}',),
        has_policy=True,
        tags=(("Project", "Ünicode"), ("Team", "")),
        transitive_keys=("Project",),
        source_identity="alice",
        chained=True,
        mfa_at=1,
    )
    assert _open(ring, db, _seal(ring, db, rng, full)) == full


def test_plain_role_session_token_is_small(ring: KeyRing, db: Database, rng: random.Random) -> None:
    token = _seal(ring, db, rng)
    assert len(token) < 400
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_large_policies_are_compressed(ring: KeyRing, db: Database, rng: random.Random) -> None:
    policy = (
        '{"Version":"2012-10-17","Statement":['
        + ",".join(
            f'{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b{i}/*"}}'
            for i in range(40)
        )
        + "]}"
    )
    claims = SessionClaims(**{**_fields(CLAIMS), "policies": (policy,), "has_policy": True})
    token = _seal(ring, db, rng, claims)
    assert len(token) < len(policy) / 2
    assert _open(ring, db, token).policies == (policy,)


def _fields(c: SessionClaims) -> dict[str, object]:
    return {name: getattr(c, name) for name in SessionClaims.__slots__}


def test_token_for_another_access_key_does_not_open(
    ring: KeyRing, db: Database, rng: random.Random
) -> None:
    token = _seal(ring, db, rng)
    with pytest.raises(InvalidToken):
        _open(ring, db, token, OTHER_AKID)


@pytest.mark.parametrize("position", [0, 1, 7, 20, -1])
def test_any_altered_byte_is_rejected(
    ring: KeyRing, db: Database, rng: random.Random, position: int
) -> None:
    raw = bytearray(tokens.b64decode(_seal(ring, db, rng)))
    raw[position] ^= 0x01
    with pytest.raises(InvalidToken):
        _open(ring, db, tokens.b64encode(bytes(raw)))


@pytest.mark.parametrize("cut", [1, 10, 40, 100])
def test_truncated_tokens_are_rejected(
    ring: KeyRing, db: Database, rng: random.Random, cut: int
) -> None:
    token = _seal(ring, db, rng)
    with pytest.raises(InvalidToken):
        _open(ring, db, token[:-cut])


@pytest.mark.parametrize("garbage", ["", "!!!", "é", "AQoDYXdzEPT//////////wEXAMPLE", "A" * 64])
def test_garbage_is_rejected(ring: KeyRing, db: Database, garbage: str) -> None:
    with pytest.raises(InvalidToken):
        _open(ring, db, garbage)


def test_another_stores_ring_cannot_open(
    ring: KeyRing, db: Database, rng: random.Random, tmp_path: object
) -> None:
    token = _seal(ring, db, rng)
    other = Database("sqlite://")
    other.create_schema()
    other_box = AesGcmBox(bytes(32))
    other_ring = KeyRing(other_box)
    other_ring.ensure(other, START, rng.randbytes)
    with other.transaction(write=False) as conn, pytest.raises(InvalidToken):
        tokens.open_token(other_ring, conn, token, AKID)
    other.dispose()


def test_rotation_keeps_old_tokens_open_until_retired(
    ring: KeyRing, db: Database, rng: random.Random
) -> None:
    old = _seal(ring, db, rng)
    with db.transaction() as conn:
        first = ring.keys(conn)[0]
        new_key = ring.rotate(conn, START, rng.randbytes)
    new = _seal(ring, db, rng)
    assert tokens.b64decode(new)[1:5] == new_key.key_id
    assert _open(ring, db, old) == CLAIMS
    assert _open(ring, db, new) == CLAIMS
    from iamd.store import keyring as store

    with db.transaction() as conn:
        assert store.delete_key(conn, first.key_id_hex)
    fresh = KeyRing(ring._box)  # another process, or this one after its refresh
    with pytest.raises(InvalidToken):
        _open(fresh, db, old)
    assert _open(fresh, db, new) == CLAIMS


def test_another_process_learns_a_rotated_key_on_first_sight(
    box: AesGcmBox, db: Database, rng: random.Random
) -> None:
    now = [100.0]
    node_a = KeyRing(box)
    node_b = KeyRing(box, monotonic=lambda: now[0])
    node_a.ensure(db, START, rng.randbytes)
    _open(node_b, db, _seal(node_a, db, rng))  # node B has loaded the ring
    with db.transaction() as conn:
        node_a.rotate(conn, START, rng.randbytes)
    token = _seal(node_a, db, rng)
    now[0] += 1.0  # well inside the periodic refresh: only the unknown key id reloads
    assert _open(node_b, db, token) == CLAIMS


def test_made_up_key_ids_reload_at_most_once_a_second(
    box: AesGcmBox, db: Database, rng: random.Random
) -> None:
    now = [100.0]
    node = KeyRing(box, monotonic=lambda: now[0])
    node.ensure(db, START, rng.randbytes)
    loads = []
    original = node._load

    def counting(conn: object) -> None:
        loads.append(1)
        original(conn)  # type: ignore[arg-type]

    node._load = counting  # type: ignore[method-assign]
    raw = bytearray(tokens.b64decode(_seal(node, db, rng)))
    for n in range(5):
        raw[1:5] = bytes([9, 9, 9, n])
        with pytest.raises(InvalidToken):
            _open(node, db, tokens.b64encode(bytes(raw)))
    assert len(loads) == 0  # loaded less than a second ago by ensure()
    now[0] += 1.5
    with pytest.raises(InvalidToken):
        _open(node, db, tokens.b64encode(bytes(raw)))
    assert len(loads) == 1


def test_repr_hides_the_secret() -> None:
    assert "s" * 40 not in repr(CLAIMS)


def _spellings(token: str) -> dict[str, str]:
    """Other spellings of ``token`` that a lenient base64 decoder reads as the same bytes."""
    standard = token.replace("-", "+").replace("_", "/")
    last = token[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    unused_bits = {0: 0, 2: 4, 3: 2}[len(token) % 4]  # bits of the last character not used
    sibling = alphabet[alphabet.index(last) ^ 1] if unused_bits else None
    variants = {
        "padded": token + "=" * (-len(token) % 4),
        "with !": token[:10] + "!" + token[10:],
        "with .": token[:10] + "." + token[10:],
        "with a newline": token[:10] + "\n" + token[10:],
        "trailing space": token + " ",
    }
    if standard != token:
        variants["standard alphabet"] = standard
    if sibling is not None:
        variants["other unused bits"] = token[:-1] + sibling
    return variants


def test_only_the_spelling_iamd_wrote_opens(
    ring: KeyRing, db: Database, rng: random.Random
) -> None:
    for attempt in range(40):  # enough seals that some use - and _ and end in unused bits
        token = _seal(ring, db, random.Random(attempt))
        assert _open(ring, db, token) == CLAIMS
        for label, variant in _spellings(token).items():
            with pytest.raises(InvalidToken):
                _open(ring, db, variant)
            assert label


def test_the_decoder_takes_exactly_one_spelling() -> None:
    data = bytes(range(256))
    text = tokens.b64encode(data)
    assert tokens.b64decode(text) == data
    for variant in _spellings(text).values():
        with pytest.raises(ValueError):
            tokens.b64decode(variant)
    with pytest.raises(ValueError):
        tokens.b64decode("A")  # one character can hold no byte
