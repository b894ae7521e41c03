"""The served checkpoint checked by a verifier written here from the C2SP texts alone.

Nothing of the project's note or checkpoint code is used: signed-note (text, blank line,
"— name base64(keyid ‖ sig)" lines; key ID = SHA-256(name ‖ 0x0A ‖ type ‖ key)[:4]) and
tlog-checkpoint (origin, decimal size, base64 root).
"""

from __future__ import annotations

import base64
import binascii
import hashlib

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tests.conftest import Cast
from tests.integration.helpers import WHEN, registration

EM_DASH = "\u2014"


def parse_vkey(vkey: str) -> tuple[str, bytes, bytes]:
    name, key_hash_hex, encoded = vkey.strip().split("+", 2)
    raw = base64.b64decode(encoded, validate=True)
    assert raw[0] == 0x01 and len(raw) == 33, "an Ed25519 verifier key"
    key_hash = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    assert key_hash.hex() == key_hash_hex, "the key ID is the hash of name and key"
    return name, key_hash, raw[1:]


def independent_verify(note: str, vkey: str) -> tuple[str, int, bytes]:
    """Return (origin, size, root) if ``note`` is a checkpoint signed by ``vkey``; else fail."""
    name, key_hash, public = parse_vkey(vkey)
    assert note.endswith("\n") and "\r" not in note
    text, sep, signatures = note.rpartition("\n\n")
    assert sep, "a blank line separates text and signatures"
    text += "\n"
    verified = False
    for line in signatures.rstrip("\n").split("\n"):
        assert line.startswith(EM_DASH + " ")
        signer, encoded = line[2:].split(" ")
        blob = base64.b64decode(encoded, validate=True)
        if signer != name or blob[:4] != key_hash:
            continue  # another key's signature (a witness): not ours to judge
        try:
            Ed25519PublicKey.from_public_bytes(public).verify(blob[4:], text.encode())
        except InvalidSignature as exc:
            raise AssertionError("the log's signature does not verify") from exc
        verified = True
    assert verified, "the note carries the log's signature"
    lines = text.split("\n")[:-1]
    origin, size_text, root_text = lines[:3]
    assert origin and " " not in origin
    assert size_text.isdigit() and (size_text == "0" or not size_text.startswith("0"))
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error as exc:
        raise AssertionError("the root is base64") from exc
    assert len(root) == 32
    return origin, int(size_text), root


async def test_served_checkpoint_verifies_with_an_independent_c2sp_verifier(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    for n in range(3):
        response = await client.post(
            "/api/v1/batches",
            json={"occurred_at": WHEN, "body": registration(lot=f"IND-{n}")},
            headers=cast.producer.headers,
        )
        assert response.status_code == 201
    signed = await client.post("/api/v1/log/checkpoint", headers=cast.operator.headers)
    assert signed.status_code == 201
    note = (await client.get("/api/v1/log/checkpoint")).text
    vkey = (await client.get("/api/v1/log/key")).text.splitlines()[0]
    origin, size, root = independent_verify(note, vkey)
    assert size == 3 and origin == vkey.split("+")[0]
    # The root is the RFC 6962 hash of the three leaves the log serves.
    leaves = (await client.get("/api/v1/log/records?start=0&end=3")).json()
    hashed = [hashlib.sha256(b"\x00" + bytes.fromhex(x["record_hash"])).digest() for x in leaves]
    left = hashlib.sha256(b"\x01" + hashed[0] + hashed[1]).digest()
    assert root == hashlib.sha256(b"\x01" + left + hashed[2]).digest()
    tampered = note.replace(f"\n{size}\n", f"\n{size + 1}\n", 1)
    try:
        independent_verify(tampered, vkey)
    except AssertionError:
        pass
    else:
        raise AssertionError("a changed size still verified")
