"""Signed checkpoints: a C2SP tlog-checkpoint-style signed note (origin, size, base64 root, extension lines, a
blank line, then "— name base64(keyhash4 || Ed25519 signature)"), signed with the user's Ed25519 key from the
config directory. Imported only to make or check a checkpoint; `cryptography` loads inside the functions."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from handrail.journal.keys import SIGNING_FILE, KeyError_, _read_or_create, config_dir

SIG_PREFIX = "\u2014 "  # em dash + space, as in signed notes


@dataclass(frozen=True)
class Signer:
    name: str  # key name in the note: handrail-<key id>
    public: bytes  # raw 32-byte Ed25519 public key
    private: object  # cryptography Ed25519PrivateKey

    def sign(self, text: str) -> str:
        """`text` (the note body, ending in a newline) followed by the blank line and this key's signature line."""
        sig = self.private.sign(text.encode("utf-8"))  # type: ignore[attr-defined]
        return f"{text}\n{SIG_PREFIX}{self.name} {base64.b64encode(key_hash(self.name, self.public) + sig).decode()}\n"


def key_hash(name: str, public: bytes) -> bytes:
    """The signed-note key hash: first 4 bytes of sha256(name || "\\n" || 0x01 (Ed25519) || public key)."""
    return hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4]


def key_name(public: bytes) -> str:
    return f"handrail-{hashlib.sha256(public).hexdigest()[:16]}"


def signer() -> Signer:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    fresh = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption())
    pem = _read_or_create(SIGNING_FILE, fresh)
    try:
        private = serialization.load_pem_private_key(pem, password=None)
    except ValueError as exc:
        raise KeyError_(f"{config_dir() / SIGNING_FILE}: not an Ed25519 private key") from exc
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyError_(f"{config_dir() / SIGNING_FILE}: not an Ed25519 private key")
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return Signer(key_name(public), public, private)


def local_public_key() -> bytes | None:
    """This machine's checkpoint public key, if it has one (without creating it)."""
    if not (config_dir() / SIGNING_FILE).is_file():
        return None
    try:
        return signer().public
    except (KeyError_, OSError):
        return None


@dataclass(frozen=True)
class Note:
    origin: str
    size: int
    root: bytes
    extensions: dict[str, str]
    key_name: str
    signature: bytes  # 64 bytes
    key_hash: bytes
    signed_text: str


def checkpoint_body(origin: str, size: int, root: bytes, extensions: dict[str, str]) -> str:
    lines = [origin, str(size), base64.b64encode(root).decode()]
    lines += [f"{k} {' '.join(v.split())}" for k, v in extensions.items()]
    return "\n".join(lines) + "\n"


def parse_note(text: str) -> Note:
    """A signed checkpoint note; ValueError (one line) when it is not one."""
    if "\n\n" not in text:
        raise ValueError("not a signed note (no blank line before the signature)")
    signed, sigs = text.split("\n\n", 1)
    signed += "\n"
    lines = signed.splitlines()
    if len(lines) < 3 or not lines[1].isdigit():
        raise ValueError("not a checkpoint (origin, size and root expected)")
    ext: dict[str, str] = {}
    for line in lines[3:]:
        k, _, v = line.partition(" ")
        ext[k] = v
    sig_line = next((s for s in sigs.splitlines() if s.startswith(SIG_PREFIX)), None)
    if sig_line is None:
        raise ValueError("checkpoint has no signature line")
    name, _, b64 = sig_line[len(SIG_PREFIX):].partition(" ")
    blob = base64.b64decode(b64, validate=True)
    if len(blob) != 68:
        raise ValueError("checkpoint signature is not an Ed25519 signature")
    return Note(lines[0], int(lines[1]), base64.b64decode(lines[2], validate=True), ext, name, blob[4:], blob[:4],
                 signed)


def verify_note(note: Note, public: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if note.key_hash != key_hash(note.key_name, public):
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(note.signature, note.signed_text.encode("utf-8"))
    except (InvalidSignature, ValueError):
        return False
    return True
