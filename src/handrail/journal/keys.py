"""The writer's keys and the signed checkpoint note.

Both keys live in the user's config directory ($XDG_CONFIG_HOME/handrail, else ~/.config/handrail; 0700, files
0600), never in the repository: someone who can rewrite the repository's journal cannot also forge the MACs or
the checkpoint signatures. Signing lives in journal.signing, imported only for a checkpoint.
"""

from __future__ import annotations

import os

from handrail.journal.chain import sha256

TYPE_CHECKING = False  # the hook reads the MAC key on every append; pathlib costs ~7 ms there
if TYPE_CHECKING:
    from pathlib import Path

HMAC_FILE = "journal-hmac.key"
SIGNING_FILE = "journal-ed25519.key"


class KeyError_(Exception):
    """A key cannot be read or created (one line)."""


def config_dir() -> Path:
    from pathlib import Path

    return Path(_config_dir())


def _config_dir() -> str:
    base = os.environ.get("XDG_CONFIG_HOME")
    if base and os.path.isabs(base):
        return os.path.join(base, "handrail")
    return os.path.join(os.path.expanduser("~"), ".config", "handrail")


def _ensure_dir(path: str) -> None:
    if os.path.islink(path):
        raise KeyError_(f"{path}: is a symlink; refusing to keep journal keys there")
    os.makedirs(path, mode=0o700, exist_ok=True)
    if os.stat(path).st_mode & 0o077:
        os.chmod(path, 0o700)


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def _read_or_create(name: str, make: bytes) -> bytes:
    """The key file's bytes, creating it (0600, exclusively, so two first writers agree) when missing."""
    directory = _config_dir()
    path = os.path.join(directory, name)
    try:
        return _read_bytes(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise KeyError_(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        _ensure_dir(directory)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:
        return _read_bytes(path)
    except OSError as exc:
        raise KeyError_(f"{path}: cannot create: {exc.strerror}") from exc
    with os.fdopen(fd, "wb") as fh:
        fh.write(make)
    return make


_HMAC: tuple[bytes, str] | None = None


def hmac_key() -> tuple[bytes, str]:
    """(key, key_id): the per-user MAC key and a short id (16 hex of its sha256) stored with each entry."""
    global _HMAC
    if _HMAC is None:
        raw = _read_or_create(HMAC_FILE, os.urandom(32).hex().encode("ascii") + b"\n").strip()
        key = bytes.fromhex(raw.decode("ascii", "replace")) if len(raw) == 64 else raw
        _HMAC = (key, sha256(key).hexdigest()[:16])
    return _HMAC


def existing_hmac_key() -> tuple[bytes, str] | None:
    """The MAC key if this machine has one (verify never creates keys)."""
    if _HMAC is not None:
        return _HMAC
    if not os.path.isfile(os.path.join(_config_dir(), HMAC_FILE)):
        return None
    try:
        return hmac_key()
    except KeyError_:
        return None


def _reset_cache() -> None:
    """Tests point XDG_CONFIG_HOME elsewhere between cases."""
    global _HMAC
    _HMAC = None
