"""Signed sign-offs with real SSH keys: approve and revoke sign, audit verify and sync-check check.

Every key here is made by ``ssh-keygen -t ed25519`` in the test's own folder;
HOME is the test's fake one, and no test uses the developer's ssh-agent.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers import CliCaller, opsctl_subprocess, two_phase_framework
from opsctl.engine.signatures import parse_public_key, signoff_payload
from opsctl.store.documents import Event, RunDocument, chain_history

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen")

LEE, BOB, DEE = "lee@acme.io", "bob@acme.io", "dee@acme.io"
"""Lee and Bob may sign off the plan phase (director); Dee holds the role but has no key."""


def keygen(folder: Path, name: str) -> Path:
    """A new ed25519 key pair without passphrase; returns the private key's path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{name}@laptop", "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return path


class Signed(CliCaller):
    """A signed workspace with run ``r1`` whose plan phase is complete and awaits sign-off."""

    def __init__(
        self, root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        super().__init__(root, capsys, monkeypatch)
        self.keys = root.parent / "keys"
        self.lee, self.bob, self.eve = (keygen(self.keys, n) for n in ("lee", "bob", "eve"))
        self.run_file = root / ".opsctl" / "runs" / "r1.json"
        self.config = root / ".opsctl" / "config.yaml"

    def setup(self, signed: bool = True) -> None:
        self.ok("init")
        (self.root / ".opsctl" / "frameworks" / "signed.yaml").write_text(two_phase_framework())
        self.ok("team", "add", LEE, "--role", "product-director", "--key", f"{self.lee}.pub")
        self.ok(
            "team", "add", BOB, "-r", "product-director", "-r", "product-manager",
            "--key", f"{self.bob}.pub",
        )  # fmt: skip
        self.ok("team", "add", DEE, "--role", "product-director")
        if signed:
            self.sign_workspace()
        self.ok("start", "signed", "--id", "r1", "--title", "R1", user=BOB)
        self.ok("done", "r1", "scope", "-e", "https://wiki/scope", user=BOB)
        self.ok("done", "r1", "risks", "-e", "https://wiki/risks", user=BOB)

    def sign_workspace(self, extra: str = "") -> None:
        self.config.write_text(self.config.read_text() + f"signoffs: signed\n{extra}")

    def refused(self, code: int, *args: str, user: str) -> str:
        """A command that must fail with ``code`` and leave the run file as it was."""
        before = self.run_file.read_bytes()
        got, out, err = self(*args, user=user)
        assert got == code, (args, out, err)
        assert self.run_file.read_bytes() == before, f"{args} changed the run file"
        return err

    def document(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.run_file.read_text())
        return loaded

    def rewrite(self, document: dict[str, Any]) -> None:
        """Write a run back with its hash chain recomputed, as a determined forger would."""
        document["head"] = chain_history(document["history"])[-1]["hash"]
        self.run_file.write_text(json.dumps(document, indent=2))

    def audit_fails(self, *needles: str) -> str:
        code, out, err = self("audit", "verify")
        assert code == 1, (out, err)
        for needle in needles:
            assert needle in err, err
        return err


@pytest.fixture
def ws(
    isolated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Signed:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    workspace = Signed(isolated, capsys, monkeypatch)
    workspace.setup()
    return workspace


def approvals(ws: Signed) -> list[dict[str, Any]]:
    return [e for e in ws.document()["history"] if e["action"] == "approve"]


# -- the roster ---------------------------------------------------------------


def test_team_add_records_keys_and_appends_new_ones(ws: Signed) -> None:
    out = ws.ok("team", "add", LEE, "--key", f"{ws.eve}.pub")
    assert "SHA256:" in out and "eve@laptop" in out
    ws.ok("team", "add", LEE, "--key", f"{ws.eve}.pub")  # the same key twice: listed once
    people = json.loads(ws.ok("team", "list", "--format", "json"))["people"]
    lee = next(p for p in people if p["email"] == LEE)
    assert [parse_public_key(k).comment for k in lee["keys"]] == ["lee@laptop", "eve@laptop"]
    assert lee["roles"] == ["product-director"]
    text = ws.config.read_text()
    assert f"- ssh-ed25519 {(Path(f'{ws.lee}.pub').read_text().split()[1])} lee@laptop" in text
    assert "SSH KEYS" in ws.ok("team", "list")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("not a key at all\n", "expected a line starting with one of"),
        ("ssh-ed25519 AAAA!!!! x\n", "not valid base64"),
        ("ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAABAQ x\n", "not valid base64 SSH key data"),
        ("", "found 0 lines"),
    ],
)
def test_team_add_refuses_a_file_that_is_no_public_key(
    ws: Signed, content: str, problem: str
) -> None:
    bad = ws.root / "bad.pub"
    bad.write_text(content)
    before = ws.config.read_bytes()
    code, _, err = ws("team", "add", LEE, "--key", "bad.pub")
    assert code == 2, err
    assert "--key: bad.pub: not an SSH public key" in err and problem in err
    assert ws.config.read_bytes() == before


