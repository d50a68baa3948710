"""The traffic benchmark behind `dieuhanh forecast traffic-eval` and `bench/forecast.py`: reads a speed matrix
(header = sensor ids, one row per time step) and an adjacency matrix, runs :func:`traffic_model.evaluate` and
writes the best model's predictions per test window."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np

from dieuhanh.core.errors import InvalidInput
from dieuhanh.forecasting import traffic_model as tm


def read_speed_csv(path: Path) -> tuple[list[str], np.ndarray]:
    """(sensor ids, values ``(steps, sensors)``); errors name the row and column."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidInput(f"Không tìm thấy tệp {path}.") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"Tệp {path} không phải văn bản UTF-8.") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise InvalidInput(f"Tệp {path} trống: cần dòng tiêu đề (mã cảm biến) và các dòng số liệu.")
    header = [h.strip() for h in rows[0]]
    for j, h in enumerate(header, start=1):
        if not h:
            raise InvalidInput(f"{path.name}, dòng 1, cột {j}: thiếu mã cảm biến.")
    if len(set(header)) != len(header):
        dup = next(h for h in header if header.count(h) > 1)
        raise InvalidInput(f"{path.name}, dòng 1: mã cảm biến «{dup}» lặp lại.")
    data = [r for r in rows[1:] if any(c.strip() for c in r)]
    if not data:
        raise InvalidInput(f"{path.name}: không có dòng số liệu nào.")
    values = np.empty((len(data), len(header)))
    for i, row in enumerate(data, start=2):
        if len(row) != len(header):
            raise InvalidInput(f"{path.name}, dòng {i}: có {len(row)} cột, tiêu đề có {len(header)}.")
        for j, cell in enumerate(row):
            try:
                v = float(cell)
            except ValueError:
                raise InvalidInput(f"{path.name}, dòng {i}, cột {j + 1} («{header[j]}»): «{cell}» không phải "
                                   "là số.") from None
            if not np.isfinite(v):
                raise InvalidInput(f"{path.name}, dòng {i}, cột {j + 1} («{header[j]}»): thiếu giá trị.")
            values[i - 2, j] = v
    return header, values


def read_adjacency_csv(path: Path, n: int) -> np.ndarray:
    try:
        rows = [r for r in csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))) if r]
    except FileNotFoundError:
        raise InvalidInput(f"Không tìm thấy tệp {path}.") from None
    if len(rows) != n:
        raise InvalidInput(f"{path.name}: ma trận kề có {len(rows)} dòng, cần {n} (số cảm biến).")
    adj = np.empty((n, n))
    for i, row in enumerate(rows, start=1):
        if len(row) != n:
            raise InvalidInput(f"{path.name}, dòng {i}: có {len(row)} cột, cần {n}.")
        for j, cell in enumerate(row):
            try:
                adj[i - 1, j] = float(cell)
            except ValueError:
                raise InvalidInput(f"{path.name}, dòng {i}, cột {j + 1}: «{cell}» không phải là số.") from None
    return adj


def run(speed_path: Path, adj_path: Path | None, *, train_fraction: float = 0.8, input_steps: int = 12,
        horizon: int = 3, steps_per_day: int = 288, predictions_out: Path | None = None,
        models: list[Any] | None = None) -> dict[str, Any]:
    """The benchmark's JSON object ``{"models": {...}, "best": ...}``."""
    if input_steps < 1 or horizon < 1:
        raise InvalidInput("Số bước đầu vào và số bước dự báo phải ≥ 1.")
    sensors, speed = read_speed_csv(speed_path)
    adj = read_adjacency_csv(adj_path, len(sensors)) if adj_path is not None else None
    try:
        result = tm.evaluate(speed, adj, train_fraction=train_fraction, input_steps=input_steps, horizon=horizon,
                             steps_per_day=steps_per_day, models=models)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    if predictions_out is not None:
        write_predictions(predictions_out, result.predictions[result.best], sensors)
    return result.as_json()


def write_predictions(path: Path, pred: np.ndarray, sensors: list[str]) -> None:
    """Rows ``window,step,sensor,value``: window i (from 0) took test rows i … i+input-1 and step s (from 0)
    is test row i+input+s; values on the original scale."""
    n_win, n_steps, n_links = pred.shape
    w = np.repeat(np.arange(n_win), n_steps * n_links)
    s = np.tile(np.repeat(np.arange(n_steps), n_links), n_win)
    sensor = np.tile(np.asarray(sensors, dtype=object), n_win * n_steps)
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["window", "step", "sensor", "value"])
        out.writerows(zip(w.tolist(), s.tolist(), sensor.tolist(), (f"{v:.6f}" for v in pred.ravel()),
                          strict=True))
