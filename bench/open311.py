"""Open311 GeoReport v2 under load: POSTs of new reports and GETs of reports, against the server `dieuhanh up` runs.

Run:

    uv run python bench/open311.py [--duration 60] [--concurrency 32] [--phases post,get,mixed] [--keep]

What it does, in order:

1. a temporary ``DIEUHANH_DATA_DIR`` (SQLite + DuckDB, the defaults), ``uv run dieuhanh migrate``, ``uv run
   dieuhanh tokens create --name bench --scope open311`` (the key third-party apps use);
2. ``uv run dieuhanh up --port <free>`` on 127.0.0.1 in a child process, which on this first run loads the demo
   province (~2,000 citizen reports included) and then serves: the production server path (one uvicorn worker, the
   scheduler on, proxy headers) with one change of configuration, the per-key rate limit
   (``DIEUHANH_FEEDBACK_RATE_PER_KEY_PER_MINUTE``, default 600 a minute) raised so that the limiter does not
   refuse the benchmark — a province does the same for a trusted high-volume integration;
3. for each phase, ``--concurrency`` asyncio workers, each with its own keep-alive connection, keep exactly that
   many requests in flight (a bounded, closed-loop load) for ``--duration`` seconds:

   * ``post``: ``POST /open311/v2/requests.json``, form-encoded, ``api_key`` in the body (half of the requests) or
     the query string, a random non-emergency ``service_code``, ``lat``/``long`` inside a random commune of the
     province, a Vietnamese ``description`` and sometimes an ``email``;
   * ``get``: ``GET /open311/v2/requests.json`` with filters (``service_code``, ``status``, ``start_date`` in the
     last 30 days) and ``GET /open311/v2/requests/{id}.json`` of reports made in the ``post`` phase (or the demo);
   * ``mixed``: both at once (one POST for three GETs);

   Every phase sends its requests over plain asyncio keep-alive HTTP/1.1 connections (``RawConnection``,
   ~0.2 ms of CPU per request) rather than httpx (~11 ms per request on this machine, more than the server spends),
   since the load generator shares the two CPUs with the server; ``--client httpx`` uses httpx as before;

4. prints, per phase, the CPU seconds of the server (process tree, from /proc) and of the load generator, and per
   request kind, requests, requests/s, p50/p95/p99 latency in ms and errors (any status
   other than 200/201, or a transport error), with the first error bodies, and the target
   *≥ 300 POST/s with zero errors*. The client runs on the same 2-core machine and takes part of the CPU.

Before and after (issue 24's target for the GET: *filtered ``requests.json`` ≥ 200 req/s at p95 < 200 ms with
20.000 reports in the window*): ``--baseline-tree DIR`` (a checkout of main, e.g. ``git archive main | tar -x``
then ``uv sync``) serves a copy of the same data beside this tree. The data is then prepared once, by the
baseline tree: ``dieuhanh demo``, and ``--reports`` (20,000) reports seeded in the last 30 days (copies of demo
reports: several statuses, every service, a few merged duplicates), so every filtered GET reads a full window;
both servers start with ``--no-demo``, this tree's copy stepped back to migration 0024 so that its own 0025 runs.
The phases then run ``--repeat`` times per server, the servers alternating, and the figures of each run are
printed with the median and spread. ``--cold`` gives every filtered GET its own ``start_date`` (a random second),
so no two ask the same question and no kept answer is reused: the cost of reading and encoding every time.

``--profile`` samples the server process with py-spy during the ``post`` phase (``uv run --with py-spy python
bench/open311.py --profile``; every thread, so the request handlers in the thread pool are seen too) and prints
the functions holding the most samples, inclusive and self. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parent.parent
GEOJSON = ROOT / "src" / "dieuhanh" / "geo" / "data" / "ninh-binh-2025-communes.geojson"
CATEGORIES = ["rac-thai", "duong-via-he", "chieu-sang", "cay-xanh", "ngap-ung", "trat-tu-do-thi", "o-nhiem",
              "an-ninh", "khac"]
TEXTS = ["Rác thải ùn ứ đầu ngõ {n} đã nhiều ngày chưa được thu gom, bốc mùi hôi.",
         "Mặt đường trước số nhà {n} có ổ gà lớn, nguy hiểm cho xe máy khi trời mưa.",
         "Cụm đèn đường gần số {n} không sáng, buổi tối rất tối.",
         "Cống thoát nước gần số {n} bị tắc, nước tràn lên mặt đường.",
         "Hàng quán lấn chiếm vỉa hè trước số nhà {n}, người đi bộ phải xuống lòng đường."]
TARGET_POSTS_PER_SECOND = 300
TARGET_GETS_PER_SECOND, TARGET_GET_P95_MS = 200, 200.0
GET_LIST = "GET requests.json (filters)"

SEED_SCRIPT = r"""
import random, sys
from datetime import timedelta
from sqlalchemy import func, insert, select
from dieuhanh.core.db import Database, utcnow
from dieuhanh.feedback.models import Report
from dieuhanh.feedback.service import make_code
from dieuhanh.settings import Settings

wanted = int(sys.argv[1])
rng = random.Random(7)
db = Database(Settings().effective_database_url)
now = utcnow()
with db.session() as s:
    have = s.scalar(select(func.count(Report.id)).where(Report.created_at >= now - timedelta(days=29)))
    templates = [dict(r._mapping) for r in s.execute(select(Report.__table__).where(
        Report.duplicate_of_id.is_(None)).order_by(Report.id).limit(2000))]
    next_id = (s.scalar(select(func.max(Report.id))) or 0) + 1
    rows = []
    statuses = ["new"] * 5 + ["accepted", "in_progress", "in_progress", "forwarded", "reopened"] + \
        ["resolved"] * 5 + ["closed"] * 3 + ["rejected"]
    for i in range(max(0, wanted - have)):
        t = dict(rng.choice(templates))
        created = now - timedelta(seconds=rng.uniform(60, 29 * 86400))
        status = rng.choice(statuses)
        closed = status in ("resolved", "closed", "rejected")
        t.update(id=next_id + i, code=make_code(next_id + i, created), created_at=created,
                 updated_at=created + timedelta(hours=rng.uniform(0, 48) if closed else 0), status=status,
                 due_at=created + timedelta(hours=72), resolved_at=created + timedelta(hours=24) if closed else None,
                 closed_at=created + timedelta(hours=30) if status == "closed" else None,
                 public_reply="Đã xử lý xong, cảm ơn người dân." if closed else None,
                 duplicate_of_id=None, possible_duplicate_of_id=None, rating=None, rated_at=None,
                 reopened_count=0, source="demo", owner_key_hash=None, api_token_id=None)
        rows.append(t)
    # a few merged duplicates (the shown status is the main report's)
    # (each points to a report of an earlier chunk, so that the foreign key holds at every insert)
    for t in rows[2000:][: len(rows) // 100]:
        t["duplicate_of_id"] = rng.choice(rows[:2000])["id"]
    for start in range(0, len(rows), 2000):
        s.execute(insert(Report.__table__), rows[start:start + 2000])
    total = s.scalar(select(func.count(Report.id)).where(Report.created_at >= now - timedelta(days=29)))
    codes = [c for (c,) in s.execute(select(Report.code).order_by(Report.id.desc()).limit(500))]
print(total)
print(",".join(codes))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def commune_points(n: int, rng: random.Random) -> list[tuple[float, float]]:
    """Random points inside the demo province's communes (shapely, from the shipped GeoJSON)."""
    from shapely import prepared
    from shapely.geometry import Point, shape

    shapes = [shape(f["geometry"]) for f in json.loads(GEOJSON.read_text(encoding="utf-8"))["features"]]
    prepared_shapes = [(s, prepared.prep(s)) for s in shapes]
    points: list[tuple[float, float]] = []
    while len(points) < n:
        geom, prep = rng.choice(prepared_shapes)
        minx, miny, maxx, maxy = geom.bounds
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if prep.contains(Point(x, y)):
            points.append((round(y, 6), round(x, 6)))
    return points


# ------------------------------------------------------------------------------------------------ server


def run_cli(args: list[str], env: dict[str, str], timeout: float = 900) -> str:
    done = subprocess.run(["uv", "run", "--project", str(ROOT), "dieuhanh", *args], env=env, capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"dieuhanh {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    command = ["uv", "run", "--project", str(ROOT), "dieuhanh", "up", "--host", "127.0.0.1", "--port", str(port)]
    handle = log.open("wb")
    # A new session: the server and its children are stopped together, by this process group only.
    return subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT,
                            start_new_session=True)


def server_python(proc: subprocess.Popen[bytes]) -> int:
    """The Python process that serves (``uv run`` starts it as a child)."""
    todo, seen = [proc.pid], []
    while todo:
        pid = todo.pop()
        seen.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*"):
            todo.extend(int(c) for c in (task / "children").read_text().split())
    for pid in seen:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        if b"python" in cmdline and b"dieuhanh" in cmdline and b" up" in cmdline:
            return pid
    return seen[-1]


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its live children (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    todo, total = [pid], 0.0
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{p}/task").glob("*"):
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError, IndexError):
            continue
    return total


def start_profiler(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes] | None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        print("py-spy not found: run with `uv run --with py-spy python bench/open311.py --profile`")
        return None
    return subprocess.Popen([spy, "record", "-p", str(pid), "-d", str(int(seconds)), "-r", "200", "-f", "raw",
                             "-o", str(out), "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def print_profile(raw: Path, top: int = 35) -> None:
    """Inclusive and self sample counts per function from py-spy's collapsed stacks."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [f.strip() for f in stack.split(";") if f.strip()]
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + n
        own[frames[-1]] = own.get(frames[-1], 0) + n
    if not total:
        print("no samples")
        return
    print(f"\n== server profile (py-spy, {total} samples over all threads)")
    print("inclusive (share of samples in which the function is on the stack):")
    for frame, n in sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {100 * n / total:5.1f} %  {frame[:150]}")
    print("self (share of samples in which the function itself runs):")
    for frame, n in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {100 * n / total:5.1f} %  {frame[:150]}")


def wait_ready(base: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server stopped ({proc.returncode}):\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("the server did not answer /healthz in time")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGINT)  # our own process group (start_new_session)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


# ------------------------------------------------------------------------------------------------ load


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    samples: list[str] = field(default_factory=list)

    def add(self, seconds: float, ok: bool, sample: str = "") -> None:
        self.latencies.append(seconds)
        if not ok:
            self.errors += 1
            if len(self.samples) < 3:
                self.samples.append(sample[:300])


class RawConnection:
    """One keep-alive HTTP/1.1 connection: writes a request, reads the status line, headers and a
    Content-Length body. The load generator shares the two CPUs with the server; httpx costs several ms of CPU
    per request, this about a tenth of that, so more of the machine is left to the server."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        self.writer.write(head + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if "content-length" not in headers:
            raise ValueError("no Content-Length in the response")
        data = await self.reader.readexactly(int(headers["content-length"]))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, data


@dataclass
class Load:
    base: str
    key: str
    points: list[tuple[float, float]]
    codes: list[str]
    rng: random.Random
    stats: dict[str, Stats] = field(default_factory=dict)
    cold: bool = False  # every filtered GET its own start_date (no two the same question)

    def stat(self, kind: str) -> Stats:
        return self.stats.setdefault(kind, Stats())

    def post_form(self) -> tuple[dict[str, str], dict[str, str]]:
        lat, lon = self.rng.choice(self.points)
        form = {"service_code": self.rng.choice(CATEGORIES), "lat": str(lat), "long": str(lon),
                "description": self.rng.choice(TEXTS).format(n=self.rng.randint(1, 400))}
        if self.rng.random() < 0.3:
            form["email"] = f"bench{self.rng.randint(1, 10**6)}@example.com"
        params = {}
        if self.rng.random() < 0.5:
            form["api_key"] = self.key
        else:
            params["api_key"] = self.key
        return form, params

    def record_post(self, started: float, status: int, body: bytes, error: str | None = None) -> None:
        ok = error is None and status in (200, 201)
        if ok:
            self.codes.append(json.loads(body)[0]["service_request_id"])
        sample = error or f"{status} {body.decode(errors='replace')}"
        self.stat("POST requests.json").add(time.perf_counter() - started, ok, sample)

    async def post(self, client: httpx.AsyncClient) -> None:
        form, params = self.post_form()
        started = time.perf_counter()
        try:
            response = await client.post("/open311/v2/requests.json", data=form, params=params)
            self.record_post(started, response.status_code, response.content)
        except httpx.HTTPError as exc:
            self.record_post(started, 0, b"", f"{type(exc).__name__}: {exc}")

    async def post_raw(self, conn: RawConnection) -> None:
        """The same POST over a plain keep-alive HTTP/1.1 connection (a few lines of asyncio instead of httpx)."""
        form, params = self.post_form()
        path = "/open311/v2/requests.json" + (f"?{urlencode(params)}" if params else "")
        started = time.perf_counter()
        try:
            status, body = await conn.request("POST", path, urlencode(form).encode())
            self.record_post(started, status, body)
        except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
            conn.close()
            self.record_post(started, 0, b"", f"{type(exc).__name__}: {exc}")

    def get_target(self) -> tuple[str, str, dict[str, str]]:
        """(kind, path, query) of the next GET: half single reports, half filtered lists."""
        if self.codes and self.rng.random() < 0.5:
            return "GET requests/{id}.json", f"/open311/v2/requests/{self.rng.choice(self.codes)}.json", {}
        back = timedelta(days=30, seconds=self.rng.randint(0, 86400) if self.cold else 0)
        since = (datetime.now(UTC) - back).strftime("%Y-%m-%dT%H:%M:%SZ")
        return GET_LIST, "/open311/v2/requests.json", {
            "service_code": self.rng.choice(CATEGORIES), "status": self.rng.choice(["open", "closed"]),
            "start_date": since}

    async def get(self, client: httpx.AsyncClient) -> None:
        kind, url, params = self.get_target()
        started = time.perf_counter()
        try:
            response = await client.get(url, params=params)
            ok = response.status_code == 200
            sample = "" if ok else f"{response.status_code} {response.text}"
        except httpx.HTTPError as exc:
            ok, sample = False, f"{type(exc).__name__}: {exc}"
        self.stat(kind).add(time.perf_counter() - started, ok, sample)

    async def get_raw(self, conn: RawConnection) -> None:
        kind, url, params = self.get_target()
        started = time.perf_counter()
        try:
            status, body = await conn.request("GET", f"{url}?{urlencode(params)}" if params else url, b"")
            ok = status == 200 and body[:1] in (b"[", b"{")
            self.stat(kind).add(time.perf_counter() - started, ok, "" if ok else f"{status} {body[:300]!r}")
        except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
            conn.close()
            self.stat(kind).add(time.perf_counter() - started, False, f"{type(exc).__name__}: {exc}")


async def run_phase(load: Load, phase: str, duration: float, concurrency: int, raw: bool = True) -> float:
    load.stats = {}
    if raw:
        url = httpx.URL(load.base)
        deadline = time.perf_counter() + duration

        async def raw_worker(n: int) -> None:
            conn = RawConnection(url.host, url.port or 80)
            while time.perf_counter() < deadline:
                if phase == "post" or (phase == "mixed" and n % 4 == 0):
                    await load.post_raw(conn)
                else:
                    await load.get_raw(conn)
            conn.close()

        started = time.perf_counter()
        await asyncio.gather(*(raw_worker(n) for n in range(concurrency)))
        return time.perf_counter() - started
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=load.base, limits=limits, timeout=30) as client:
        deadline = time.perf_counter() + duration

        async def worker(n: int) -> None:
            while time.perf_counter() < deadline:
                if phase == "post" or (phase == "mixed" and n % 4 == 0):
                    await load.post(client)
                else:
                    await load.get(client)

        started = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        return time.perf_counter() - started


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def report(phase: str, elapsed: float, stats: dict[str, Stats], cpu: tuple[float, float] | None = None
           ) -> dict[str, float]:
    print(f"\n== phase {phase}: {elapsed:.1f} s")
    if cpu is not None:
        n = sum(len(s.latencies) for s in stats.values()) or 1
        server, client = cpu
        print(f"server CPU {server:.1f} s ({100 * server / elapsed:.0f} % of one core, {1000 * server / n:.2f} ms per "
              f"request); load generator CPU {client:.1f} s ({1000 * client / n:.2f} ms per request); load average "
              f"{os.getloadavg()[0]:.1f}")
    print(f"{'request':32} {'n':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    rates = {}
    for kind, s in sorted(stats.items()):
        n = len(s.latencies)
        rate = n / elapsed if elapsed else 0.0
        rates[kind] = rate
        print(f"{kind:32} {n:>7} {rate:>8.1f} {percentile(s.latencies, 50) * 1000:>8.1f} "
              f"{percentile(s.latencies, 95) * 1000:>8.1f} {percentile(s.latencies, 99) * 1000:>8.1f} "
              f"{s.errors:>7}")
        for sample in s.samples:
            print(f"    error: {sample}")
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per phase")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument("--phases", default="post,get", help="comma list of post, get, mixed")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    parser.add_argument("--profile", action="store_true", help="sample the server with py-spy (see above)")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw",
                        help="HTTP client of the post phase: plain asyncio keep-alive connections (default) or httpx")
    parser.add_argument("--data-dir", type=Path, help="reuse a folder kept by an earlier run (--keep)")
    parser.add_argument("--baseline-tree", type=Path, help="a checkout of the baseline (main): before and after")
    parser.add_argument("--reports", type=int, default=20000,
                        help="reports in the last 30 days before the phases (with --baseline-tree; default 20000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per server, alternating (with --baseline-tree)")
    parser.add_argument("--cold", action="store_true", help="every filtered GET its own start_date (no reuse)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    if args.baseline_tree is not None:
        compare(args, rng)
        return

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="dieuhanh-bench-open311-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIEUHANH_")}
    env.update({"DIEUHANH_DATA_DIR": str(data_dir), "DIEUHANH_FEEDBACK_RATE_PER_KEY_PER_MINUTE": "10000000"})
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = data_dir / "server.log"
    profile = data_dir / "profile.txt" if args.profile else None
    profiler = None
    proc = None
    try:
        started = time.perf_counter()
        run_cli(["migrate"], env)
        key = run_cli(["tokens", "create", "--name", "bench", "--scope", "open311"], env).strip().splitlines()[-1]
        proc = start_server(env, port, log)
        wait_ready(base, proc, log, timeout=1200)
        print(f"server up with the demo province in {time.perf_counter() - started:.1f} s ({data_dir})")
        load = Load(base=base, key=key, points=commune_points(2000, rng), codes=[], rng=rng)
        warm = asyncio.run(run_phase(load, "post", 3.0, 4))  # imports, caches, first connections
        print(f"warm-up: {sum(len(s.latencies) for s in load.stats.values())} POSTs in {warm:.1f} s")
        post_rate = None
        errors = 0
        for phase in [p.strip() for p in args.phases.split(",") if p.strip()]:
            if phase == "post" and profile is not None:
                profiler = start_profiler(server_python(proc), args.duration, profile)
            server_pid = server_python(proc)
            cpu_server, cpu_client = tree_cpu_seconds(server_pid), time.process_time()
            elapsed = asyncio.run(run_phase(load, phase, args.duration, args.concurrency, args.client == "raw"))
            cpu = (tree_cpu_seconds(server_pid) - cpu_server, time.process_time() - cpu_client)
            rates = report(phase, elapsed, load.stats, cpu)
            errors += sum(s.errors for s in load.stats.values())
            if phase == "post":
                post_rate = rates.get("POST requests.json")
        print()
        if post_rate is not None:
            verdict = "met" if post_rate >= TARGET_POSTS_PER_SECOND and errors == 0 else "NOT met"
            print(f"target ≥ {TARGET_POSTS_PER_SECOND} POST/s with zero errors: {post_rate:.1f} POST/s, "
                  f"{errors} errors — {verdict}")
        print(f"concurrency {args.concurrency}, {os.cpu_count()} CPUs, server: one uvicorn worker "
              f"(dieuhanh up), SQLite + DuckDB in {data_dir}")
    finally:
        if profiler is not None:
            profiler.wait(timeout=args.duration + 120)
        if proc is not None:
            stop_server(proc)
        if profile is not None and profile.exists() and profiler is not None:
            print_profile(profile)
        if not args.keep and args.data_dir is None:
            shutil.rmtree(data_dir, ignore_errors=True)


def compare(args: argparse.Namespace, rng: random.Random) -> None:
    """Baseline tree and this tree on copies of the same data, the phases alternating between them."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from pages import DOWNGRADE_SCRIPT, cli  # the same preparation as bench/pages.py

    base_tree = args.baseline_tree.resolve()
    work = Path(tempfile.mkdtemp(prefix="dieuhanh-bench-open311-"))
    data_dir = args.data_dir or work / "data"
    procs: list[tuple[str, subprocess.Popen[bytes], str, Path]] = []
    try:
        started = time.perf_counter()
        if not (data_dir / "demo-credentials.txt").exists():
            cli(base_tree, ["dieuhanh", "demo"], data_dir)
        key = cli(base_tree, ["dieuhanh", "tokens", "create", "--name", "bench", "--scope", "open311"],
                  data_dir).strip().splitlines()[-1]
        total, codes = cli(base_tree, ["python", "-c", SEED_SCRIPT, str(args.reports)], data_dir).split()[-2:]
        print(f"data ready in {time.perf_counter() - started:.0f} s: {total} reports in the last 29 days")
        for name, tree in (("baseline", base_tree), ("this tree", ROOT)):
            copy = work / name.replace(" ", "-")
            shutil.copytree(data_dir, copy, ignore=shutil.ignore_patterns("server.log"))
            if tree == ROOT:
                cli(base_tree, ["python", "-c", DOWNGRADE_SCRIPT], copy)
            env = {k: v for k, v in os.environ.items() if not k.startswith("DIEUHANH_")}
            env.update({"DIEUHANH_DATA_DIR": str(copy), "DIEUHANH_FEEDBACK_RATE_PER_KEY_PER_MINUTE": "10000000"})
            port = free_port()
            command = ["uv", "run", "--project", str(tree), "dieuhanh", "up", "--no-demo", "--host", "127.0.0.1",
                       "--port", str(port)]
            log = copy / "server.log"
            proc = subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=tree,
                                    start_new_session=True)
            procs.append((name, proc, f"http://127.0.0.1:{port}", log))
        for _name, proc, base, log in procs:
            wait_ready(base, proc, log, timeout=600)
        phases = [p.strip() for p in args.phases.split(",") if p.strip()]
        results: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for _name, _proc, base, _log in procs:  # warm-up
            warm = Load(base=base, key=key, points=[], codes=codes.split(","), rng=rng, cold=args.cold)
            asyncio.run(run_phase(warm, "get", 3.0, 4))
        for rep in range(args.repeat):
            order = procs if rep % 2 == 0 else list(reversed(procs))
            for name, proc, base, _log in order:
                load = Load(base=base, key=key, points=commune_points(500, rng) if "post" in phases else [],
                            codes=codes.split(","), rng=rng, cold=args.cold)
                for phase in phases:
                    pid = server_python(proc)
                    cpu = tree_cpu_seconds(pid), time.process_time()
                    elapsed = asyncio.run(run_phase(load, phase, args.duration, args.concurrency,
                                                         args.client == "raw"))
                    print(f"\n--- {name}, run {rep + 1}/{args.repeat}", end="")
                    report(phase, elapsed, load.stats,
                           (tree_cpu_seconds(pid) - cpu[0], time.process_time() - cpu[1]))
                    for kind, st in load.stats.items():
                        results.setdefault((name, f"{phase}: {kind}"), []).append(
                            (len(st.latencies) / elapsed, percentile(st.latencies, 95) * 1000))
        mode = "cold: every GET a new question" if args.cold else "warm: polling clients repeat questions"
        print(f"\n== summary over {args.repeat} runs per server ({mode}), "
              f"concurrency {args.concurrency}, {args.duration:g} s each; load average {os.getloadavg()[0]:.1f} / "
              f"{os.getloadavg()[1]:.1f} (1 / 5 min), {os.cpu_count()} CPUs")
        print(f"{'server':<11}{'request':<46}{'req/s median':>14}{'(min–max)':>16}{'p95 ms median':>15}"
              f"{'(min–max)':>16}")
        for (name, kind), runs in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            rates, p95s = sorted(r for r, _ in runs), sorted(p for _, p in runs)
            print(f"{name:<11}{kind:<46}{rates[len(rates) // 2]:>14.1f}{f'({rates[0]:.0f}–{rates[-1]:.0f})':>16}"
                  f"{p95s[len(p95s) // 2]:>15.0f}{f'({p95s[0]:.0f}–{p95s[-1]:.0f})':>16}")
        ours = results.get(("this tree", f"get: {GET_LIST}"))
        if ours:
            rate = sorted(r for r, _ in ours)[len(ours) // 2]
            p95 = sorted(p for _, p in ours)[len(ours) // 2]
            verdict = "met" if rate >= TARGET_GETS_PER_SECOND and p95 < TARGET_GET_P95_MS else "NOT met"
            print(f"target filtered GET ≥ {TARGET_GETS_PER_SECOND} req/s at p95 < {TARGET_GET_P95_MS:.0f} ms with "
                  f"{total} reports in the window: {rate:.0f} req/s at p95 {p95:.0f} ms — {verdict} (this tree; "
                  "the GET phase mixes the list with single reports, half each)")
    finally:
        for _name, proc, _base, _log in procs:
            stop_server(proc)
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
