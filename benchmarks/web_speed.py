"""Benchmark: the web app under a real uvicorn server on 127.0.0.1 (figures printed, not asserted).

1. Upload: a 600-utterance notes file is posted to /sessions (parse, code, store in one
   transaction), then its session page is fetched. Target: under 1 s for both together.
2. Latency: 20 concurrent clients fetch a demo session page; a bounded number of requests.
   Target: 95th percentile under 100 ms.

    python benchmarks/web_speed.py [--runs 5] [--requests 2000] [--clients 20] [--no-page-cache]

The server is `mifi serve --demo` in its own process with a throwaway database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
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


def start_server(db: Path, port: int, page_cache: bool = True) -> subprocess.Popen:
    env = {**os.environ, "MIFI_PAGE_CACHE": "64" if page_cache else "0"}
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--demo", "--db", str(db),
                             "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env)
    return wait_until_serving(proc, port)


def wait_until_serving(proc: subprocess.Popen, port: int, log: Path | None = None) -> subprocess.Popen:
    """Return the server process once /healthz answers (2 minutes at most); else stop it and
    end the benchmark, with the end of its log if there is one."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start" + (":\n" + log.read_text()[-2000:] if log else ""))


def login(client: httpx.Client, base: str, username: str = "practitioner1") -> str:
    form = re.search(r'name="csrf_token" value="([^"]+)"', client.get(base + "/login").text).group(1)
    r = client.post(base + "/login", data={"username": username, "password": "demo", "csrf_token": form})
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


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    """One keep-alive HTTP/1.1 GET on an open connection; the status code."""
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
    await reader.readexactly(length)
    return status


async def latency(base: str, requests: int, clients: int, max_seconds: float = 120) -> None:
    """Closed loop: `clients` connections, each sending its next request when the last returns.

    A minimal keep-alive client on raw sockets, so the figures are the server's, not the
    client library's (the machine has two cores, shared by both).
    """
    with httpx.Client(timeout=30) as c:
        login(c, base)
        cookie = "; ".join(f"{k}={v}" for k, v in c.cookies.items())
        listing = c.get(base + "/sessions").text
    # A typical demo session (the uploads above are 600-utterance outliers).
    path = re.search(r'href="(/sessions/\d+)">[^<]*</a> <span class="tag tag-demo">', listing).group(1)
    host, port = base.removeprefix("http://").split(":")
    request = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {cookie}\r\n\r\n").encode()
    latencies: list[float] = []
    remaining = requests
    deadline = time.monotonic() + max_seconds

    async def worker() -> None:
        nonlocal remaining
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            for _ in range(3):  # warm up
                assert await _get(reader, writer, request) == 200
            while remaining > 0 and time.monotonic() < deadline:
                remaining -= 1
                t0 = time.perf_counter()
                assert await _get(reader, writer, request) == 200
                latencies.append(time.perf_counter() - t0)
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    elapsed = time.perf_counter() - t0
    q = statistics.quantiles(latencies, n=100)
    print(f"session page {path}, {clients} concurrent clients, {len(latencies)} requests in "
          f"{elapsed:.1f} s ({len(latencies) / elapsed:.0f}/s): p50 {q[49] * 1000:.1f} ms, "
          f"p95 {q[94] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms (target p95 < 100 ms)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--no-page-cache", action="store_true",
                    help="render every page afresh (MIFI_PAGE_CACHE=0), to see the cost without the cache")
    args = ap.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        proc = start_server(Path(tmp) / "bench.db", port, page_cache=not args.no_page_cache)
        try:
            base = f"http://127.0.0.1:{port}"
            upload(base, args.runs)
            asyncio.run(latency(base, args.requests, args.clients))
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
