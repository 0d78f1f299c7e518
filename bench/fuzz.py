"""Fuzzing at depth: the suite's schemathesis test with many more examples per operation and role (issue 8).

Runs tests/api/test_fuzz.py (every operation of the served OpenAPI document, as anonymous, admin,
officer, finance and supplier, against the authorization world on a real PostgreSQL started for the
run) with DPR_FUZZ_EXAMPLES examples each instead of the suite's 2, and reads its figures back.
Then tests/api/test_fuzz_stateful.py (schemathesis following the links between operations as every
role) with BENCH_FUZZ_STATEFUL_EXAMPLES scenarios of BENCH_FUZZ_STATEFUL_STEPS steps instead of 6 × 8.
Run: .venv/bin/python bench/fuzz.py   (BENCH_FUZZ_EXAMPLES=25, stateful 40 × 15; the last line is JSON)
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXAMPLES = int(os.environ.get("BENCH_FUZZ_EXAMPLES", "25"))
STATEFUL_EXAMPLES = int(os.environ.get("BENCH_FUZZ_STATEFUL_EXAMPLES", "40"))
STATEFUL_STEPS = int(os.environ.get("BENCH_FUZZ_STATEFUL_STEPS", "15"))
ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="dpr-fuzz-") as folder:
        report = Path(folder) / "fuzz.json"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DPR_")}
        env.update({"DPR_FUZZ_EXAMPLES": str(EXAMPLES), "DPR_FUZZ_REPORT": str(report)})
        print(f"fuzzing with {EXAMPLES} examples per operation and role", flush=True)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/api/test_fuzz.py"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        if not report.exists():
            raise SystemExit(f"the fuzz test wrote no report:\n{done.stdout[-3000:]}")
        found = json.loads(report.read_text())
    statuses = {int(k): v for k, v in found["statuses"].items()}
    errors_5xx = sum(n for status, n in statuses.items() if status >= 500)
    print(f"{found['operations']} operations, {found['requests']} requests in {seconds:.0f} s", flush=True)
    print(f"statuses: {dict(sorted(statuses.items()))}", flush=True)
    for failure in sorted(set(found["failures"]))[:30]:
        print(f"  ! {failure}", flush=True)
    stateful = _stateful()
    result = {
        "operations": found["operations"],
        "requests": found["requests"],
        "failures": len(found["failures"]),
        "errors_5xx": errors_5xx,
        "stateful_calls": stateful["calls"],
        "stateful_operations": stateful["operations_called"],
        "stateful_passed": stateful["passed"],
    }
    print(json.dumps(result))


def _stateful() -> dict[str, int | bool]:
    """The stateful test at depth: its figures, and whether it passed (0 5xx, problems, documented)."""
    with tempfile.TemporaryDirectory(prefix="dpr-fuzz-stateful-") as folder:
        report = Path(folder) / "stateful.json"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DPR_")}
        env.update(
            {
                "DPR_FUZZ_STATEFUL_EXAMPLES": str(STATEFUL_EXAMPLES),
                "DPR_FUZZ_STATEFUL_STEPS": str(STATEFUL_STEPS),
                "DPR_FUZZ_STATEFUL_REPORT": str(report),
            }
        )
        print(f"stateful: {STATEFUL_EXAMPLES} scenarios of {STATEFUL_STEPS} steps per role", flush=True)
        started = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "tests/api/test_fuzz_stateful.py",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            print(done.stdout[-3000:], flush=True)
        found = json.loads(report.read_text()) if report.exists() else {"calls": 0, "operations_called": 0}
        print(
            f"stateful: {found['calls']} calls over {found['operations_called']} operations in"
            f" {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        return {**found, "passed": done.returncode == 0}


if __name__ == "__main__":
    main()
