"""Server time of every page at the demo's data: each role's pages, reached by links, timed on loopback.

Starts `dpr serve` on a fresh data directory with the demo loaded (`dpr demo`), signs in as an officer,
finance and a supplier (and stays signed out for the public pages), follows every /ui link (at most
three pages of one kind), requests each page REPEAT times and reports the median and p95 per page and
over all requests. The goal is p95 under 100 ms. Ends with one JSON line.
"""

import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._service import free_port, log, service_env, start_service, stop_service

REPEAT = 5
SKIP = re.compile(r"/ui/(static/|sign-out|language|.*\.png$|.*/download)")
SHAPE = re.compile(r"[0-9a-f]{8}-[0-9a-f-]{27}|\d+")
CSRF = re.compile(r'name="_csrf" value="([0-9a-f]+)"')
HREF = re.compile(r'href="(/ui[^"#]*)')


def sign_in(client: httpx.Client, token: str) -> None:
    page = client.get("/ui/sign-in")
    csrf = CSRF.search(page.text)
    assert csrf, "no CSRF field on the sign-in page"
    client.post("/ui/sign-in", data={"token": token, "_csrf": csrf.group(1)})


def crawl(client: httpx.Client, starts: list[str]) -> list[str]:
    seen: list[str] = []
    shapes: dict[str, int] = {}
    queue = deque(starts)
    while queue:
        path = queue.popleft().replace("&amp;", "&")
        if path in seen or SKIP.match(path):
            continue
        shape = SHAPE.sub("X", path.split("?")[0])
        if shapes.get(shape, 0) >= 3:
            continue
        shapes[shape] = shapes.get(shape, 0) + 1
        page = client.get(path)
        if page.status_code == 200:
            seen.append(path)
            queue.extend(HREF.findall(page.text))
    return seen


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="dpr-bench-pages-") as folder:
        data = Path(folder)
        env = service_env(data)
        log("loading the demo")
        subprocess.run(
            [sys.executable, "-m", "procurement.app.cli", "demo"],
            env=env,
            check=True,
            capture_output=True,
            timeout=600,
        )
        tokens = json.loads((data / "demo-tokens.json").read_text())
        port = free_port()
        proc = start_service(env, port, data / "service.log", workers=1)
        try:
            timings: dict[str, list[float]] = {}
            for who, starts in (
                (None, ["/ui/public", "/ui/sign-in", "/ui/register"]),
                ("officer_lahti", ["/ui/officer"]),
                ("finance_lahti", ["/ui/finance"]),
                ("supplier_1", ["/ui/supplier"]),
            ):
                with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                    if who:
                        sign_in(client, tokens[who])
                    for path in crawl(client, starts):
                        for _ in range(REPEAT):
                            began = time.perf_counter()
                            client.get(path)
                            timings.setdefault(f"{who or 'public'} {path}", []).append(
                                (time.perf_counter() - began) * 1000
                            )
        finally:
            stop_service(proc)
    every = sorted(t for ts in timings.values() for t in ts)
    p95 = every[int(0.95 * (len(every) - 1))]
    slowest = sorted(((statistics.median(ts), page) for page, ts in timings.items()), reverse=True)[:5]
    for ms, page in slowest:
        log(f"slowest median {ms:7.1f} ms  {page}")
    log(
        f"{len(timings)} pages, {len(every)} requests: median {statistics.median(every):.1f} ms, p95 {p95:.1f} ms"
    )
    print(
        json.dumps(
            {
                "bench": "pages",
                "pages": len(timings),
                "requests": len(every),
                "median_ms": round(statistics.median(every), 1),
                "p95_ms": round(p95, 1),
                "p95_goal_ms": 100,
                "p95_ratio_to_goal": round(p95 / 100, 3),
                "slowest": [{"page": p, "median_ms": round(m, 1)} for m, p in slowest],
            }
        )
    )


if __name__ == "__main__":
    main()
