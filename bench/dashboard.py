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


def start_server(data_dir: Path, port: int, source: Path | None = None) -> Server:
    """``dieuhanh up`` of this checkout, or (``source``) of another checkout's ``src`` run with this environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIEUHANH_")}
    env["DIEUHANH_DATA_DIR"] = str(data_dir)
    env.pop("PYTHONPATH", None)
    if source is not None:
        env["PYTHONPATH"] = str(source)  # ahead of the editable install of this checkout
    log = data_dir / "server.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    out = log.open("ab")
    command = ["uv", "run", "--project", str(ROOT), "python", "-m", "dieuhanh", "up", "--host", "127.0.0.1",
               "--port", str(port)]
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
    """Everything the realistic mix picks from: every indicator with its periods, the communes, every board."""
    with httpx.Client(base_url=base, cookies=cookies, timeout=120) as client:
        indicators = client.get("/api/v1/indicators").raise_for_status().json()
        periods: dict[str, list[str]] = {}
        communes: set[str] = set()
        for item in indicators:
            rows = client.get(f"/api/v1/indicators/{item['code']}/values").json()
            if not isinstance(rows, list):
                continue
            found = sorted({r["period"] for r in rows if r.get("value") is not None})
            if found:
                periods[item["code"]] = found
            communes.update(r["unit_code"] for r in rows if r.get("level") == "commune")
        if not periods:
            raise SystemExit("no indicator with values: did the demo load?")
        boards = client.get("/boards").raise_for_status().text
        slugs = sorted(set(re.findall(r'href="/boards/([a-z0-9_-]+)"', boards)) - {"new"})
        if not slugs:
            raise SystemExit("no boards")
    return {"periods": periods, "codes": sorted(periods), "communes": sorted(communes), "slugs": slugs}


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


def endpoints(found: dict[str, Any]) -> list[tuple[str, float, Any]]:
    """The realistic mix: (label, weight, make(rng) -> path). Random indicators, periods, communes and boards, so
    most requests miss whatever a page cache kept from the previous one."""
    periods, codes, communes, slugs = found["periods"], found["codes"], found["communes"], found["slugs"]
    pages = [s for s in slugs if s != "overview"]

    def unit(rng: random.Random, share: float) -> str:
        return rng.choice(communes) if communes and rng.random() < share else ""

    def overview(rng: random.Random) -> str:
        u = unit(rng, 0.5)
        return f"/?unit={u}" if u else "/"

    def board(rng: random.Random) -> str:
        u = unit(rng, 0.3)
        return f"/boards/{rng.choice(pages)}" + (f"?unit={u}" if u else "")

    def detail(rng: random.Random) -> str:
        code = rng.choice(codes)
        query = []
        if rng.random() < 0.4:
            query.append(f"period={rng.choice(periods[code])}")
        if (u := unit(rng, 0.3)):
            query.append(f"unit={u}")
        return f"/indicators/{code}" + ("?" + "&".join(query) if query else "")

    def values_period(rng: random.Random) -> str:
        code = rng.choice(codes)
        return f"/api/v1/indicators/{code}/values?period={rng.choice(periods[code])}"

    def values_all(rng: random.Random) -> str:
        code = rng.choice(codes)
        return f"/api/v1/indicators/{code}/values" + ("?level=province" if rng.random() < 0.3 else "")

    def board_view(rng: random.Random) -> str:
        u = unit(rng, 0.3)
        return f"/api/v1/boards/{rng.choice(slugs)}/view" + (f"?unit={u}" if u else "")

    return [
        ("/ (overview, ?unit=)", 20, overview),
        ("/boards/{slug} (?unit=)", 12, board),
        ("/indicators/{code} (?period=&unit=)", 15, detail),
        ("values API ?period=", 12, values_period),
        ("values API, no period", 8, values_all),
        ("/api/v1/boards/{slug}/view (?unit=)", 20, board_view),
        ("/wall", 5, lambda rng: "/wall"),
        ("/alerts", 8, lambda rng: "/alerts"),
    ]


async def run_phase(name: str, server: Server, cookies: httpx.Cookies, found: dict[str, Any], *, users: int,
                    wait: float, duration: float, seed: int) -> Phase:
    phase = Phase(name)
    targets = endpoints(found)
    weights = [w for _, w, _ in targets]
    # keepalive_expiry below uvicorn's 5 s keep-alive timeout: otherwise the client may reuse a connection in the
    # very moment the server closes it (a RemoteProtocolError that is a race of the two timers, not a server error).
    limits = httpx.Limits(max_connections=users + 10, max_keepalive_connections=users + 10, keepalive_expiry=4.0)
    async with httpx.AsyncClient(base_url=server.base, cookies=cookies, timeout=60, limits=limits) as client:
        stop_at = time.perf_counter() + duration

        async def user(n: int) -> None:
            rng = random.Random(seed * 1000 + n)
            await asyncio.sleep(rng.random() * min(wait, 1.0))  # users do not all start in the same millisecond
            while time.perf_counter() < stop_at:
                label, _, make = rng.choices(targets, weights)[0]
                path = make(rng)
                started = time.perf_counter()
                try:
                    response = await client.get(path)
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
        rng = random.Random(7)
        for label, _, make in endpoints(found):
            ms: list[float] = []
            size = 0
            cpu = server.cpu_seconds()
            for _ in range(requests):
                path = make(rng)
                started = time.perf_counter()
                response = await client.get(path)
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


def baseline_source(ref: str) -> Path:
    """The ``src`` of git ``ref`` (the code before this work), exported to a temporary directory."""
    target = Path(tempfile.mkdtemp(prefix="dieuhanh-bench-baseline-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "src"], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target / "src"


# Indexes added by this work (migration 0029): the baseline runs on the same data without them.
NEW_INDEXES = ("ix_indicator_value_code_unit_period",)


def migration_head(source: Path) -> str:
    """The newest migration of a ``src`` tree (the one no other revises)."""
    revisions: dict[str, str | None] = {}
    for path in (source / "dieuhanh" / "migrations" / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        rev = re.search(r"^revision = ['\"]([^'\"]+)['\"]", text, re.M)
        down = re.search(r"^down_revision = ['\"]([^'\"]+)['\"]", text, re.M)
        if rev:
            revisions[rev.group(1)] = down.group(1) if down else None
    heads = set(revisions) - {d for d in revisions.values() if d}
    if len(heads) != 1:
        raise SystemExit(f"baseline migrations: {len(heads)} heads")
    return heads.pop()


def baseline_copy(data_dir: Path, source: Path) -> Path:
    """A copy of the data directory for the baseline (same demo, same values), without the new indexes, marked at
    the baseline's own newest migration (the tables and columns of later ones stay: the old code ignores them)."""
    import sqlite3

    target = Path(tempfile.mkdtemp(prefix="dieuhanh-bench-baseline-data-"))
    shutil.copytree(data_dir, target, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("server.log", "*.lock"))
    with sqlite3.connect(target / "dieuhanh.db") as conn:
        for name in NEW_INDEXES:
            conn.execute(f"DROP INDEX IF EXISTS {name}")
        conn.execute("UPDATE alembic_version SET version_num = ?", (migration_head(source),))
    return target


@dataclass
class Run:
    variant: str
    p95: float
    rate: float
    saturation: float | None
    errors: int
    cpu_ms: float  # server CPU per request in the no-wait phase (or the 1 s wait phase without it)


def one_run(variant: str, source: Path | None, data_dir: Path, args: argparse.Namespace, seed: int,
            cost: bool) -> Run:
    print(f"\n==================== {variant} (load average {os.getloadavg()[0]:.1f})")
    server = start_server(data_dir, free_port(), source)
    try:
        username, password = leader_credentials(data_dir)
        cookies = sign_in(server.base, username, password)
        found = discover(server.base, cookies)
        print(f"signed in as {username}; {len(found['codes'])} indicators with values, {len(found['communes'])} "
              f"communes, {len(found['slugs'])} boards; server RSS {server.rss_mb():.0f} MB")
        # Warm-up: templates compiled, connections opened (page caches stay mostly cold: the mix is random).
        asyncio.run(run_phase("warm-up", server, cookies, found, users=5, wait=0, duration=3, seed=0))
        if cost:
            asyncio.run(cost_per_endpoint(server, cookies, found, requests=args.cost_requests))
        waited = asyncio.run(run_phase(f"{variant}: {args.users} users, {args.wait:g} s wait", server, cookies,
                                       found, users=args.users, wait=args.wait, duration=args.duration, seed=seed))
        p95 = report(waited)
        saturated = None
        if not args.no_saturation:
            saturated = asyncio.run(run_phase(f"{variant}: {args.users} users, no wait (closed loop)", server,
                                              cookies, found, users=args.users, wait=0, duration=args.duration,
                                              seed=seed + 1))
            report(saturated)
        print(f"server RSS after the run: {server.rss_mb():.0f} MB")
        busiest = saturated or waited
        return Run(variant, p95, len(waited.samples) / waited.seconds,
                   len(saturated.samples) / saturated.seconds if saturated else None,
                   sum(waited.errors.values()) + (sum(saturated.errors.values()) if saturated else 0),
                   1000 * busiest.server_cpu / max(1, len(busiest.samples)))
    finally:
        server.stop()


