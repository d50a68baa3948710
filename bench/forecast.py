"""Traffic forecasting on the Los-loop data of the T-GCN paper (``../shared/data/traffic/``): every model beside
the plain baselines, in the same run, on the shared file's own internal split.

The shared file is only the paper's first 80 % (1.612 of 2.016 steps); this bench splits *it* again
chronologically (``--train-fraction``, default 0,8: 1.289 steps to train, windows over the last 323 to test),
with the paper's protocol (12 input steps, 3 predicted, metrics over all predicted steps on the original
scale; ``forecasting.traffic_model``, the code path of ``dieuhanh forecast traffic-eval``). It prints one row per
model (RMSE, MAE, accuracy, R², var) and T-GCN's published 15-minute figures on the paper's own test part for
reference — not the same test steps, so compare the ranking against the baselines rather than the digits.

Every model is trained and predicts once per round, ``--runs`` rounds with the models interleaved (order reversed
every other round): training and prediction seconds are the median, min–max and load average (``bench/rounds.py``).
The errors are deterministic (LightGBM runs on one thread with a fixed seed; the baselines and ridge have no
randomness): every round must give the same predictions, and the bench says whether it did.

    uv run python bench/forecast.py [--train-fraction 0.8] [--runs 3] [--speed FILE --adj FILE]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from rounds import Rounds, spread  # noqa: E402

from dieuhanh.forecasting import benchmark  # noqa: E402
from dieuhanh.forecasting import traffic_model as tm  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "traffic"
if not DATA.exists():
    DATA = Path("/work/shared/data/traffic")
TGCN_15MIN = {"rmse": 5.1264, "mae": 3.1802, "accuracy": 0.9127, "r2": 0.8634, "var": 0.8634}
INPUT_STEPS, HORIZON, STEPS_PER_DAY = 12, 3, 288


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--speed", type=Path, default=DATA / "los-loop-speed-train.csv")
    parser.add_argument("--adj", type=Path, default=DATA / "los-loop-adj.csv")
    parser.add_argument("--train-fraction", type=float, default=0.8)
    parser.add_argument("--runs", type=int, default=3, help="interleaved rounds of every model")
    args = parser.parse_args()
    _, speed = benchmark.read_speed_csv(args.speed)
    adj = benchmark.read_adjacency_csv(args.adj, speed.shape[1])
    split = tm.split_point(len(speed), args.train_fraction)
    train, test = speed[:split], speed[split:]
    x_test, y_test = tm.make_windows(test, INPUT_STEPS, HORIZON)
    first_rows = split + tm.window_starts(len(test), INPUT_STEPS, HORIZON)

    def fresh(name: str) -> tm.TrafficModel:
        return next(m for m in tm.default_models(HORIZON, input_steps=INPUT_STEPS, steps_per_day=STEPS_PER_DAY)
                    if m.name == name)

    names = [m.name for m in tm.default_models(HORIZON, input_steps=INPUT_STEPS, steps_per_day=STEPS_PER_DAY)]
    rounds = Rounds(args.runs)
    first: dict[str, np.ndarray] = {}
    same = dict.fromkeys(names, True)
    started = time.perf_counter()
    for name in rounds.order(names):
        model = fresh(name)
        rounds.timed(f"{name}:train", lambda: model.fit(train, adj=adj, offset=0))  # noqa: B023
        pred = rounds.timed(f"{name}:predict",
                            lambda: model.predict(x_test, first_rows=first_rows, history=speed))  # noqa: B023
        if name in first:
            same[name] &= bool(np.array_equal(pred, first[name]))
        else:
            first[name] = pred
    scores = {name: tm.metrics(y_test, pred) for name, pred in first.items()}
    print(f"Los-loop, {args.speed.name}: train {args.train_fraction:.0%} of its steps ({split}), T-GCN windows over "
          f"the rest ({len(x_test)} windows, 12 in, 3 out); {rounds.runs} interleaved rounds, total "
          f"{time.perf_counter() - started:.1f} s; {rounds.load_range()}")
    print(f"{'model':<24}{'RMSE':>8}{'MAE':>8}{'accuracy':>10}{'R²':>8}{'var':>8}   "
          f"{'training, median (min–max)':<30}{'prediction':<28}same every round")
    best = min(scores, key=lambda k: scores[k]["rmse"])
    for name, m in sorted(scores.items(), key=lambda kv: kv[1]["rmse"]):
        print(f"{name:<24}{m['rmse']:>8.4f}{m['mae']:>8.4f}{m['accuracy']:>10.4f}{m['r2']:>8.4f}{m['var']:>8.4f}   "
              f"{spread(rounds.values[f'{name}:train'], 's', 3):<30}"
              f"{spread(rounds.values[f'{name}:predict'], 's', 3):<28}{'yes' if same[name] else 'NO'}"
              f"{'  ← best' if name == best else ''}")
    t = TGCN_15MIN
    print(f"{'T-GCN (paper, own test)':<24}{t['rmse']:>8.4f}{t['mae']:>8.4f}{t['accuracy']:>10.4f}{t['r2']:>8.4f}"
          f"{t['var']:>8.4f}   —")


if __name__ == "__main__":
    main()
