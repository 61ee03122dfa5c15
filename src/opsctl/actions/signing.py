"""Signed sign-offs through OpenSSH's ``ssh-keygen -Y``, the way git signs commits.

Every ssh-keygen call opsctl makes is here. :func:`signer` gives
``approve`` and ``revoke`` a function that signs a sign-off's payload with
the acting person's key and refuses (exit 1) a key that is not theirs in the
team roster; :func:`signoff_policy` gives ``audit verify`` and
``sync-check`` the check of every recorded signature, against an
allowed_signers file built from the roster's keys in a temporary folder.

The key to sign with is ``--key PATH``, else git's ``user.signingkey``
(a private or public key file, or ``key::ssh-ed25519 ...``), else the first
key in ssh-agent that the roster lists for the person. With a public key,
ssh-keygen signs through the agent holding its private key.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from opsctl.actions.session import Session
from opsctl.definitions.config import Person
from opsctl.engine.approvals import Signer
from opsctl.engine.history import SignoffPolicy
from opsctl.engine.signatures import (
    NAMESPACE,
    SIGNATURE,
    PublicKey,
    fingerprint,
    holders_of_key,
    keys_of,
    parse_public_key,
    person_of,
    signature_key,
)
from opsctl.errors import CheckFailed, InvalidField, UsageError
from opsctl.git.setup import git_output
from opsctl.store.documents import Event

TIMEOUT = 120
"""Seconds an ssh-keygen call may take (a passphrase prompt or a hardware key included)."""

_NOT_A_PRINCIPAL = set(' \t",*?!')
"""Characters ssh-keygen reads as patterns or separators in an allowed_signers principal."""


def ssh_keygen() -> str:
    """The ssh-keygen to call; a UsageError (exit 2) when there is none on PATH."""
    found = shutil.which("ssh-keygen")
    if found is None:
        raise UsageError(
            "this workspace has 'signoffs: signed', which needs ssh-keygen (OpenSSH 8.2 or "
            "newer) on PATH to sign and check sign-offs; install the OpenSSH client"
        )
    return found


def _run(
    args: list[str], *, data: bytes | None = None, cwd: Path | None = None, tty: bool = False
) -> subprocess.CompletedProcess[bytes]:
    """Run a program without a shell; ``tty`` leaves stdin to it (for a passphrase prompt)."""
    try:
        return subprocess.run(
            args,
            input=data,
            stdin=None if data is not None or tty else subprocess.DEVNULL,
            capture_output=True,
            cwd=cwd,
            timeout=TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise UsageError(f"could not run {Path(args[0]).name}: {exc}") from None


def _said(result: subprocess.CompletedProcess[bytes]) -> str:
    text = result.stderr.decode("utf-8", "replace").replace("Enter passphrase:", "")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else f"exit status {result.returncode}"


def _principal(email: str) -> str | None:
    """A roster email as an allowed_signers principal; None if ssh-keygen would misread it."""
    return None if not email or set(email) & _NOT_A_PRINCIPAL else email


def write_allowed_signers(people: list[Person], path: Path) -> None:
    """An allowed_signers file (ssh-keygen(1)) with every roster key, valid for opsctl only."""
    lines = [
        f'"{principal}" namespaces="{NAMESPACE}" {PublicKey(key.kind, key.blob).line}'
        for person in people
        if (principal := _principal(person.email)) is not None
        for key in keys_of(person)
    ]
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def verify_signature(
    keygen: str, allowed: Path, principal: str, payload: bytes, signature: str, folder: Path
) -> bool:
    """Whether ``signature`` is ``principal``'s valid opsctl signature of ``payload``."""
    sig = folder / "check.sig"
    sig.write_text(signature, encoding="utf-8")
    args = ["-Y", "verify", "-f", str(allowed), "-I", principal, "-n", NAMESPACE, "-s", str(sig)]
    return _run([keygen, *args], data=payload).returncode == 0


@dataclass(frozen=True)
class SigningKey:
    """The key file ``ssh-keygen -f`` gets, and how it was found (for messages)."""

    path: Path
    source: str


