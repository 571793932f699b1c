"""Signed anchors: a statement of every item's chain head, kept outside the database.

A forger with write access to the database can rewrite history and recompute every hash after
the change: the chain alone proves only that the rows agree with each other. An anchor fixes
the heads at a moment, signed with Ed25519, so `verify --anchor` can prove that today's history
extends the anchored one. See docs/decisions.md ("Signed anchors") for the design.

The file is JSON:

    {"format": "tracker-anchor", "version": 1, "created_at": "...Z", "count": N,
     "digest": HEX, "algorithm": "ed25519", "public_key": BASE64, "key_id": HEX16,
     "signature": BASE64, "heads": [{"key", "version", "hash"}, ...]}

- heads: every item's head, sorted by key (code points).
- digest: lowercase hex SHA-256 of the UTF-8 bytes of the compact JSON array of
  `[key, version, hash]` triples in that order (`json.dumps(..., ensure_ascii=False,
  separators=(",", ":"))`), the same spelling as the chain's canonical form.
- public_key: the raw 32-byte Ed25519 public key, base64; its fingerprint is the lowercase
  hex SHA-256 of those 32 bytes, and key_id the first 16 hex digits of it (for people to
  recognise; pinning takes the full fingerprint).
- signature: Ed25519 over `b"tracker-anchor-v1\\n"` followed by the compact JSON (sorted keys,
  the same separators) of every field but `signature`. The prefix keeps a signature made for
  an anchor from meaning anything else.

`cryptography` is imported only inside the functions that sign or check (here and in keys.py,
the signing keys).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import dates
from ..errors import UsageError, VerificationFailed
from .keys import (
    default_key_path,
    fingerprint,
    load_key,
    public_fingerprint,
    public_pem,
    reason,
    trusted_fingerprint,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
    )

FORMAT = "tracker-anchor"
VERSION = 1
ALGORITHM = "ed25519"
DOMAIN = b"tracker-anchor-v1\n"
# An anchor names every item; 64 MiB is far above 100,000 items (about 10 MB).
MAX_ANCHOR_BYTES = 64 * 1024 * 1024

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_signed_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_HEX16 = re.compile(r"[0-9a-f]{16}\Z")
FIELDS = (
    "format",
    "version",
    "created_at",
    "count",
    "digest",
    "algorithm",
    "public_key",
    "key_id",
    "signature",
    "heads",
)


@dataclass(frozen=True, slots=True)
class Head:
    """An item's chain head: its key, how many entries its chain has, the last entry's hash."""

    key: str
    version: int
    hash: str

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "version": self.version, "hash": self.hash}


@dataclass(frozen=True, slots=True)
class Anchor:
    """A signed statement of chain heads (see the module docstring for the file format)."""

    created_at: str
    count: int
    digest: str
    heads: tuple[Head, ...]
    public_key: str
    signature: str

    @property
    def fingerprint(self) -> str:
        """Lowercase hex SHA-256 of the raw public key: what a verifier pins."""
        return fingerprint(base64.b64decode(self.public_key))

    @property
    def key_id(self) -> str:
        """The first 16 hex digits of the fingerprint, for people to recognise a key."""
        return self.fingerprint[:16]

    def statement(self) -> dict[str, Any]:
        """Every field but the signature: what is signed."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "created_at": self.created_at,
            "count": self.count,
            "digest": self.digest,
            "algorithm": ALGORITHM,
            "public_key": self.public_key,
            "key_id": self.key_id,
            "heads": [head.to_json() for head in self.heads],
        }

    def to_json(self) -> dict[str, Any]:
        return {**self.statement(), "signature": self.signature}

    def text(self) -> str:
        """The anchor file: JSON with one head per line (heads last), so an anchor committed
        to a repository diffs line by line."""
        fields = self.to_json()
        heads = fields.pop("heads")
        lines = [f"  {_dumps(name)}: {_dumps(value)}" for name, value in fields.items()]
        listed = ",\n".join(f"    {_dumps(head)}" for head in heads)
        lines.append(f'  "heads": [\n{listed}\n  ]' if heads else '  "heads": []')
        return "{\n" + ",\n".join(lines) + "\n}\n"


