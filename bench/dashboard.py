"""Leaders' pages under load: 50 simulated users against the server exactly as ``dieuhanh up`` runs it.

1. Starts ``uv run dieuhanh up --port P`` (127.0.0.1 only) in a fresh temporary ``DIEUHANH_DATA_DIR`` (or
   ``--data-dir``), so the first run migrates, loads the demo province and computes the indicator set, and the
   scheduler runs as in production; waits for ``/healthz``.
2. Signs in the demo leader (``demo-credentials.txt``) through the real login form; every simulated user sends that
   session cookie.
3. Phase "1 s wait": ``--users`` users (50), each requests a page, waits ``--wait`` seconds (1 s), repeats, for
   ``--duration`` seconds. Phase "no wait": the same users with no pause (closed loop), which finds the saturation
   throughput of this machine.
4. Each request picks one of: ``/`` (overview), ``/wall`` (wall page), ``/indicators/{code}`` (a demo indicator
   with values), ``/api/v1/indicators/{code}/values?period=`` (the values API) and
   ``/api/v1/boards/{slug}/view`` (the wall's JSON, one board per request in turn).

Prints per endpoint and overall: requests, errors, p50/p95/p99/max latency (ms, from sending the request to the
last byte of the body) and throughput, the target *p95 < 150 ms with the 1 s wait* and PASS/FAIL. The load
generator runs in this process on the same 2-core machine as the server, so it takes CPU from the server; the
figures are therefore pessimistic.

    uv run python bench/dashboard.py [--duration 30] [--users 50] [--wait 1] [--data-dir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

TARGET_P95_MS = 150.0
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------------------------------------ server


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def rss_mb(self) -> float:
        """Resident memory of the server process tree (uv → python)."""
        total = 0
        for pid in self.pids():
            try:
                match = re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text())
            except OSError:
                continue
            total += int(match.group(1)) if match else 0
        return total / 1024

    def pids(self) -> list[int]:
        found, pending = [], [self.process.pid]
        while pending:
            pid = pending.pop()
            found.append(pid)
            try:
                for task in Path(f"/proc/{pid}/task").iterdir():
                    pending += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
        return found

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far by the server process tree."""
        ticks = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            # The process group is the one we started (start_new_session): uv and the server it runs.
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start_server(data_dir: Path, port: int) -> Server:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIEUHANH_")}
    env["DIEUHANH_DATA_DIR"] = str(data_dir)
    log = data_dir / "server.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    out = log.open("ab")
    command = ["uv", "run", "--project", str(ROOT), "dieuhanh", "up", "--host", "127.0.0.1", "--port", str(port)]
    if (data_dir / "demo-credentials.txt").exists():
        command.append("--no-demo")  # a --data-dir that already holds the demo (loaded by `dieuhanh demo`)
    process = subprocess.Popen(
        command,
        cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
    )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    started = time.monotonic()
    deadline = started + 600  # the first run loads the demo province (~30-60 s on 2 busy cores)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"dieuhanh up exited with {process.returncode}; see {log}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{server.base}/healthz", timeout=2).status_code == 200:
                print(f"server up in {time.monotonic() - started:.1f} s (pid {process.pid}, log {log})")
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.stop()
    raise SystemExit(f"dieuhanh up did not answer /healthz within 600 s; see {log}")


def leader_credentials(data_dir: Path) -> tuple[str, str]:
    for line in (data_dir / "demo-credentials.txt").read_text(encoding="utf-8").splitlines():
        username, role, password = line.split("\t")
        if role == "leader":
            return username, password
    raise SystemExit("no leader in demo-credentials.txt")


def sign_in(base: str, username: str, password: str) -> httpx.Cookies:
    with httpx.Client(base_url=base, timeout=30) as client:
        page = client.get("/login")
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        if not match:
            raise SystemExit("login form without csrf_token")
        response = client.post("/login", data={"username": username, "password": password,
                                                "csrf_token": match.group(1)})
        if response.status_code != 303 or "dieuhanh_session" not in client.cookies:
            raise SystemExit(f"sign-in failed: HTTP {response.status_code}")
        return client.cookies