def _given_key(session: Session, key: str) -> SigningKey:
    path = session.cwd / Path(key).expanduser()
    if not path.is_file():
        raise InvalidField("key", f"file '{key}' does not exist")
    return SigningKey(path, f"--key {key}")


def _literal_key(text: str, folder: Path, source: str) -> SigningKey:
    try:
        key = parse_public_key(text)
    except ValueError as exc:
        raise UsageError(f"{source}: not an SSH public key: {exc}") from None
    path = folder / "signing-key.pub"
    path.write_text(key.line + "\n", encoding="utf-8")
    return SigningKey(path, f"{source} ({key.fingerprint}, through ssh-agent)")


def git_signing_key(session: Session, folder: Path) -> SigningKey | None:
    """The SSH key in git's ``user.signingkey``, if it names one (a GPG key id does not)."""
    value = git_output(session.workspace.root, "config", "--get", "user.signingkey")
    if value is None:
        return None
    source = "git config user.signingkey"
    if value.startswith("key::"):
        return _literal_key(value[len("key::") :], folder, source)
    if value.split(" ", 1)[0] in {"ssh-ed25519", "ssh-rsa"} or value.startswith(("ecdsa-", "sk-")):
        return _literal_key(value, folder, source)
    path = session.workspace.root / Path(value).expanduser()
    if path.is_file():
        return SigningKey(path, f"{source} ({value})")
    if "/" in value or value.startswith("~") or value.endswith(".pub"):
        raise UsageError(f"{source} names '{value}', which does not exist; fix it or give --key")
    return None


def _no_key(actor: str) -> UsageError:
    return UsageError(
        f"no SSH key to sign {actor}'s sign-off with: give --key PATH, set git config "
        "user.signingkey, or add your key to ssh-agent (this workspace has 'signoffs: signed')"
    )


def agent_key(actor: str, mine: list[PublicKey], folder: Path) -> SigningKey:
    """The first key in ssh-agent that the roster lists for the actor."""
    ssh_add = shutil.which("ssh-add")
    if not os.environ.get("SSH_AUTH_SOCK") or ssh_add is None:
        raise _no_key(actor)
    listed = _run([ssh_add, "-L"])
    if listed.returncode != 0:
        raise _no_key(actor)
    held = []
    for line in listed.stdout.decode("utf-8", "replace").splitlines():
        try:
            held.append(parse_public_key(line))
        except ValueError:
            continue
    wanted = {key.fingerprint for key in mine}
    for key in held:
        if key.fingerprint in wanted:
            path = folder / "agent-key.pub"
            path.write_text(key.line + "\n", encoding="utf-8")
            return SigningKey(path, f"the ssh-agent key {key.fingerprint}")
    raise CheckFailed(
        f"ssh-agent holds no key of {actor} (agent: "
        f"{', '.join(k.fingerprint for k in held) or 'none'}; roster: "
        f"{', '.join(sorted(wanted))}); sign with your own key (--key PATH)"
    )