@dataclass(frozen=True, slots=True)
class PublicKey:
    """The public half of a signing key, to hand to the other party: what `--trust` takes."""

    fingerprint: str
    pem: str

    @classmethod
    def of(cls, key: Ed25519PrivateKey) -> PublicKey:
        return cls(public_fingerprint(key), public_pem(key))

    def to_json(self) -> dict[str, Any]:
        return {"fingerprint": self.fingerprint, "key_id": self.fingerprint[:16], "pem": self.pem}


@dataclass(frozen=True, slots=True)
class AnchorWritten:
    """What `tracker anchor -o FILE` reports: where the anchor went and what it holds."""

    output: str
    anchor: Anchor

    def to_json(self) -> dict[str, Any]:
        return {
            "output": self.output,
            "created_at": self.anchor.created_at,
            "count": self.anchor.count,
            "digest": self.anchor.digest,
            "key_id": self.anchor.key_id,
            "fingerprint": self.anchor.fingerprint,
        }


@dataclass(frozen=True, slots=True)
class AnchorCheck:
    """What `verify --anchor` found about the anchor itself: when it was made, how many heads
    it holds, whose key signed it and why that key is trusted."""

    created_at: str
    heads: int
    fingerprint: str
    trusted_as: str
    ok: bool = True

    @property
    def key_id(self) -> str:
        return self.fingerprint[:16]

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "created_at": self.created_at,
            "heads": self.heads,
            "key_id": self.key_id,
            "fingerprint": self.fingerprint,
            "trusted_as": self.trusted_as,
        }


def heads_digest(heads: Iterable[Head]) -> str:
    """SHA-256 over the canonical serialisation of the heads (module docstring)."""
    text = _dumps([[head.key, head.version, head.hash] for head in heads])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _signed_bytes(statement: dict[str, Any]) -> bytes:
    return DOMAIN + _signed_dumps(statement).encode("utf-8")


def sign(heads: Iterable[Head], key: Ed25519PrivateKey) -> Anchor:
    """An anchor of `heads` (any order), made now and signed with `key`."""
    from cryptography.hazmat.primitives import serialization

    ordered = tuple(sorted(heads, key=lambda head: head.key))
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    unsigned = Anchor(
        created_at=dates.iso(dates.now()),
        count=len(ordered),
        heads=ordered,
        digest=heads_digest(ordered),
        public_key=base64.b64encode(raw).decode("ascii"),
        signature="",
    )
    signature = key.sign(_signed_bytes(unsigned.statement()))
    return Anchor(
        created_at=unsigned.created_at,
        count=unsigned.count,
        heads=ordered,
        digest=unsigned.digest,
        public_key=unsigned.public_key,
        signature=base64.b64encode(signature).decode("ascii"),
    )


# -- reading an anchor file ----------------------------------------------------------------


def read(path: str | Path) -> tuple[Anchor, str]:
    """Read an anchor file; returns the anchor and the key_id it claims. A file that is not a
    well-formed anchor is a UsageError naming the file (exit 2); whether its signature, count
    and digest hold is `check`'s question."""
    name = str(path)
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(MAX_ANCHOR_BYTES + 1)
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise UsageError(f"cannot read anchor {name}: {reason(exc)}") from None
    if len(data) > MAX_ANCHOR_BYTES:
        raise UsageError(f"anchor {name}: larger than {MAX_ANCHOR_BYTES} bytes")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise UsageError(f"anchor {name}: not JSON ({str(exc).splitlines()[0]})") from None
    return parse(document, name)


