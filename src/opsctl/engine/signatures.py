"""Signed sign-offs, the pure part: SSH public keys, fingerprints and what is signed.

A sign-off (an ``approve`` event, or the ``void-approval`` event ``opsctl
revoke`` records) is signed over :func:`signoff_payload`: a digest of the
run's id and the event's content without its signature, ``prev`` and
``hash``. The signature is kept in the event's ``detail`` as ``signature``,
so the hash chain covers it; the payload leaves out the chain links so a
merge, which re-chains histories, keeps every signature valid.

The ssh-keygen calls that make and check signatures live in
:mod:`opsctl.actions.signing`; nothing here runs a process or reads a file.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

from opsctl.definitions.config import Person
from opsctl.errors import digest
from opsctl.store.documents import Event

NAMESPACE = "opsctl"
"""The ssh-keygen signature namespace (``-n``): an opsctl signature means nothing elsewhere."""

SIGNATURE = "signature"
"""The key of an event's ``detail`` that holds its armored SSH signature."""

REVOKED_PREFIX = "revoked by "
"""How the reason of a ``void-approval`` recorded by ``opsctl revoke`` begins."""

KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)

_ARMOR_BEGIN = "-----BEGIN SSH SIGNATURE-----"
_ARMOR_END = "-----END SSH SIGNATURE-----"


@dataclass(frozen=True)
class PublicKey:
    """An SSH public key: its type, the key blob and the comment after it."""

    kind: str
    blob: bytes
    comment: str = ""

    @property
    def fingerprint(self) -> str:
        """``SHA256:...`` as ``ssh-keygen -l`` prints it."""
        return fingerprint(self.blob)

    @property
    def line(self) -> str:
        """The key as one line of a .pub file (comment included)."""
        text = f"{self.kind} {base64.b64encode(self.blob).decode('ascii')}"
        return f"{text} {self.comment}" if self.comment else text


def fingerprint(blob: bytes) -> str:
    """The SHA-256 fingerprint of a key blob, as OpenSSH prints it."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii").rstrip("=")


def _strings(data: bytes, count: int) -> tuple[list[bytes], bytes]:
    """The first ``count`` SSH wire-format strings of ``data``, and what follows them."""
    found = []
    for _ in range(count):
        if len(data) < 4:
            raise ValueError("truncated")
        (size,) = struct.unpack(">I", data[:4])
        if len(data) < 4 + size:
            raise ValueError("truncated")
        found.append(data[4 : 4 + size])
        data = data[4 + size :]
    return found, data


def parse_public_key(text: str) -> PublicKey:
    """The one SSH public key in ``text`` (a .pub file); ValueError saying what is wrong."""
    if "PRIVATE KEY-----" in text:
        raise ValueError("this is a private key; give the public key (the .pub file)")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) != 1:
        raise ValueError(f"expected one line 'TYPE BASE64 [COMMENT]', found {len(lines)} lines")
    parts = lines[0].split(None, 2)
    if len(parts) < 2 or parts[0] not in KEY_TYPES:
        raise ValueError(f"expected a line starting with one of {', '.join(KEY_TYPES)}")
    try:
        blob = base64.b64decode(parts[1], validate=True)
        (kind,), _ = _strings(blob, 1)
    except (binascii.Error, ValueError):
        raise ValueError("the key is not valid base64 SSH key data") from None
    if kind.decode("ascii", "replace") != parts[0]:
        raise ValueError(f"the key data is a {kind.decode('ascii', 'replace')} key, not {parts[0]}")
    return PublicKey(parts[0], blob, parts[2].strip() if len(parts) > 2 else "")


def signature_key(armored: str) -> bytes | None:
    """The public key blob an armored SSH signature was made with; None if it is not one."""
    text = armored.strip()
    if not (text.startswith(_ARMOR_BEGIN) and text.endswith(_ARMOR_END)):
        return None
    body = "".join(text[len(_ARMOR_BEGIN) : -len(_ARMOR_END)].split())
    try:
        data = base64.b64decode(body, validate=True)
        if data[:6] != b"SSHSIG" or len(data) < 10:
            return None
        (key,), _ = _strings(data[10:], 1)
    except (binascii.Error, ValueError):
        return None
    return key


def is_signoff(event: Event) -> bool:
    """Whether an event is a sign-off that is signed: an approval, or its revocation."""
    if event.action == "approve":
        return True
    return event.action == "void-approval" and event.detail.get("reason", "").startswith(
        REVOKED_PREFIX
    )


def signoff_payload(run_id: str, event: Event) -> bytes:
    """What a sign-off's signature signs: the run's id and the event without its signature.

    ``prev`` and ``hash`` are left out, so a re-chained copy of the event (a
    merge, a rebase) carries a signature that still verifies.
    """
    content = event.model_dump(mode="json", exclude_none=True, exclude={"prev", "hash"})
    content["detail"] = {k: v for k, v in event.detail.items() if k != SIGNATURE}
    return f"opsctl sign-off {digest({'run': run_id, 'event': content})}\n".encode("ascii")


def person_of(actor: str, people: list[Person]) -> Person | None:
    """The roster entry of an identity (matched by email, ignoring case)."""
    return next((p for p in people if p.email.lower() == actor.lower()), None)


def keys_of(person: Person | None) -> list[PublicKey]:
    """A person's SSH keys from the roster (entries that do not parse are left out)."""
    keys = []
    for line in person.keys if person else []:
        try:
            keys.append(parse_public_key(line))
        except ValueError:
            continue
    return keys


def holders_of_key(blob: bytes, people: list[Person]) -> list[str]:
    """Who lists this key in the roster."""
    wanted = fingerprint(blob)
    return [p.email for p in people if any(k.fingerprint == wanted for k in keys_of(p))]
