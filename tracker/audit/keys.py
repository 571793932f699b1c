"""Signing keys for anchors: this user's own key (created on first use, mode 0600), a team
key file, and the keys `--trust` names (a fingerprint, a key file or a base64 public key).

`cryptography` is imported only inside the functions that need it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

KEY_FILE_NAME = "anchor-key.pem"
MAX_KEY_FILE_BYTES = 64 * 1024
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_HEX16 = re.compile(r"[0-9a-f]{16}\Z")


def fingerprint(raw_public_key: bytes) -> str:
    """The lowercase hex SHA-256 of a raw Ed25519 public key."""
    return hashlib.sha256(raw_public_key).hexdigest()


def reason(exc: Exception) -> str:
    """An OSError's reason ("No such file or directory"), else the error's own text."""
    return getattr(exc, "strerror", None) or str(exc)


def trusted_fingerprint(value: str) -> str:
    """A `--trust` value as a fingerprint: 64 hex digits (the fingerprint itself), or a file
    holding the key (a public key: PEM or OpenSSH; or a private key file, of which the public
    half is taken), or the base64 public key as an anchor shows it."""
    lowered = value.strip().lower()
    if _HEX64.match(lowered):
        return lowered
    if _HEX16.match(lowered):
        raise UsageError(
            f"--trust {value}: a 16-digit key id is too short to pin a key; give the full "
            "64-digit fingerprint (`tracker anchor --show-key` prints it)"
        )
    path = Path(value).expanduser()
    try:
        is_file = path.is_file()
    except (OSError, ValueError):  # a name too long, a NUL: not a file, then
        is_file = False
    if is_file:
        return _file_fingerprint(path)
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) == 32:
        return fingerprint(raw)
    raise UsageError(
        f"--trust {value}: not a 64-digit fingerprint, a key file or a base64 public key"
    )


def _file_fingerprint(path: Path) -> str:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    data = _read_key_bytes(path)
    stripped = data.strip()
    if b"PRIVATE KEY" in stripped[:64] or len(data) == 32 or _is_hex_seed(stripped):
        return public_fingerprint(load_key(path))
    try:
        if stripped.startswith(b"ssh-ed25519 "):
            public: object = serialization.load_ssh_public_key(stripped)
        else:
            public = serialization.load_pem_public_key(stripped)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise UsageError(f"--trust {path}: not a public or private key file") from None
    if not isinstance(public, Ed25519PublicKey):
        raise UsageError(f"--trust {path}: not an Ed25519 key")
    return _public_key_fingerprint(public)


def default_key_path() -> Path:
    """This user's signing key: `anchor-key.pem` in the user config directory (platformdirs)."""
    from platformdirs import user_config_dir

    return Path(user_config_dir("tracker", appauthor=False)) / KEY_FILE_NAME


def signing_key(path: str | Path | None = None) -> Ed25519PrivateKey:
    """The key to sign with: the file `path` (a team key), else this user's key, created on
    first use (mode 0600, in a directory made 0700 if missing)."""
    if path is not None:
        return load_key(Path(path).expanduser())
    own = default_key_path()
    if not own.exists():
        _create_key(own)
    return load_key(own)


def _create_key(path: Path) -> None:
    """Write a new key to `path` without ever exposing a partial or world-readable file: a
    0600 temporary file in the same directory, then a hard link (which fails if another
    process made the key first; then its key is the one)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=".anchor-key-", dir=path.parent)
        try:
            with os.fdopen(descriptor, "wb") as handle:  # mkstemp makes it 0600
                handle.write(pem)
                handle.flush()
                os.fsync(handle.fileno())
            # Another process that made the key first wins; its key is the one.
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    except OSError as exc:
        raise UsageError(f"cannot create the signing key {path}: {reason(exc)}") from None


def _read_key_bytes(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_KEY_FILE_BYTES + 1)
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read key file {path}: {reason(exc)}") from None
    if len(data) > MAX_KEY_FILE_BYTES:
        raise UsageError(f"key file {path}: too large to be a key")
    return data


def _is_hex_seed(data: bytes) -> bool:
    return re.fullmatch(rb"[0-9a-fA-F]{64}", data) is not None


def load_key(path: Path) -> Ed25519PrivateKey:
    """A private Ed25519 key from `path`: PEM (PKCS#8, as `openssl genpkey -algorithm ed25519`
    writes), OpenSSH (`ssh-keygen -t ed25519 -N ''`), or the raw 32-byte seed as bytes or 64
    hex digits. Refused (exit 2): a file others may read or write, an encrypted key, any other
    kind of key."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    _refuse_shared(path)
    data = _read_key_bytes(path)
    stripped = data.strip()
    try:
        if stripped.startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----"):
            key: object = serialization.load_ssh_private_key(stripped, password=None)
        elif stripped.startswith(b"-----BEGIN"):
            key = serialization.load_pem_private_key(stripped, password=None)
        elif _is_hex_seed(stripped):
            key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(stripped.decode("ascii")))
        elif len(data) == 32:
            key = Ed25519PrivateKey.from_private_bytes(data)
        else:
            raise ValueError("unknown format")
    except TypeError:
        raise UsageError(f"key file {path}: encrypted keys are not supported") from None
    except (ValueError, UnsupportedAlgorithm):
        raise UsageError(
            f"key file {path}: not an Ed25519 private key (PEM, OpenSSH or a raw 32-byte seed)"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"key file {path}: not an Ed25519 key")
    return key


def _refuse_shared(path: Path) -> None:
    """Like ssh, refuse a private key that others may read or write: whoever can read it can
    sign anchors in our name."""
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read key file {path}: {reason(exc)}") from None
    if os.name == "posix" and mode & 0o077:
        raise UsageError(
            f"key file {path} is accessible by others (mode {mode & 0o777:o}); "
            f"run: chmod 600 {path}"
        )


def public_fingerprint(key: Ed25519PrivateKey) -> str:
    return _public_key_fingerprint(key.public_key())


def _public_key_fingerprint(public: Ed25519PublicKey) -> str:
    from cryptography.hazmat.primitives import serialization

    return fingerprint(
        public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


def public_pem(key: Ed25519PrivateKey) -> str:
    """The public half of `key` as PEM, to hand to the other party."""
    from cryptography.hazmat.primitives import serialization

    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )
