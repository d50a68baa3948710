"""Traffic forecasting on the Los-loop data of the T-GCN paper (``../shared/data/traffic/``): every model beside
the plain baselines, in the same run, on the shared file's own internal split.

The shared file is only the paper's first 80 % (1.612 of 2.016 steps); this bench splits *it* again
chronologically (``--train-fraction``, default 0,8: 1.289 steps to train, windows over the last 323 to test),
with the paper's protocol (12 input steps, 3 predicted, metrics over all predicted steps on the original
scale). It prints one row per model (RMSE, MAE, accuracy, R², var, training seconds) and T-GCN's published
15-minute figures on the paper's own test part for reference — not the same test steps, so compare the ranking
against the baselines rather than the digits.

    uv run python bench/forecast.py [--train-fraction 0.8] [--speed FILE --adj FILE]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dieuhanh.forecasting import benchmark  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "traffic"
if not DATA.exists():
    DATA = Path("/work/shared/data/traffic")
TGCN_15MIN = {"rmse": 5.1264, "mae": 3.1802, "accuracy": 0.9127, "r2": 0.8634, "var": 0.8634}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--speed", type=Path, default=DATA / "los-loop-speed-train.csv")
    parser.add_argument("--adj", type=Path, default=DATA / "los-loop-adj.csv")
    parser.add_argument("--train-fraction", type=float, default=0.8)
    args = parser.parse_args()
    started = time.perf_counter()
    out = benchmark.run(args.speed, args.adj, train_fraction=args.train_fraction)
    print(f"Los-loop, {args.speed.name}: train {args.train_fraction:.0%} of its steps, T-GCN windows over the rest "
          f"(12 in, 3 out); total {time.perf_counter() - started:.1f} s")
    print(f"{'model':<22}{'RMSE':>9}{'MAE':>9}{'accuracy':>10}{'R²':>9}{'var':>9}{'train s':>9}")
    for name, m in sorted(out["models"].items(), key=lambda kv: kv[1]["rmse"]):
        mark = "  ← best" if name == out["best"] else ""
        print(f"{name:<22}{m['rmse']:>9.4f}{m['mae']:>9.4f}{m['accuracy']:>10.4f}{m['r2']:>9.4f}{m['var']:>9.4f}"
              f"{m['train_seconds']:>9.1f}{mark}")
    t = TGCN_15MIN
    print(f"{'T-GCN (paper, own test)':<22}{t['rmse']:>9.4f}{t['mae']:>9.4f}{t['accuracy']:>10.4f}{t['r2']:>9.4f}"
          f"{t['var']:>9.4f}{'—':>9}")


if __name__ == "__main__":
    main()
