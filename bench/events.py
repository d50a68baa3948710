"""Event intake through the API with 20 live screens connected, against a plain insert loop, in one run.

Run:

    uv run python bench/events.py [--duration 20] [--batch 100] [--producers 4] [--clients 20] [--rounds 2] [--keep]

What it does, in order:

1. a temporary ``DIEUHANH_DATA_DIR`` (SQLite + DuckDB, the defaults), ``dieuhanh migrate``, ``dieuhanh tokens create
   --name camera-vendor --scope events --agency CAT`` (the issue's command);
2. ``python -m dieuhanh up --no-demo --host 127.0.0.1 --port <free>`` in a child process: the production path (one
   uvicorn worker, the scheduler on), listening on 127.0.0.1 only;
3. ``--clients`` SSE clients (plain asyncio connections, like browsers' EventSource) open
   ``GET /api/v1/events/stream`` with the token and wait for the ``hello``;
4. ``--producers`` workers keep posting lists of ``--batch`` events (``POST /api/v1/events``, real coordinates in
   the province, several types and severities) over keep-alive HTTP/1.1 for ``--duration`` seconds. Each batch's
   ``source_event_id``s carry its number; the send time of each batch is recorded;
5. each SSE client notes when it first sees a batch's number in the stream: delivery latency = that moment − the
   batch's send time (so it includes the request's own validation, commit and fan-out), one sample per event and
   client;
6. the baseline: a plain loop inserting rows into a table of the same shape in a fresh SQLite file (one ``INSERT``
   per row, one commit per batch of ``--batch``), no HTTP, no validation — as many rows as the first API phase
   stored, in every round;
7. steps 3–6 are one round; ``--rounds`` rounds alternate the API phase and the baseline (order reversed every
   other round, ``rounds.py``). The server stays up across rounds; each round's batches have their own numbers
   and the SSE clients connect afresh;
8. prints each round's figures (events/s through the API, request latency, delivery latency p50/p95/max,
   deliveries received/expected, server CPU per event, the baseline's rows/s), then the median and min–max of
   events/s, delivery p95 and the baseline over the rounds with the load average, and the targets
   *≥ 1.000 events/s* and *p95 ≤ 2 s* (on the medians, with every delivery received).

The load generator and the SSE clients share the machine's CPUs with the server. Not a test: it prints figures.
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
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rounds import Rounds, spread

ROOT = Path(__file__).resolve().parent.parent
POINTS = [(20.2530, 105.9745), (20.2580, 105.9760), (20.5425, 105.9130), (20.5340, 105.9150), (20.4330, 106.1750),
          (20.4298, 106.1780), (20.3280, 105.9260), (20.2280, 106.0080), (20.6450, 105.9600), (20.4050, 106.1550)]
TYPES = [("traffic_jam", "minor"), ("crowd", "minor"), ("public_order", "major"), ("intrusion", "major"),
         ("traffic_accident", "major"), ("watchlist_plate", "major"), ("environment", "minor")]
BATCH_MARK = re.compile(rb'"source_event_id":"b(\d+)-')
TARGET_RATE, TARGET_P95 = 1000, 2.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(env: dict[str, str], *args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "dieuhanh.cli", *args], env=env, cwd=ROOT, capture_output=True,
                         text=True, check=True)
    return out.stdout.strip()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the process and its children (from /proc)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError):
            continue
    return total


def vn(value: float, digits: int = 0) -> str:
    """1.234,5: Vietnamese separators."""
    return f"{value:,.{digits}f}".replace(",", "_").replace(".", ",").replace("_", ".")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Run:
    port: int
    token: str
    batch: int
    sent: dict[int, float] = field(default_factory=dict)
    created: int = 0
    errors: list[str] = field(default_factory=list)
    request_ms: list[float] = field(default_factory=list)
    seen: list[dict[int, float]] = field(default_factory=list)
    stop: bool = False  # producers
    stop_clients: bool = False


def make_batch(number: int, size: int, rng: random.Random) -> bytes:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    items = []
    for i in range(size):
        lat, lon = rng.choice(POINTS)
        kind, severity = rng.choice(TYPES)
        items.append({"source": "bench", "source_event_id": f"b{number}-{i}", "type": kind, "severity": severity,
                      "occurred_at": now, "lat": round(lat + rng.uniform(-0.002, 0.002), 6),
                      "lon": round(lon + rng.uniform(-0.002, 0.002), 6), "title": f"Sự kiện thử {number}.{i}",
                      "payload": {"confidence": round(rng.random(), 3)}})
    return json.dumps(items, ensure_ascii=False).encode()


async def producer(run: Run, worker: int, counter: list[int]) -> None:  # counter: the last batch number, all rounds
    rng = random.Random(worker * 1000 + counter[0])
    reader, writer = await asyncio.open_connection("127.0.0.1", run.port)
    while not run.stop:
        counter[0] += 1
        number = counter[0]
        body = make_batch(number, run.batch, rng)
        head = (f"POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:{run.port}\r\nAuthorization: Bearer {run.token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        started = time.monotonic()
        run.sent[number] = started
        writer.write(head + body)
        raw = await reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        data = await reader.readexactly(int(headers.get("content-length", "0")))
        run.request_ms.append((time.monotonic() - started) * 1000)
        if status in (200, 201):
            run.created += json.loads(data)["created"]
        else:
            run.errors.append(f"{status}: {data[:200]!r}")
            run.sent.pop(number, None)
    writer.close()


async def sse_client(run: Run, index: int, ready: asyncio.Event, connected: list[int]) -> None:
    seen: dict[int, float] = {}
    run.seen.append(seen)
    reader, writer = await asyncio.open_connection("127.0.0.1", run.port)
    writer.write((f"GET /api/v1/events/stream HTTP/1.1\r\nHost: 127.0.0.1:{run.port}\r\n"
                  f"Authorization: Bearer {run.token}\r\nAccept: text/event-stream\r\n\r\n").encode())
    await reader.readuntil(b"\r\n\r\n")
    tail = b""
    announced = False
    while not run.stop_clients:
        try:
            chunk = await asyncio.wait_for(reader.read(1 << 16), timeout=1.0)
        except TimeoutError:
            continue
        if not chunk:
            break
        now = time.monotonic()
        if not announced and b"hello" in chunk:
            announced = True
            connected[0] += 1
            if connected[0] >= len(run.seen):
                ready.set()
        data = tail + chunk
        for match in BATCH_MARK.finditer(data):
            seen.setdefault(int(match.group(1)), now)
        tail = data[-64:]
    writer.close()


def baseline(rows: int, batch: int, directory: Path) -> float:
    """A plain loop: one INSERT per row into a table of the same shape, one commit per batch (no HTTP, no checks)."""
    for suffix in ("", "-wal", "-shm"):
        (directory / f"baseline.db{suffix}").unlink(missing_ok=True)
    con = sqlite3.connect(directory / "baseline.db")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE ops_event (id INTEGER PRIMARY KEY, source TEXT, source_event_id TEXT, type TEXT, "
                "severity TEXT, status TEXT, occurred_at TEXT, received_at TEXT, lat REAL, lon REAL, unit_code TEXT, "
                "title TEXT, description TEXT, payload TEXT, actor TEXT, UNIQUE (source, source_event_id))")
    rng = random.Random(1)
    now = datetime.now(UTC).isoformat()
    started = time.perf_counter()
    for n in range(rows):
        lat, lon = rng.choice(POINTS)
        kind, severity = rng.choice(TYPES)
        con.execute("INSERT INTO ops_event (source, source_event_id, type, severity, status, occurred_at, received_at, "
                    "lat, lon, unit_code, title, description, payload, actor) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    ("bench", f"p{n}", kind, severity, "active", now, now, lat, lon, "14329", f"Sự kiện {n}", "",
                     '{"confidence": 0.5}', "bench"))
        if (n + 1) % batch == 0:
            con.commit()
    con.commit()
    elapsed = time.perf_counter() - started
    con.close()
    return rows / elapsed


async def measure(run: Run, args: argparse.Namespace, server_pid: int, counter: list[int]) -> dict[str, float]:
    ready = asyncio.Event()
    connected = [0]
    clients = [asyncio.create_task(sse_client(run, i, ready, connected)) for i in range(args.clients)]
    await asyncio.wait_for(ready.wait(), timeout=30)
    cpu_before = cpu_seconds(server_pid)
    started = time.monotonic()
    producers = [asyncio.create_task(producer(run, w, counter)) for w in range(args.producers)]
    await asyncio.sleep(args.duration)
    run.stop = True
    await asyncio.gather(*producers, return_exceptions=True)
    elapsed = time.monotonic() - started
    cpu = cpu_seconds(server_pid) - cpu_before
    # The last deliveries: wait until every client has every batch, or nothing more arrives for 5 s (max 30 s).
    last, quiet_since, give_up = -1, time.monotonic(), time.monotonic() + 30
    while time.monotonic() < give_up:
        have = sum(len(seen) for seen in run.seen)
        if have >= len(run.sent) * len(run.seen):
            break
        if have != last:
            last, quiet_since = have, time.monotonic()
        elif time.monotonic() - quiet_since > 5:
            break
        await asyncio.sleep(0.2)
    run.stop_clients = True
    for task in clients:
        task.cancel()
    await asyncio.gather(*clients, return_exceptions=True)
    return {"elapsed": elapsed, "cpu": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--producers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2, help="rounds alternating the API phase and the baseline")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="bench-events-"))
    env = {**os.environ, "DIEUHANH_DATA_DIR": str(data_dir), "DIEUHANH_SECRET_KEY": "bench-events"}
    env.pop("DIEUHANH_DATABASE_URL", None)
    env.pop("DIEUHANH_WAREHOUSE_URL", None)
    server = None
    try:
        cli(env, "migrate")
        token = cli(env, "tokens", "create", "--name", "camera-vendor", "--scope", "events", "--agency", "CAT")
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "dieuhanh", "up", "--no-demo", "--host", "127.0.0.1",
                                   "--port", str(port)], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)
        deadline = time.monotonic() + 90
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.3)
        print(f"server on 127.0.0.1:{port}, {args.clients} SSE clients, {args.producers} producers, "
              f"batches of {args.batch}, {args.duration:.0f} s per API phase, {args.rounds} round(s)", flush=True)
        rounds = Rounds(args.rounds)
        counter = [0]
        plain_rows = 0
        all_delivered = True
        api_round = 0
        for variant in rounds.order(["api", "plain"]):
            if variant == "plain":
                rows = plain_rows or args.batch * 100
                plain = baseline(rows, args.batch, data_dir)
                rounds.record("plain", plain)
                print(f"  baseline: plain insert loop {vn(rows)} rows, {vn(plain)} rows/s", flush=True)
                continue
            api_round += 1
            run = Run(port=port, token=token, batch=args.batch)
            figures = asyncio.run(measure(run, args, server.pid, counter))
            rate = run.created / figures["elapsed"]
            plain_rows = plain_rows or max(run.created, args.batch)
            latencies: list[float] = []
            delivered = expected = 0
            for number, sent in run.sent.items():
                for seen in run.seen:
                    expected += args.batch
                    if number in seen:
                        delivered += args.batch
                        latencies.extend([seen[number] - sent] * args.batch)
            p95 = pct(latencies, .95)
            rounds.record("api", rate)
            rounds.record("p95", p95)
            rounds.record("p50", pct(latencies, .5))
            rounds.record("request_p95", pct(run.request_ms, .95))
            rounds.record("cpu", 1000 * figures["cpu"] / max(run.created, 1))
            all_delivered = all_delivered and delivered == expected and not run.errors
            print(f"  round {api_round} API: {vn(run.created)} events, {vn(rate)} events/s, request p50 / p95 "
                  f"{vn(pct(run.request_ms, .5))} / {vn(pct(run.request_ms, .95))} ms, delivery p50 / p95 / max "
                  f"{vn(pct(latencies, .5), 3)} / {vn(p95, 3)} / {vn(max(latencies, default=float('nan')), 3)} s, "
                  f"deliveries {vn(delivered)} / {vn(expected)}, errors {len(run.errors)}, server CPU "
                  f"{vn(1000 * figures['cpu'] / max(run.created, 1), 3)} ms/event", flush=True)
            if run.errors:
                print("    first errors:", *run.errors[:3], sep="\n      ")
            missing = sorted({n for n in run.sent for seen in run.seen if n not in seen})
            if missing:
                print(f"    batches some client never saw: {missing[:20]}")
        values = rounds.values
        print(f"\n{args.rounds} round(s), API phase and baseline alternating; median (min–max); "
              f"{rounds.load_range()}")
        print(f"{'events/s through the API':34} {spread(values['api'], 'events/s', 0)}   (target ≥ {vn(TARGET_RATE)})")
        print(f"{'delivery p95':34} {spread(values['p95'], 's', 3)}   (target ≤ {vn(TARGET_P95)} s)")
        print(f"{'delivery p50':34} {spread(values['p50'], 's', 3)}")
        print(f"{'request p95':34} {spread(values['request_p95'], 'ms', 0)}")
        print(f"{'server CPU per event':34} {spread(values['cpu'], 'ms', 3)}")
        print(f"{'baseline: plain insert loop':34} {spread(values['plain'], 'rows/s', 0)}   (SQLite, one INSERT per "
              f"row, {vn(plain_rows)} rows)")
        print(f"{'API rate / plain loop':34} {vn(100 * rounds.median('api') / rounds.median('plain'), 2)} %")
        print(f"{'every delivery received':34} {'yes' if all_delivered else 'NO'}")
        ok = rounds.median("api") >= TARGET_RATE and rounds.median("p95") <= TARGET_P95 and all_delivered
        print("PASS" if ok else "FAIL")
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        if args.keep:
            print(f"data kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
