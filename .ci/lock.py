"""The dependency locks: `refresh` writes requirements*.lock from pyproject.toml, `check` compares.

Both locks carry exact versions and hashes. A lock header records the SHA-256 of what it was made from
(the project's dependencies, extras, Python bound and build requirements), so an edit of pyproject.toml
that the locks have not followed fails fast with a message saying what to run.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = {"requirements.lock": [], "requirements-dev.lock": ["--extra", "dev"]}
MARK = "# made from pyproject.toml with sha256 "


def source_digest() -> str:
    """SHA-256 of the parts of pyproject.toml that decide what is installed."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = data["project"]
    wanted = {
        "requires-python": project.get("requires-python"),
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": project.get("optional-dependencies", {}),
        "build-system": data.get("build-system", {}).get("requires", []),
    }
    return hashlib.sha256(json.dumps(wanted, sort_keys=True).encode()).hexdigest()


def check() -> int:
    digest = source_digest()
    for name in LOCKS:
        path = ROOT / name
        if not path.exists():
            print(f"{name} is missing: run `make lock` and commit it.", file=sys.stderr)
            return 1
        if f"{MARK}{digest}" not in path.read_text(encoding="utf-8").splitlines():
            print(
                f"{name} no longer matches pyproject.toml (its dependencies changed since the lock was made):"
                " run `make lock` and commit the new lock files.",
                file=sys.stderr,
            )
            return 1
    return 0


def refresh(uv: str) -> int:
    digest = source_digest()
    build = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]["requires"]
    with tempfile.TemporaryDirectory() as tmp:
        build_in = Path(tmp) / "build-system.in"
        build_in.write_text("".join(f"{req}\n" for req in build), encoding="utf-8")
        # The dev lock first; the runtime lock is held to its versions, so both install the same runtime.
        for name in ("requirements-dev.lock", "requirements.lock"):
            command = [uv, "pip", "compile", "pyproject.toml", str(build_in), *LOCKS[name]]
            command += ["--generate-hashes", "--universal", "--python-version", "3.11", "--no-header"]
            command += ["--quiet", "-o", name]
            if name == "requirements.lock":
                command += ["--constraint", "requirements-dev.lock"]
            subprocess.run(command, cwd=ROOT, check=True)  # noqa: S603 - fixed argument list
            path = ROOT / name
            body = path.read_text(encoding="utf-8").replace(str(build_in), "build-system requires")
            header = f"# Locked by `make lock` (uv pip compile); do not edit by hand.\n{MARK}{digest}\n"
            path.write_text(header + body, encoding="utf-8")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["check"]:
        sys.exit(check())
    if sys.argv[1:2] == ["refresh"] and len(sys.argv) == 3:
        sys.exit(refresh(sys.argv[2]))
    print("usage: lock.py check | refresh UV", file=sys.stderr)
    sys.exit(2)