def discover(base: str, cookies: httpx.Cookies) -> dict[str, Any]:
    """A demo indicator with values (and its latest period) and the wall's board slugs."""
    with httpx.Client(base_url=base, cookies=cookies, timeout=60) as client:
        indicators = client.get("/api/v1/indicators").raise_for_status().json()
        chosen = None
        for item in indicators:
            values = client.get(f"/api/v1/indicators/{item['code']}/values", params={"level": "province"}).json()
            if values and any(v.get("value") is not None for v in values):
                chosen = (item["code"], max(v["period"] for v in values))
                break
        if chosen is None:
            raise SystemExit("no indicator with province values: did the demo load?")
        wall = client.get("/wall").raise_for_status().text
        match = re.search(r'<script type="application/json" id="wall-config">(.*?)</script>', wall, re.S)
        config = json.loads(match.group(1)) if match else {"boards": []}
        slugs = [b["slug"] for b in config.get("boards", [])]
        if not slugs:
            raise SystemExit("the wall has no boards")
    return {"code": chosen[0], "period": chosen[1], "slugs": slugs}


# ------------------------------------------------------------------------------------------------ load


@dataclass
class Sample:
    endpoint: str
    seconds: float
    ok: bool


@dataclass
class Phase:
    name: str
    seconds: float = 0.0
    server_cpu: float = 0.0  # CPU seconds the server used during the phase
    client_cpu: float = 0.0  # CPU seconds this load generator used
    samples: list[Sample] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)


def endpoints(found: dict[str, Any]) -> list[tuple[str, Any]]:
    code, period, slugs = found["code"], found["period"], found["slugs"]
    counter = {"i": 0}

    def board_view() -> str:
        counter["i"] += 1
        return f"/api/v1/boards/{slugs[counter['i'] % len(slugs)]}/view"

    return [
        ("/", lambda: "/"),
        ("/wall", lambda: "/wall"),
        ("/indicators/{code}", lambda: f"/indicators/{code}"),
        ("/api/v1/indicators/{code}/values", lambda: f"/api/v1/indicators/{code}/values?period={period}"),
        ("/api/v1/boards/{slug}/view", board_view),
    ]


async def run_phase(name: str, server: Server, cookies: httpx.Cookies, found: dict[str, Any], *, users: int,
                    wait: float, duration: float, seed: int) -> Phase:
    phase = Phase(name)
    targets = endpoints(found)
    # keepalive_expiry below uvicorn's 5 s keep-alive timeout: otherwise the client may reuse a connection in the
    # very moment the server closes it (a RemoteProtocolError that is a race of the two timers, not a server error).
    limits = httpx.Limits(max_connections=users + 10, max_keepalive_connections=users + 10, keepalive_expiry=4.0)
    async with httpx.AsyncClient(base_url=server.base, cookies=cookies, timeout=60, limits=limits) as client:
        stop_at = time.perf_counter() + duration

        async def user(n: int) -> None:
            rng = random.Random(seed * 1000 + n)
            await asyncio.sleep(rng.random() * min(wait, 1.0))  # users do not all start in the same millisecond
            while time.perf_counter() < stop_at:
                label, make = rng.choice(targets)
                started = time.perf_counter()
                try:
                    response = await client.get(make())
                    await response.aread()
                    ok = response.status_code == 200
                    if not ok:
                        key = f"{label}: HTTP {response.status_code}"
                        phase.errors[key] = phase.errors.get(key, 0) + 1
                except httpx.HTTPError as exc:
                    ok = False
                    key = f"{label}: {type(exc).__name__}"
                    phase.errors[key] = phase.errors.get(key, 0) + 1
                phase.samples.append(Sample(label, time.perf_counter() - started, ok))
                if wait:
                    await asyncio.sleep(wait)

        began, cpu, own = time.perf_counter(), server.cpu_seconds(), time.process_time()
        await asyncio.gather(*(user(n) for n in range(users)))
        phase.seconds = time.perf_counter() - began
        phase.server_cpu = server.cpu_seconds() - cpu
        phase.client_cpu = time.process_time() - own
    return phase


async def cost_per_endpoint(server: Server, cookies: httpx.Cookies, found: dict[str, Any], *,
                            requests: int) -> None:
    """One request at a time per endpoint: the server's CPU per request and the unloaded latency. CPU time barely
    depends on what else runs on the machine, so this shows which endpoint costs what even on a busy host."""
    print(f"\ncost per endpoint ({requests} sequential requests each, one client)")
    header = f"{'endpoint':<36}{'server CPU ms/req':>19}{'p50 ms':>9}{'p95 ms':>9}{'bytes':>9}"
    print(header)
    print("-" * len(header))
    async with httpx.AsyncClient(base_url=server.base, cookies=cookies, timeout=60) as client:
        for label, make in endpoints(found):
            await client.get(make())
            ms: list[float] = []
            size = 0
            cpu = server.cpu_seconds()
            for _ in range(requests):
                started = time.perf_counter()
                response = await client.get(make())
                size = len(response.content)
                ms.append((time.perf_counter() - started) * 1000)
            used = server.cpu_seconds() - cpu
            ms.sort()
            print(f"{label:<36}{1000 * used / requests:>19.1f}{percentile(ms, 50):>9.1f}{percentile(ms, 95):>9.1f}"
                  f"{size:>9}")


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


