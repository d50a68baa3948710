"""First start of a fresh installation: `dieuhanh up` on a new data directory (SQLite + DuckDB), timed to
`/healthz` answering and to the demo province fully loaded, against the plain baseline of loading the demo
before serving (what `up` did before: `/healthz` only after the whole load, measured here as `dieuhanh demo`
on another fresh data directory plus the time `up --no-demo` takes to answer).

    uv run python bench/first_start.py [--runs 2] [--port 8765]

Runs interleaved (order reversed every other round); prints each run's figures, then the median, min–max and the
load average (``bench/rounds.py``); target: /healthz in < 30 s (issue 24)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from rounds import Rounds, load_average

CLI = [sys.executable, "-m", "dieuhanh.cli"]


def env_for(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIEUHANH_")}
    env["DIEUHANH_DATA_DIR"] = str(data_dir)
    return env


def time_up(port: int, *, demo: bool) -> tuple[float, float | None]:
    """Seconds to /healthz 200, and (with the demo) to the demo loaded."""
    with tempfile.TemporaryDirectory(prefix="dieuhanh-first-start-") as tmp:
        args = CLI + ["up", "--port", str(port)] + ([] if demo else ["--no-demo"])
        started = time.perf_counter()
        proc = subprocess.Popen(args, env=env_for(Path(tmp) / "var"), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        healthy = loaded = None
        try:
            while time.perf_counter() - started < 600:
                if proc.poll() is not None:
                    raise SystemExit("dieuhanh up exited early")
                try:
                    body = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json()
                except (httpx.HTTPError, ValueError):
                    time.sleep(0.2)
                    continue
                now = time.perf_counter() - started
                healthy = healthy or now
                state = body.get("demo", {}).get("state", "done")
                if not demo or state == "done":
                    loaded = now if demo else None
                    break
                if state == "failed":
                    raise SystemExit(f"demo failed: {body['demo']}")
                time.sleep(0.5)
        finally:
            proc.terminate()
            proc.wait(timeout=60)
        assert healthy is not None
        return healthy, loaded


def time_demo_cli() -> float:
    with tempfile.TemporaryDirectory(prefix="dieuhanh-demo-") as tmp:
        env = env_for(Path(tmp) / "var")
        subprocess.run(CLI + ["migrate"], env=env, check=True, capture_output=True)
        started = time.perf_counter()
        subprocess.run(CLI + ["demo"], env=env, check=True, capture_output=True)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    rounds = Rounds(args.runs)
    # variants interleaved (order reversed every other round), so that load changes touch both alike
    for variant in rounds.order(["up", "baseline"]):
        if variant == "up":
            healthy, loaded = time_up(args.port, demo=True)
            rounds.record("healthz", healthy)
            rounds.record("loaded", loaded or 0.0)
            print(f"up: /healthz {healthy:5.1f} s · demo loaded {loaded or 0:5.1f} s · load average "
                  f"{load_average():.1f}", flush=True)
        else:
            bare, _ = time_up(args.port, demo=False)
            demo = time_demo_cli()
            rounds.record("baseline", bare + demo)
            print(f"baseline: up --no-demo {bare:5.1f} s + dieuhanh demo {demo:5.1f} s = {bare + demo:5.1f} s · "
                  f"load average {load_average():.1f}", flush=True)
    print(rounds.report({"healthz": "(a) up: /healthz", "loaded": "(a) up: demo loaded in the background",
                         "baseline": "(b) baseline: load, then serve"}, unit="s", digits=1))
    met = rounds.median("healthz") < 30
    print(f"target /healthz < 30 s: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