def parse(document: object, name: str = "anchor") -> tuple[Anchor, str]:
    """An Anchor from the decoded JSON of an anchor file (UsageError if malformed)."""

    def bad(why: str) -> UsageError:
        return UsageError(f"anchor {name}: {why}")

    if not isinstance(document, dict):
        raise bad("not a JSON object")
    if document.get("format") != FORMAT:
        raise bad(f"not a tracker anchor (format is not {FORMAT!r})")
    version = document.get("version", VERSION)
    if version != VERSION or type(version) is not int:
        raise bad(f"anchor version {_shown(version)} is not supported (only {VERSION})")
    missing = [wanted for wanted in FIELDS if wanted not in document]
    if missing:
        raise bad(
            f"missing {', '.join(missing)}" + (" (unsigned)" if "signature" in missing else "")
        )
    unknown = sorted(set(document) - set(FIELDS))
    if unknown:
        raise bad(f"unknown field {_shown(unknown[0])}")
    if document["algorithm"] != ALGORITHM:
        raise bad(f"algorithm {_shown(document['algorithm'])} is not supported (only 'ed25519')")
    for text_field in ("created_at", "digest", "public_key", "key_id", "signature"):
        if not isinstance(document[text_field], str):
            raise bad(f"{text_field} is not a string")
    count = document["count"]
    if type(count) is not int or count < 0:
        raise bad("count is not a non-negative integer")
    if not _HEX64.match(document["digest"]) or not _HEX16.match(document["key_id"]):
        raise bad("digest or key_id is not lowercase hex of the right length")
    _decode(document["public_key"], 32, bad, "public_key")
    _decode(document["signature"], 64, bad, "signature")
    if not isinstance(document["heads"], list):
        raise bad("heads is not a list")
    heads = tuple(_head(value, bad) for value in document["heads"])
    keys = {head.key.lower() for head in heads}  # keys are unique case-insensitively
    if len(keys) != len(heads):
        raise bad("an item is listed twice in heads")
    anchor = Anchor(
        created_at=document["created_at"],
        count=count,
        digest=document["digest"],
        heads=heads,
        public_key=document["public_key"],
        signature=document["signature"],
    )
    return anchor, document["key_id"]


def _shown(value: object) -> str:
    """A value from the file for an error message: its repr, cut to 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _decode(text: str, size: int, bad: Any, what: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise bad(f"{what} is not base64") from None
    if len(raw) != size:
        raise bad(f"{what} is {len(raw)} bytes, not {size}")
    return raw


def _head(value: object, bad: Any) -> Head:
    if not isinstance(value, dict) or set(value) != {"key", "version", "hash"}:
        raise bad("a head is not an object of key, version and hash")
    key, version, hash_ = value["key"], value["version"], value["hash"]
    if not isinstance(key, str) or not key or type(version) is not int or version < 1:
        raise bad(f"head {_shown(value)}: bad key or version")
    if not isinstance(hash_, str) or not _HEX64.match(hash_):
        raise bad(f"head {_shown(key)}: hash is not 64 lowercase hex digits")
    return Head(key, version, hash_)


# -- checking an anchor ----------------------------------------------------------------------


def check(anchor: Anchor, claimed_key_id: str, trust: Sequence[str] = ()) -> AnchorCheck:
    """Prove the anchor is what its signer signed, and that the signer is trusted.

    Trusted keys are those `trust` names (fingerprints or key files); without any, the key of
    this user (the default key file, if it exists). An anchor's own public key is never
    trusted because it is there: anyone can sign an anchor with a fresh key. Raises
    VerificationFailed (exit 7) when the signature, the count, the digest or the key fails."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(anchor.public_key))
    try:
        public.verify(base64.b64decode(anchor.signature), _signed_bytes(anchor.statement()))
    except InvalidSignature:
        # The statement is rebuilt from the parsed fields, so an edited key_id fails here too.
        raise VerificationFailed(
            f"anchor signature does not verify with the key it names ({claimed_key_id}): "
            "the anchor was altered after signing"
        ) from None
    if claimed_key_id != anchor.key_id:
        raise VerificationFailed(
            f"anchor key_id {claimed_key_id} is not the id of its public key ({anchor.key_id})"
        )
    if anchor.count != len(anchor.heads) or heads_digest(anchor.heads) != anchor.digest:
        raise VerificationFailed(
            "anchor is signed but its count or digest does not match its heads: "
            "the signer signed a malformed anchor"
        )
    trusted_as = _trusted_as(anchor.fingerprint, trust)
    if trusted_as is None:
        raise VerificationFailed(
            f"anchor is signed by key {anchor.key_id}, which is not trusted here; if its "
            f"owner confirms the fingerprint {anchor.fingerprint}, pass it with --trust"
        )
    return AnchorCheck(anchor.created_at, anchor.count, anchor.fingerprint, trusted_as)


def _trusted_as(signer: str, trust: Sequence[str]) -> str | None:
    """Why `signer` (a fingerprint) is trusted: "pinned" or "own key"; None if it is not."""
    if trust:
        pinned = {trusted_fingerprint(value) for value in trust}
        return "pinned" if signer in pinned else None
    own = default_key_path()
    if own.exists() and public_fingerprint(load_key(own)) == signer:
        return "own key"
    return None
