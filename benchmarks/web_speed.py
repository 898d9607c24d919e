"""Benchmark: the web app under a real uvicorn server on 127.0.0.1 (figures printed, not asserted).

1. Upload: a 600-utterance notes file is posted to /sessions (parse, code, store in one
   transaction), then its session page is fetched. Target: under 1 s for both together.
2. Latency: 20 concurrent clients fetch a demo session page; a bounded number of requests.
   Target: 95th percentile under 100 ms.

    python benchmarks/web_speed.py [--runs 5] [--requests 2000] [--clients 20]

The server is `mifi serve --demo` in its own process with a throwaway database.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET_UTTERANCES = 600


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--demo", "--db", str(db),
                             "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def login(client: httpx.Client, base: str, username: str = "practitioner1") -> str:
    r = client.post(base + "/login", data={"username": username, "password": "demo"})
    assert r.status_code == 303, r.status_code
    page = client.get(base + "/sessions/new").text
    return re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page).group(1)


def big_notes() -> tuple[str, int]:
    """Demo conversations joined until the pipeline codes at least 600 utterances."""
    from app.coding import code_transcripts
    from app.demo import demo_sessions
    from app.parsers import read_text
    from app.scheme import load_scheme
    from classifiers.coder import Coder

    bodies = [s.text for s in demo_sessions()]
    coder, scheme = Coder.load(), load_scheme()
    text, i = "", 0
    while True:
        text += bodies[i % len(bodies)].replace("Worker:", "SW:").replace("Practitioner:", "SW:")
        i += 1
        coded = code_transcripts([read_text(text)], scheme, coder)[0]
        n = sum(len(t.utterances) for t in coded.turns)
        if n >= TARGET_UTTERANCES:
            return text, n


def upload(base: str, runs: int) -> None:
    text, n = big_notes()
    data = {"session_date": date.today().isoformat(), "family_ref": "BENCH-1",
            "change_goals": "benchmark", "setting": "office", "visibility": "private"}
    times = []
    with httpx.Client(timeout=30, follow_redirects=False) as client:
        csrf = login(client, base)
        for _ in range(runs):
            t0 = time.perf_counter()
            r = client.post(base + "/sessions", data={**data, "csrf_token": csrf},
                            files={"file": ("long.txt", text.encode(), "text/plain")})
            assert r.status_code == 303, r.text[:300]
            page = client.get(base + r.headers["location"])
            assert page.status_code == 200 and page.text.count('class="utt') >= n
            times.append(time.perf_counter() - t0)
    print(f"upload of {n} utterances ({len(text.encode()):,} bytes), coded, stored, page rendered "
          f"({len(page.content):,} bytes): best {min(times) * 1000:.0f} ms, median "
          f"{statistics.median(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms over {runs} runs "
          f"(target < 1000 ms)")


async def latency(base: str, requests: int, clients: int, max_seconds: float = 120) -> None:
    with httpx.Client(timeout=30) as c:
        login(c, base)
        cookies = dict(c.cookies)
        listing = c.get(base + "/sessions").text
    # A typical demo session (the uploads above are 600-utterance outliers).
    url = base + re.search(r'href="(/sessions/\d+)">[^<]*</a> <span class="tag tag-demo">', listing).group(1)
    latencies: list[float] = []
    remaining = requests
    deadline = time.monotonic() + max_seconds

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal remaining
        while remaining > 0 and time.monotonic() < deadline:
            remaining -= 1
            t0 = time.perf_counter()
            r = await client.get(url)
            latencies.append(time.perf_counter() - t0)
            assert r.status_code == 200

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(cookies=cookies, timeout=30, limits=limits) as client:
        for _ in range(50):  # warm up
            await client.get(url)
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        elapsed = time.perf_counter() - t0
    q = statistics.quantiles(latencies, n=100)
    print(f"session page, {clients} concurrent clients, {len(latencies)} requests in {elapsed:.1f} s "
          f"({len(latencies) / elapsed:.0f}/s): p50 {q[49] * 1000:.1f} ms, p95 {q[94] * 1000:.1f} ms, "
          f"p99 {q[98] * 1000:.1f} ms (target p95 < 100 ms)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=20)
    args = ap.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        proc = start_server(Path(tmp) / "bench.db", port)
        try:
            base = f"http://127.0.0.1:{port}"
            upload(base, args.runs)
            asyncio.run(latency(base, args.requests, args.clients))
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
