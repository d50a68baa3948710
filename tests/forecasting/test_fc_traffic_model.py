"""The traffic models and the T-GCN evaluation protocol (pure numpy, a small synthetic network)."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
from fc_helpers import synthetic_network
from typer.testing import CliRunner

from dieuhanh.core.errors import InvalidInput
from dieuhanh.forecasting import benchmark
from dieuhanh.forecasting import traffic_model as tm


def test_windows_follow_the_tgcn_code():
    part = np.arange(20, dtype=float)[:, None] * np.ones((1, 2))
    x, y = tm.make_windows(part, 12, 3)
    # range(len - input - horizon): the last possible window (start 5) is left out, as in the paper's code.
    assert len(x) == 20 - 12 - 3 == 5
    assert x[0, :, 0].tolist() == list(range(12))
    assert y[0, :, 0].tolist() == [12, 13, 14]
    assert x[-1, 0, 0] == 4 and y[-1, -1, 0] == 18
    assert tm.split_point(2016, 0.8) == 1612


def test_metrics_are_the_tgcn_formulas():
    a = np.array([[10.0, 20.0], [30.0, 40.0]])
    b = np.array([[12.0, 18.0], [30.0, 44.0]])
    m = tm.metrics(a, b)
    err = a - b
    assert m["rmse"] == pytest.approx(math.sqrt((4 + 4 + 0 + 16) / 4))
    assert m["mae"] == pytest.approx((2 + 2 + 0 + 4) / 4)
    assert m["accuracy"] == pytest.approx(1 - math.sqrt(24) / math.sqrt(100 + 400 + 900 + 1600))
    assert m["r2"] == pytest.approx(1 - 24 / ((a - 25) ** 2).sum())
    assert m["var"] == pytest.approx(1 - np.var(err) / np.var(a))


def test_learned_models_beat_the_baselines_on_a_network_with_daily_waves():
    speed, adj = synthetic_network(days=5)
    common = {"horizon": 3, "steps_per_day": 288}
    result = tm.evaluate(speed, adj, models=[tm.HistoricalAverage(**common), tm.LastValue(**common),
                                             tm.SeasonalNaive(**common), tm.LinearRidge(**common),
                                             tm.GradientBoosting(**common, n_estimators=60)])
    rmse = {k: v["rmse"] for k, v in result.models.items()}
    best_baseline = min(rmse[k] for k in ("historical_average", "last_value", "seasonal_naive"))
    assert rmse["ridge"] < best_baseline
    assert rmse["lightgbm"] < best_baseline
    assert result.best in ("ridge", "lightgbm")
    assert result.targets.shape == result.predictions["ridge"].shape == (len(speed) - 1152 - 15, 3, 6)
    assert all(v["train_seconds"] >= 0 for v in result.models.values())


def test_a_model_reading_the_future_is_caught():
    speed, adj = synthetic_network(days=3, n_links=2)

    class Cheat(tm.LastValue):
        name = "cheat"

        def predict(self, inputs, *, first_rows, history):  # type: ignore[no-untyped-def]
            rows = first_rows[:, None] + self.input_steps + np.arange(self.horizon)[None, :]
            return history[rows]

    with pytest.raises(AssertionError, match="reads rows after"):
        tm.evaluate(speed, adj, models=[Cheat(horizon=3)])


def _write(path, header, rows):  # type: ignore[no-untyped-def]
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        if header:
            w.writerow(header)
        w.writerows(rows)


def test_traffic_eval_cli_prints_one_json_object_and_the_predictions(tmp_path):
    from dieuhanh.cli import app

    speed, adj = synthetic_network(days=3, n_links=3)
    sensors = ["717447", "717446", "773869"]
    _write(tmp_path / "speed.csv", sensors, [[f"{v:.3f}" for v in row] for row in speed])
    _write(tmp_path / "adj.csv", None, adj.tolist())
    out = tmp_path / "pred.csv"
    result = CliRunner().invoke(app, ["forecast", "traffic-eval", "--speed", str(tmp_path / "speed.csv"),
                                      "--adj", str(tmp_path / "adj.csv"), "--predictions-out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"models", "best"}
    assert {"historical_average", "last_value", "seasonal_naive", "ridge", "lightgbm"} <= set(data["models"])
    for metrics in data["models"].values():
        assert set(metrics) == {"rmse", "mae", "accuracy", "r2", "var", "train_seconds"}
    # The predictions file recomputes the best model's RMSE over the T-GCN windows of the test part.
    test = np.loadtxt(tmp_path / "speed.csv", delimiter=",", skiprows=1)[int(len(speed) * 0.8):]
    rows = list(csv.DictReader(out.open()))
    n_windows = len(test) - 12 - 3
    assert len(rows) == n_windows * 3 * 3
    assert rows[0].keys() == {"window", "step", "sensor", "value"}
    col = {s: i for i, s in enumerate(sensors)}
    errors = [float(r["value"]) - test[int(r["window"]) + 12 + int(r["step"]), col[r["sensor"]]] for r in rows]
    assert math.sqrt(np.mean(np.square(errors))) == pytest.approx(data["models"][data["best"]]["rmse"], rel=1e-4)


def test_bad_speed_file_names_row_and_column(tmp_path):
    _write(tmp_path / "s.csv", ["a", "b"], [["1", "2"], ["3", "x"]])
    with pytest.raises(InvalidInput, match=r"dòng 3, cột 2 \(«b»\): «x» không phải là số"):
        benchmark.read_speed_csv(tmp_path / "s.csv")
    _write(tmp_path / "s2.csv", ["a", "b"], [["1", "2", "3"]])
    with pytest.raises(InvalidInput, match="dòng 2: có 3 cột"):
        benchmark.read_speed_csv(tmp_path / "s2.csv")
    _write(tmp_path / "adj.csv", None, [["1", "0"]])
    with pytest.raises(InvalidInput, match="có 1 dòng, cần 2"):
        benchmark.read_adjacency_csv(tmp_path / "adj.csv", 2)


def test_traffic_eval_cli_reports_a_missing_file_clearly(tmp_path):
    from dieuhanh.cli import app

    result = CliRunner().invoke(app, ["forecast", "traffic-eval", "--speed", str(tmp_path / "none.csv")])
    assert result.exit_code == 1
    assert "Không tìm thấy tệp" in result.output