def test_team_add_refuses_a_private_key_a_missing_file_and_anothers_key(ws: Signed) -> None:
    code, _, err = ws("team", "add", LEE, "--key", str(ws.lee))
    assert code == 2 and "this is a private key; give the public key" in err
    code, _, err = ws("team", "add", LEE, "--key", "nowhere.pub")
    assert code == 2 and "--key: nowhere.pub: no such file" in err
    code, _, err = ws("team", "add", LEE, "--key", f"{ws.bob}.pub")
    assert code == 2 and f"is already {BOB}'s in the roster" in err
    code, _, err = ws("team", "add", "new@acme.io")
    assert code == 2 and "give at least one --role or --key" in err


# -- signing ------------------------------------------------------------------


def test_approve_with_the_right_key_signs_and_verifies(ws: Signed) -> None:
    out = ws.ok("approve", "r1", "--key", str(ws.lee), "-m", "go", user=LEE)
    assert "approved as product-director" in out
    (event,) = approvals(ws)
    signature = event["detail"]["signature"]
    assert signature.startswith("-----BEGIN SSH SIGNATURE-----")
    assert "intact (4 events)" in ws.ok("audit", "verify")
    assert "1 runs intact" in ws.ok("sync-check")
    # What is signed can be checked with ssh-keygen alone, in the opsctl namespace.
    allowed = ws.root.parent / "allowed"
    allowed.write_text(f"{LEE} {Path(f'{ws.lee}.pub').read_text()}")
    sig = ws.root.parent / "event.sig"
    sig.write_text(signature)
    payload = signoff_payload("r1", Event.model_validate(event))
    checked = subprocess.run(
        ["ssh-keygen", "-Y", "verify", "-f", allowed, "-I", LEE, "-n", "opsctl", "-s", sig],
        input=payload,
        capture_output=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr


def test_approving_as_someone_else_with_the_wrong_key_is_refused(ws: Signed) -> None:
    err = ws.refused(1, "approve", "r1", "--key", str(ws.bob), user=LEE)
    assert f"{LEE} may not sign off with --key {ws.bob}" in err
    assert f"is {BOB}'s key, not one of {LEE}'s" in err
    err = ws.refused(1, "approve", "r1", "--key", f"{ws.eve}.pub", user=LEE)
    assert "is not in the team roster" in err
    err = ws.refused(1, "approve", "r1", "--key", str(ws.lee), user=DEE)
    assert f"{DEE} has no SSH key in the team roster" in err
    assert f"opsctl team add {DEE} --key FILE.pub" in err


def test_without_any_key_approve_says_how_to_give_one(ws: Signed) -> None:
    err = ws.refused(2, "approve", "r1", user=LEE)
    assert "no SSH key to sign" in err and "--key PATH" in err and "user.signingkey" in err
    err = ws.refused(2, "approve", "r1", "--key", "missing-key", user=LEE)
    assert "--key: file 'missing-key' does not exist" in err


def test_git_user_signingkey_is_used_without_key(ws: Signed) -> None:
    subprocess.run(["git", "config", "--global", "user.signingkey", str(ws.lee)], check=True)
    ws.ok("approve", "r1", user=LEE)
    assert "signature" in approvals(ws)[0]["detail"]
    assert "intact" in ws.ok("audit", "verify")
    subprocess.run(["git", "config", "--global", "user.signingkey", "~/gone.pub"], check=True)
    err = ws.refused(2, "revoke", "r1", "--phase", "plan", "-r", "x", user=LEE)
    assert "git config user.signingkey names '~/gone.pub', which does not exist" in err


@pytest.fixture
def agent(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private ssh-agent for the test (a short socket path: sockets have a length limit)."""
    if shutil.which("ssh-agent") is None or shutil.which("ssh-add") is None:
        pytest.skip("needs ssh-agent and ssh-add")
    folder = Path(tempfile.mkdtemp(prefix="opsctl-agent-"))
    socket = folder / "s"
    process = subprocess.Popen(
        ["ssh-agent", "-D", "-a", str(socket)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            if socket.exists():
                break
            time.sleep(0.05)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(socket))
        yield socket
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def test_the_ssh_agent_signs_with_the_persons_key(ws: Signed, agent: Path) -> None:
    subprocess.run(["ssh-add", "-q", str(ws.lee)], check=True, capture_output=True)
    err = ws.refused(1, "approve", "r1", user=BOB)
    assert f"ssh-agent holds no key of {BOB}" in err
    ws.ok("approve", "r1", user=LEE)
    assert "intact" in ws.ok("audit", "verify")


def test_a_public_signingkey_signs_through_the_agent(ws: Signed, agent: Path) -> None:
    subprocess.run(["ssh-add", "-q", str(ws.lee)], check=True, capture_output=True)
    public = ws.root.parent / "only-public.pub"  # no private key beside it
    shutil.copy(f"{ws.lee}.pub", public)
    subprocess.run(["git", "config", "--global", "user.signingkey", str(public)], check=True)
    ws.ok("approve", "r1", user=LEE)
    literal = "key::" + Path(f"{ws.lee}.pub").read_text().strip()
    subprocess.run(["git", "config", "--global", "user.signingkey", literal], check=True)
    ws.ok("revoke", "r1", "--phase", "plan", "-r", "rethink", user=LEE)
    assert "intact (5 events)" in ws.ok("audit", "verify")


def test_revoke_is_signed_and_refused_with_the_wrong_key(ws: Signed) -> None:
    ws.ok("approve", "r1", "--key", str(ws.lee), user=LEE)
    ws.refused(1, "revoke", "r1", "--phase", "plan", "-r", "no", "--key", str(ws.bob), user=LEE)
    ws.ok("revoke", "r1", "--phase", "plan", "-r", "changed", "--key", str(ws.lee), user=LEE)
    revoked = ws.document()["history"][-1]
    assert revoked["action"] == "void-approval"
    assert revoked["detail"]["signature"].startswith("-----BEGIN SSH SIGNATURE-----")
    assert "intact" in ws.ok("audit", "verify")


# -- what audit verify and sync-check catch -----------------------------------


def test_a_hand_edited_signature_is_named(ws: Signed) -> None:
    ws.ok("approve", "r1", "--key", str(ws.lee), "-m", "go", user=LEE)
    document = ws.document()
    event = document["history"][3]
    lines = event["detail"]["signature"].splitlines()
    last = lines[-2]  # the end of the signature blob: the signature bytes themselves
    lines[-2] = last[:5] + ("A" if last[5] != "A" else "B") + last[6:]
    event["detail"]["signature"] = "\n".join(lines)
    ws.run_file.write_text(json.dumps(document, indent=2))
    ws.audit_fails("r1: event #4 (approve plan by lee@acme.io", "was edited")
    ws.rewrite(document)  # the chain recomputed: only the signature check can tell
    ws.audit_fails("r1: event #4 (approve plan by lee@acme.io", "is forged", "does not verify")
    event["detail"]["signature"] = "signed, honestly"
    ws.rewrite(document)
    ws.audit_fails("is forged: its signature is not an SSH signature")


def test_a_sign_off_edited_after_signing_is_forged(ws: Signed) -> None:
    ws.ok("approve", "r1", "--key", str(ws.lee), "-m", "go", user=LEE)
    document = ws.document()
    document["history"][3]["detail"]["comment"] = "go, whatever the risks"
    document["approvals"][0]["comment"] = "go, whatever the risks"
    ws.rewrite(document)
    ws.audit_fails(f"its signature does not verify with {LEE}'s key")


def test_a_re_signed_history_is_caught_by_the_signature(ws: Signed) -> None:
    """Bob signs off, then rewrites it as Lee's, signs it with his own key and re-chains."""
    ws.ok("approve", "r1", "--key", str(ws.bob), user=BOB)
    document = ws.document()
    event = document["history"][3]
    event["actor"] = LEE
    document["approvals"][0]["by"] = LEE
    del event["detail"]["signature"]
    payload = ws.root.parent / "payload"
    payload.write_bytes(signoff_payload("r1", Event.model_validate(event)))
    subprocess.run(
        ["ssh-keygen", "-Y", "sign", "-n", "opsctl", "-f", str(ws.bob), str(payload)],
        check=True,
        capture_output=True,
    )
    event["detail"]["signature"] = Path(f"{payload}.sig").read_text()
    ws.rewrite(document)
    RunDocument.model_validate(document)
    ws.audit_fails(f"is re-signed: signed with {BOB}'s key", f"not {LEE}'s")
    code, _, err = ws("sync-check")
    assert code == 1 and "is re-signed" in err and "r1.json" in err


def test_an_unsigned_sign_off_in_a_signed_workspace_is_named(
    isolated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = Signed(isolated, capsys, monkeypatch)
    ws.setup(signed=False)
    ws.ok("approve", "r1", user=LEE)  # unsigned workspace: no key needed
    assert "signature" not in approvals(ws)[0]["detail"]
    ws.sign_workspace()
    ws.audit_fails("r1: event #4 (approve plan by lee@acme.io", "is unsigned")
    result = opsctl_subprocess(["sync-check"], isolated, {"OPSCTL_USER": LEE})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "is unsigned" in result.stderr
    # Sign-offs from before the workspace started signing may be exempted by date.
    ws.config.write_text(ws.config.read_text() + "signed_since: 2999-01-01\n")
    assert "intact" in ws.ok("audit", "verify")


def test_an_unsigned_workspace_refuses_key_and_checks_no_signature(
    isolated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = Signed(isolated, capsys, monkeypatch)
    ws.setup(signed=False)
    err = ws.refused(2, "approve", "r1", "--key", str(ws.lee), user=LEE)
    assert "--key: this workspace does not sign sign-offs" in err


def test_missing_ssh_keygen_is_a_usage_error(ws: Signed, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = ws.root.parent / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    err = ws.refused(2, "approve", "r1", "--key", str(ws.lee), user=LEE)
    assert "needs ssh-keygen" in err and "on PATH" in err
    code, _, err = ws("audit", "verify")
    assert code == 2 and "needs ssh-keygen" in err


def test_a_merge_re_chains_and_signatures_still_verify(ws: Signed) -> None:
    """The signed payload leaves out prev and hash, so the merge driver's re-chaining keeps it."""
    from opsctl.git.merge import merge_runs

    base = ws.run_file.read_text()
    ws.ok("link", "r1", "--ref", "v1.0", user=BOB)
    theirs = RunDocument.model_validate_json(ws.run_file.read_text())
    ws.run_file.write_text(base)
    ws.ok("approve", "r1", "--key", str(ws.lee), user=LEE)
    ours = RunDocument.model_validate_json(ws.run_file.read_text())
    merged = merge_runs(ours, theirs, ours.history[-1].at)
    approve = next(e for e in merged.content()["history"] if e["action"] == "approve")
    assert approve["prev"] != ours.history[3].prev  # re-chained after the link event
    ws.run_file.write_text(json.dumps(merged.content(), indent=2))
    assert "intact" in ws.ok("audit", "verify")