def spread(values: list[float]) -> str:
    import statistics

    values = sorted(values)
    median = statistics.median(values)
    return f"{median:8.1f} ({values[0]:.1f}–{values[-1]:.1f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per phase (default 30)")
    parser.add_argument("--users", type=int, default=50, help="simulated users (default 50)")
    parser.add_argument("--wait", type=float, default=1.0, help="pause of each user between requests (default 1 s)")
    parser.add_argument("--data-dir", type=Path,
                        help="DIEUHANH_DATA_DIR to use; one that holds a loaded demo is served as it is")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument("--cost-requests", type=int, default=50,
                        help="sequential requests per endpoint for the cost table (default 50)")
    parser.add_argument("--no-saturation", action="store_true", help="skip the no-wait phase")
    parser.add_argument("--baseline", default="ca12d38",
                        help="git ref of the baseline (the code before the speed work); '' to skip it")
    parser.add_argument("--rounds", type=int, default=2,
                        help="interleaved rounds of baseline and current (default 2)")
    args = parser.parse_args(argv)

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="dieuhanh-bench-dashboard-"))
    if not (data_dir / "demo-credentials.txt").exists():
        first = start_server(data_dir, free_port())  # the first start loads the demo province
        first.stop()
    source = baseline_source(args.baseline) if args.baseline else None
    baseline_dir = baseline_copy(data_dir, source) if source else None
    runs: list[Run] = []
    try:
        for n in range(args.rounds):
            order = [("current", None, data_dir)] + ([("baseline", source, baseline_dir)] if source else [])
            if n % 2:
                order.reverse()  # interleaved: neither variant always runs first
            for variant, src, directory in order:
                assert directory is not None
                runs.append(one_run(variant, src, directory, args, seed=10 * n + 1, cost=n == 0))
    finally:
        if source is not None:
            shutil.rmtree(source.parent, ignore_errors=True)
        if baseline_dir is not None:
            shutil.rmtree(baseline_dir, ignore_errors=True)
        if not args.keep and not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
        elif args.keep:
            print(f"data kept in {data_dir}")

    print(f"\nsummary over {args.rounds} interleaved round(s): median (min–max); load average now "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    header = (f"{'variant':<10}{'p95 ms, 1 s wait':>26}{'req/s, 1 s wait':>26}{'saturation req/s':>26}"
              f"{'server CPU ms/req':>26}{'errors':>8}")
    print(header)
    print("-" * len(header))
    for variant in ("baseline", "current"):
        chosen = [r for r in runs if r.variant == variant]
        if not chosen:
            continue
        sat = [r.saturation for r in chosen if r.saturation is not None]
        print(f"{variant:<10}{spread([r.p95 for r in chosen]):>26}{spread([r.rate for r in chosen]):>26}"
              f"{(spread(sat) if sat else '–'):>26}{spread([r.cpu_ms for r in chosen]):>26}"
              f"{sum(r.errors for r in chosen):>8}")
    current = [r for r in runs if r.variant == "current"]
    p95 = sorted(r.p95 for r in current)[len(current) // 2]
    print(f"\ntarget: p95 < {TARGET_P95_MS:.0f} ms with {args.users} users and a {args.wait:g} s wait"
          + ("; saturation ≥ 2× the baseline's" if source and not args.no_saturation else ""))
    ok = p95 < TARGET_P95_MS and not any(r.errors for r in current)
    base = [r.saturation for r in runs if r.variant == "baseline" and r.saturation]
    cur = [r.saturation for r in current if r.saturation]
    if base and cur:
        import statistics

        ratio = statistics.median(cur) / statistics.median(base)
        cpu = (statistics.median(r.cpu_ms for r in runs if r.variant == "baseline")
               / statistics.median(r.cpu_ms for r in current))
        print(f"saturation: {ratio:.2f}× the baseline's requests per second; server CPU per request: the "
              f"baseline's ÷ {cpu:.2f} (on a machine shared with other work the CPU per request is the steadier "
              f"figure: throughput is bounded by the CPU share the server gets)")
        ok = ok and ratio >= 2
    print(f"result: p95 = {p95:.1f} ms → {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