def report(phase: Phase) -> float:
    n = max(1, len(phase.samples))
    print(f"\n{phase.name}: {len(phase.samples)} requests in {phase.seconds:.1f} s; "
          f"server CPU {phase.server_cpu:.1f} s = {1000 * phase.server_cpu / n:.1f} ms per request, "
          f"{100 * phase.server_cpu / phase.seconds:.0f} % of one core; load generator "
          f"{100 * phase.client_cpu / phase.seconds:.0f} % of one core; load average {os.getloadavg()[0]:.1f}")
    header = f"{'endpoint':<36}{'n':>7}{'err':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'req/s':>8}"
    print(header)
    print("-" * len(header))
    labels = sorted({s.endpoint for s in phase.samples})
    overall_p95 = float("nan")
    for label in [*labels, "overall"]:
        chosen = [s for s in phase.samples if label in ("overall", s.endpoint)]
        ms = sorted(s.seconds * 1000 for s in chosen)
        errors = sum(1 for s in chosen if not s.ok)
        p95 = percentile(ms, 95)
        if label == "overall":
            print("-" * len(header))
            overall_p95 = p95
        print(f"{label:<36}{len(chosen):>7}{errors:>6}{percentile(ms, 50):>9.1f}{p95:>9.1f}"
              f"{percentile(ms, 99):>9.1f}{(ms[-1] if ms else float('nan')):>9.1f}"
              f"{len(chosen) / phase.seconds:>8.1f}")
    for key, count in sorted(phase.errors.items()):
        print(f"  error {key} × {count}")
    return overall_p95


# ------------------------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per phase (default 30)")
    parser.add_argument("--users", type=int, default=50, help="simulated users (default 50)")
    parser.add_argument("--wait", type=float, default=1.0, help="pause of each user between requests (default 1 s)")
    parser.add_argument("--data-dir", type=Path,
                        help="DIEUHANH_DATA_DIR to use; one that holds a loaded demo is served as it is")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument("--cost-requests", type=int, default=100,
                        help="sequential requests per endpoint for the cost table (default 100)")
    parser.add_argument("--no-saturation", action="store_true", help="skip the no-wait phase")
    args = parser.parse_args(argv)

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="dieuhanh-bench-dashboard-"))
    server = start_server(data_dir, free_port())
    try:
        username, password = leader_credentials(data_dir)
        cookies = sign_in(server.base, username, password)
        found = discover(server.base, cookies)
        print(f"signed in as {username}; indicator {found['code']} period {found['period']}; "
              f"{len(found['slugs'])} boards; server RSS {server.rss_mb():.0f} MB")
        # Warm-up: templates compiled, caches filled, connections opened.
        asyncio.run(run_phase("warm-up", server, cookies, found, users=5, wait=0, duration=3, seed=0))
        asyncio.run(cost_per_endpoint(server, cookies, found, requests=args.cost_requests))

        waited = asyncio.run(run_phase(f"{args.users} users, {args.wait:g} s wait", server, cookies, found,
                                       users=args.users, wait=args.wait, duration=args.duration, seed=1))
        p95 = report(waited)
        saturated = None
        if not args.no_saturation:
            saturated = asyncio.run(run_phase(f"{args.users} users, no wait (closed loop)", server, cookies,
                                              found, users=args.users, wait=0, duration=args.duration, seed=2))
            report(saturated)
        print(f"\nserver RSS after the run: {server.rss_mb():.0f} MB")
        print(f"\ntarget: p95 < {TARGET_P95_MS:.0f} ms with {args.users} users and a 1 s wait")
        verdict = "PASS" if p95 < TARGET_P95_MS and not waited.errors else "FAIL"
        print(f"result: p95 = {p95:.1f} ms, {len(waited.samples) / waited.seconds:.1f} req/s"
              + (f"; saturation {len(saturated.samples) / saturated.seconds:.1f} req/s" if saturated else "")
              + f" → {verdict}")
        return 0 if verdict == "PASS" else 1
    finally:
        server.stop()
        if not args.keep and not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
        elif args.keep:
            print(f"data kept in {data_dir}")


if __name__ == "__main__":
    sys.exit(main())