class _SshSigner:
    """Signs the acting person's sign-offs with their key; the key is found on first use."""

    def __init__(self, session: Session, keygen: str, key: str | None, folder: Path) -> None:
        self.session = session
        self.keygen = keygen
        self.key = key
        self.folder = folder
        self.people = session.config.people
        self.found: SigningKey | None = None

    def _find(self, mine: list[PublicKey]) -> SigningKey:
        actor = self.session.actor
        if not mine:
            raise CheckFailed(
                f"{actor} has no SSH key in the team roster, and this workspace signs sign-offs "
                f"('signoffs: signed'); add one with: opsctl team add {actor} --key FILE.pub"
            )
        if self.key is not None:
            return _given_key(self.session, self.key)
        configured = git_signing_key(self.session, self.folder)
        return configured or agent_key(actor, mine, self.folder)

    def __call__(self, payload: bytes) -> str:
        mine = keys_of(person_of(self.session.actor, self.people))
        found = self.found = self.found or self._find(mine)
        data = self.folder / "payload"
        data.write_bytes(payload)
        made = self.folder / "payload.sig"
        made.unlink(missing_ok=True)
        args = ["-Y", "sign", "-n", NAMESPACE, "-f", str(found.path), str(data)]
        result = _run([self.keygen, *args], tty=True)
        if result.returncode != 0 or not made.is_file():
            raise UsageError(f"could not sign with {found.source}: {_said(result)}")
        signature = made.read_text(encoding="utf-8")
        self._check_owner(signature, payload, mine, found)
        return signature

    def _check_owner(
        self, signature: str, payload: bytes, mine: list[PublicKey], found: SigningKey
    ) -> None:
        """Refuse a signature not made with one of the actor's roster keys, or not verifying."""
        actor = self.session.actor
        blob = signature_key(signature) or b""
        used = fingerprint(blob)
        if used not in {key.fingerprint for key in mine}:
            owners = [e for e in holders_of_key(blob, self.people) if e.lower() != actor.lower()]
            whose = f"{owners[0]}'s key" if owners else "not in the team roster"
            raise CheckFailed(
                f"{actor} may not sign off with {found.source}: key {used} is {whose}, not one "
                f"of {actor}'s ({', '.join(k.fingerprint for k in mine)}); nothing recorded"
            )
        allowed = self.folder / "allowed_signers"
        write_allowed_signers(self.people, allowed)
        person = person_of(actor, self.people)
        principal = _principal(person.email) if person else None
        if principal is None or not verify_signature(
            self.keygen, allowed, principal, payload, signature, self.folder
        ):
            raise CheckFailed(f"the signature made with {found.source} does not verify")


@contextmanager
def signer(session: Session, key: str | None = None) -> Iterator[Signer | None]:
    """What signs sign-offs in this workspace: None unless it has ``signoffs: signed``."""
    if session.config.signoffs != "signed":
        if key is not None:
            raise InvalidField(
                "key", "this workspace does not sign sign-offs ('signoffs: signed' is not set)"
            )
        yield None
        return
    keygen = ssh_keygen()
    with tempfile.TemporaryDirectory(prefix="opsctl-sign-") as folder:
        yield _SshSigner(session, keygen, key, Path(folder))


class RosterVerifier:
    """Checks recorded signatures against the roster's keys (an allowed_signers file)."""

    def __init__(self, keygen: str, people: list[Person], folder: Path) -> None:
        self.keygen = keygen
        self.people = people
        self.folder = folder
        self.allowed = folder / "allowed_signers"
        write_allowed_signers(people, self.allowed)

    def check(self, event: Event, payload: bytes) -> str | None:
        """None when the sign-off is its actor's valid signature, else what it is."""
        actor = event.actor
        signature = event.detail.get(SIGNATURE, "")
        blob = signature_key(signature)
        if blob is None:
            return "is forged: its signature is not an SSH signature"
        used = fingerprint(blob)
        person = person_of(actor, self.people)
        if used not in {key.fingerprint for key in keys_of(person)}:
            others = [e for e in holders_of_key(blob, self.people) if e.lower() != actor.lower()]
            if others:
                return f"is re-signed: signed with {others[0]}'s key {used}, not {actor}'s"
            return (
                f"is forged: signed with key {used}, which the team roster does not list for "
                f"{actor} (if it is {actor}'s old key, keep it under their 'keys')"
            )
        principal = _principal(person.email) if person else None
        if principal is None:
            return f"cannot be checked: ssh-keygen cannot name {actor!r} in allowed_signers"
        if not verify_signature(
            self.keygen, self.allowed, principal, payload, signature, self.folder
        ):
            return (
                f"is forged: its signature does not verify with {actor}'s key {used} "
                "(the sign-off or its signature was changed after signing)"
            )
        return None


@contextmanager
def signoff_policy(session: Session) -> Iterator[SignoffPolicy | None]:
    """How audit verify and sync-check check sign-offs: None unless ``signoffs: signed``."""
    config = session.config
    if config.signoffs != "signed":
        yield None
        return
    keygen = ssh_keygen()
    with tempfile.TemporaryDirectory(prefix="opsctl-verify-") as folder:
        verifier = RosterVerifier(keygen, config.signers(), Path(folder))
        yield SignoffPolicy(verifier.check, config.signed_since)
