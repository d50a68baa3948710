"""Short-term traffic forecasting per road link: the plain baselines, a gradient-boosted model, the T-GCN
evaluation protocol and a rolling-origin backtest.

Pure numpy and LightGBM: knows nothing of the database, the warehouse or HTTP, so the benchmark
CLI (``dieuhanh forecast traffic-eval``), ``bench/forecast.py`` and the live forecasts share one code path.

Data layout everywhere: ``speed`` is a ``(time steps, links)`` float array on the original scale, rows evenly
spaced (``steps_per_day`` rows a day; 288 for 5-minute steps); ``offset`` is the time-of-day slot of row 0
(0 when the series starts at midnight).

The evaluation protocol is the T-GCN paper's (Zhao et al., IEEE T-ITS 2019, and its published code): the
series is split chronologically, the first ``train_fraction`` for training; windows are built *within* the test
part — window ``i`` takes test rows ``i … i+input-1`` as input and predicts rows ``i+input … i+input+horizon-1``
— for ``i`` in ``range(len(test) - input - horizon)`` (the code's range, which leaves out the last possible
window); metrics pool every predicted step of every window and link, on the original scale:
RMSE, MAE, accuracy = 1 − ‖Y − Ŷ‖F / ‖Y‖F, r2 = 1 − Σ(Y−Ŷ)² / Σ(Y−Ȳ)², var = 1 − Var(Y−Ŷ) / Var(Y).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

FloatArray = np.ndarray


# ------------------------------------------------------------------------------------------------ protocol


def split_point(n_steps: int, train_fraction: float) -> int:
    """Rows ``[0, split)`` train, ``[split, n)`` test (T-GCN: ``int(time_len * rate)``)."""
    if not 0 < train_fraction < 1:
        raise ValueError("Tỷ lệ dữ liệu huấn luyện phải nằm trong khoảng (0; 1).")
    return int(n_steps * train_fraction)


def window_starts(n_rows: int, input_steps: int, horizon: int) -> np.ndarray:
    """Start rows of the T-GCN windows over a part of ``n_rows`` rows (``range(n - input - horizon)``)."""
    return np.arange(max(0, n_rows - input_steps - horizon))


def make_windows(part: FloatArray, input_steps: int, horizon: int) -> tuple[FloatArray, FloatArray]:
    """Inputs ``(windows, input, links)`` and targets ``(windows, horizon, links)`` of one part."""
    starts = window_starts(len(part), input_steps, horizon)
    idx_x = starts[:, None] + np.arange(input_steps)[None, :]
    idx_y = starts[:, None] + input_steps + np.arange(horizon)[None, :]
    return part[idx_x], part[idx_y]


def metrics(y_true: FloatArray, y_pred: FloatArray) -> dict[str, float]:
    """The T-GCN code's ``evaluation`` over every predicted value (arrays of any shape, original scale)."""
    a = np.asarray(y_true, dtype=np.float64).ravel()
    b = np.asarray(y_pred, dtype=np.float64).ravel()
    err = a - b
    rmse = math.sqrt(float(np.mean(err**2)))
    mae = float(np.mean(np.abs(err)))
    accuracy = 1.0 - float(np.linalg.norm(err) / np.linalg.norm(a))
    r2 = 1.0 - float(np.sum(err**2) / np.sum((a - a.mean()) ** 2))
    var = 1.0 - float(np.var(err) / np.var(a))
    return {"rmse": rmse, "mae": mae, "accuracy": accuracy, "r2": r2, "var": var}


# ------------------------------------------------------------------------------------------------ models


class TrafficModel(Protocol):
    name: str
    label: str

    def fit(self, train: FloatArray, *, adj: FloatArray | None, offset: int) -> None: ...

    def predict(self, inputs: FloatArray, *, first_rows: np.ndarray, history: FloatArray) -> FloatArray:
        """``inputs`` ``(windows, input, links)``; ``first_rows[w]`` = the absolute row of window w's first
        input step; ``history`` = the whole series *up to* the latest input row (rows after a window's last
        input step are never read). Returns ``(windows, horizon, links)``."""
        ...


@dataclass
class _Base:
    horizon: int
    steps_per_day: int = 288
    input_steps: int = 12
    offset: int = 0
    steps: tuple[int, ...] = ()  # steps ahead to predict (1 = the next row); default 1 … horizon

    @property
    def ahead(self) -> tuple[int, ...]:
        return self.steps or tuple(range(1, self.horizon + 1))

    def _target_rows(self, first_rows: np.ndarray) -> np.ndarray:
        return first_rows[:, None] + self.input_steps - 1 + np.asarray(self.ahead)[None, :]


@dataclass
class LastValue(_Base):
    """Persistence: every future step equals the last observed one."""

    name: str = "last_value"
    label: str = "Giá trị gần nhất"

    def fit(self, train: FloatArray, *, adj: FloatArray | None, offset: int) -> None:
        self.offset = offset

    def predict(self, inputs: FloatArray, *, first_rows: np.ndarray, history: FloatArray) -> FloatArray:
        return np.repeat(inputs[:, -1:, :], len(self.ahead), axis=1)


def slot_profile(train: FloatArray, *, steps_per_day: int, offset: int = 0) -> FloatArray:
    """Mean of each link per time-of-day slot over the training rows ``(steps_per_day, links)``; a slot
    never seen takes the link's overall mean."""
    slots = (np.arange(len(train)) + offset) % steps_per_day
    sums = np.zeros((steps_per_day, train.shape[1]))
    np.add.at(sums, slots, train)
    counts = np.bincount(slots, minlength=steps_per_day)[:, None]
    overall = train.mean(axis=0, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        prof = np.where(counts > 0, sums / np.maximum(counts, 1), overall)
    return prof


@dataclass
class HistoricalAverage(_Base):
    """Historical average by time of day: the training mean of the link at the target's time-of-day slot."""

    name: str = "historical_average"
    label: str = "Trung bình lịch sử theo giờ"
    profile: FloatArray | None = None

    def fit(self, train: FloatArray, *, adj: FloatArray | None, offset: int) -> None:
        self.offset = offset
        self.profile = slot_profile(train, steps_per_day=self.steps_per_day, offset=offset)

    def predict(self, inputs: FloatArray, *, first_rows: np.ndarray, history: FloatArray) -> FloatArray:
        assert self.profile is not None
        slots = (self._target_rows(first_rows) + self.offset) % self.steps_per_day
        return self.profile[slots]


@dataclass
class SeasonalNaive(_Base):
    """Seasonal naive: the value observed one day (``steps_per_day`` rows) before the target, read from the
    series' past (known at the forecast origin); the last observed value where the series is shorter."""

    name: str = "seasonal_naive"
    label: str = "Cùng giờ hôm trước"

    def fit(self, train: FloatArray, *, adj: FloatArray | None, offset: int) -> None:
        self.offset = offset

    def predict(self, inputs: FloatArray, *, first_rows: np.ndarray, history: FloatArray) -> FloatArray:
        rows = self._target_rows(first_rows) - self.steps_per_day
        out = np.repeat(inputs[:, -1:, :], len(self.ahead), axis=1).astype(np.float64)
        ok = rows >= 0
        out[ok] = history[rows[ok]]
        return out


def _neighbour_matrix(adj: FloatArray | None, n_links: int) -> FloatArray | None:
    """Row-normalised adjacency without self-loops (weighted mean of the neighbours), or None."""
    if adj is None:
        return None
    w = np.array(adj, dtype=np.float64, copy=True)
    np.fill_diagonal(w, 0.0)
    sums = w.sum(axis=1, keepdims=True)
    w = np.divide(w, sums, out=np.zeros_like(w), where=sums > 0)
    return w if w.shape == (n_links, n_links) else None


@dataclass
class _Learned(_Base):
    """A direct multi-step model shared by every link (a global model): one regressor per step ahead,
    predicting the change from the last observed value from the last ``input_steps`` values (as differences
    from the last one), short trends, the weighted mean of the neighbours' recent values (adjacency), the
    link's time-of-day profile at the targets and now (learned on the training rows), the time of day and the
    link's level."""

    link_feature: bool = False
    train_stride: int = 1  # train on every n-th window (live refreshes: less time, nearly the same fit)
    profile: FloatArray | None = None
    neighbours: FloatArray | None = None
    level: FloatArray | None = None
    bounds: tuple[float, float] = (0.0, float("inf"))
    models: list[Any] = field(default_factory=list)

    def _features(self, inputs: FloatArray, first_rows: np.ndarray) -> FloatArray:
        assert self.profile is not None and self.level is not None
        n_win, n_in, n_links = inputs.shape
        last = inputs[:, -1, :]  # (w, links)
        cols: list[FloatArray] = []
        for k in range(n_in - 1):
            cols.append(inputs[:, k, :] - last)
        cols.append(last)
        cols.append(inputs[:, -3:, :].mean(axis=1) - last)
        cols.append(inputs.std(axis=1))
        cols.append(inputs.min(axis=1) - last)
        slot_now = (first_rows + n_in - 1 + self.offset) % self.steps_per_day  # (w,)
        prof_now = self.profile[slot_now]  # (w, links)
        cols.append(prof_now)
        cols.append(last - prof_now)
        for h in self.ahead:
            prof_h = self.profile[(slot_now + h) % self.steps_per_day]
            cols.append(prof_h - prof_now)
        if self.neighbours is not None:
            nb = np.einsum("wtl,ml->wtm", inputs[:, -3:, :], self.neighbours)  # (w, 3, links)
            nb_last = nb[:, -1, :]
            cols.append(nb_last - last)
            cols.append(nb_last - nb[:, 0, :])
            nb_prof = prof_now @ self.neighbours.T
            cols.append(nb_last - nb_prof)
        angle = 2 * np.pi * slot_now / self.steps_per_day
        cols.append(np.repeat(np.sin(angle)[:, None], n_links, axis=1))
        cols.append(np.repeat(np.cos(angle)[:, None], n_links, axis=1))
        cols.append(np.repeat(self.level[None, :], n_win, axis=0))
        if self.link_feature:
            cols.append(np.repeat(np.arange(n_links, dtype=np.float64)[None, :], n_win, axis=0))
        feats = np.stack(cols, axis=-1)  # (w, links, f)
        return feats.reshape(n_win * n_links, -1).astype(np.float32)

    def _regressor(self, n_features: int) -> Any:
        raise NotImplementedError

    def fit(self, train: FloatArray, *, adj: FloatArray | None, offset: int) -> None:
        self.offset = offset
        self.profile = slot_profile(train, steps_per_day=self.steps_per_day, offset=offset)
        self.neighbours = _neighbour_matrix(adj, train.shape[1])
        self.level = train.mean(axis=0)
        # Forecasts stay within the range ever observed (a linear model may extrapolate wildly on short series).
        self.bounds = (float(train.min()), float(train.max()))
        x, y = make_windows(train, self.input_steps, max(self.ahead))
        if len(x) == 0:
            raise ValueError("Chuỗi quá ngắn để huấn luyện mô hình.")
        first_rows = window_starts(len(train), self.input_steps, max(self.ahead))
        if self.train_stride > 1:
            x, y, first_rows = x[::self.train_stride], y[::self.train_stride], first_rows[::self.train_stride]
        feats = self._features(x, first_rows)
        last = x[:, -1, :].reshape(-1)
        self.models = []
        for h in self.ahead:
            target = (y[:, h - 1, :].reshape(-1) - last).astype(np.float32)
            model = self._regressor(feats.shape[1])
            model.fit(feats, target)
            self.models.append(model)

    def predict(self, inputs: FloatArray, *, first_rows: np.ndarray, history: FloatArray) -> FloatArray:
        n_win, _, n_links = inputs.shape
        feats = self._features(inputs, first_rows)
        last = inputs[:, -1, :]
        out = np.empty((n_win, len(self.ahead), n_links))
        for h, model in enumerate(self.models):
            out[:, h, :] = last + np.asarray(model.predict(feats), dtype=np.float64).reshape(n_win, n_links)
        return np.clip(out, *self.bounds)


@dataclass
class GradientBoosting(_Learned):
    """LightGBM regressors (the link as a categorical feature, so each link may learn its own behaviour)."""

    name: str = "lightgbm"
    label: str = "LightGBM (cây tăng cường)"
    n_estimators: int = 300
    learning_rate: float = 0.05
    num_leaves: int = 63
    min_child_samples: int = 50
    # One thread: on a shared 2-core machine LightGBM's OpenMP threads spin against other processes (measured
    # 471 s with 2 threads against 33 s with 1 under a load of 5).
    threads: int = 1
    seed: int = 7
    link_feature: bool = True

    def _regressor(self, n_features: int) -> Any:
        return _Booster(params={
            "objective": "regression", "learning_rate": self.learning_rate, "num_leaves": self.num_leaves,
            "min_data_in_leaf": self.min_child_samples, "bagging_fraction": 0.8, "bagging_freq": 1,
            "feature_fraction": 0.8, "lambda_l2": 1.0, "num_threads": self.threads, "seed": self.seed,
            "verbosity": -1}, rounds=self.n_estimators, categorical=[n_features - 1] if self.link_feature else [])


@dataclass
class _Booster:
    """LightGBM's own training API (no scikit-learn wrapper)."""

    params: dict[str, Any]
    rounds: int
    categorical: list[int]
    booster: Any = None

    def fit(self, x: FloatArray, y: FloatArray) -> None:
        import lightgbm as lgb

        data = lgb.Dataset(x, label=y, categorical_feature=self.categorical or "auto",
                           params={"verbosity": -1}, free_raw_data=True)
        self.booster = lgb.train(self.params, data, num_boost_round=self.rounds)

    def predict(self, x: FloatArray) -> FloatArray:
        return np.asarray(self.booster.predict(x))


@dataclass
class _Ridge:
    """Ridge regression on standardised features, solved in closed form ((XᵀX + αI) β = Xᵀy): the 30-odd
    features make this a 30×30 system, faster than any iterative library fit (measured 0,03 s against 0,8 s
    for scikit-learn's Ridge on 160.000 rows)."""

    alpha: float
    mean: FloatArray | None = None
    scale: FloatArray | None = None
    coef: FloatArray | None = None
    intercept: float = 0.0

    def fit(self, x: FloatArray, y: FloatArray) -> None:
        # One pass over the data: standardise the Gram matrix, not the rows (no scaled copy of x).
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        n = len(x)
        self.mean = x.mean(axis=0)
        self.intercept = float(y.mean())
        cov = x.T @ x / n - np.outer(self.mean, self.mean)
        std = np.sqrt(np.clip(np.diag(cov), 0, None))
        self.scale = np.where(std > 1e-9, std, 1.0)
        xty = (x.T @ y / n - self.mean * self.intercept) / self.scale
        gram = cov / np.outer(self.scale, self.scale) + self.alpha / n * np.eye(x.shape[1])
        self.coef = np.linalg.solve(gram, xty)

    def predict(self, x: FloatArray) -> FloatArray:
        assert self.mean is not None and self.scale is not None and self.coef is not None
        return ((np.asarray(x, dtype=np.float64) - self.mean) / self.scale) @ self.coef + self.intercept


@dataclass
class LinearRidge(_Learned):
    """Ridge regression on the same features: fast, the live default where data is small."""

    name: str = "ridge"
    label: str = "Hồi quy tuyến tính Ridge"
    alpha: float = 10.0

    def _regressor(self, n_features: int) -> Any:
        return _Ridge(alpha=self.alpha)


BASELINES: dict[str, Callable[..., _Base]] = {
    "historical_average": HistoricalAverage,
    "last_value": LastValue,
    "seasonal_naive": SeasonalNaive,
}


# ------------------------------------------------------------------------------------------------ evaluation


@dataclass
class EvalResult:
    models: dict[str, dict[str, float]]
    best: str
    predictions: dict[str, FloatArray]  # name -> (windows, horizon, links)
    targets: FloatArray  # (windows, horizon, links)

    def as_json(self) -> dict[str, Any]:
        return {"models": self.models, "best": self.best}


def default_models(horizon: int, *, input_steps: int, steps_per_day: int) -> list[Any]:
    common: dict[str, Any] = {"horizon": horizon, "input_steps": input_steps, "steps_per_day": steps_per_day}
    return [*(cls(**common) for cls in BASELINES.values()), LinearRidge(**common), GradientBoosting(**common)]


def evaluate(speed: FloatArray, adj: FloatArray | None, *, train_fraction: float = 0.8, input_steps: int = 12,
             horizon: int = 3, steps_per_day: int = 288, offset: int = 0,
             models: list[Any] | None = None) -> EvalResult:
    """Train every model on the first ``train_fraction`` of the rows, evaluate on the T-GCN windows of the rest.
    ``best`` = the model with the lowest RMSE."""
    speed = np.asarray(speed, dtype=np.float64)
    split = split_point(len(speed), train_fraction)
    train, test = speed[:split], speed[split:]
    if len(train) < input_steps + horizon + 1:
        raise ValueError("Phần huấn luyện quá ngắn so với số bước đầu vào và số bước dự báo.")
    if len(test) <= input_steps + horizon:
        raise ValueError("Phần kiểm tra quá ngắn: cần hơn (số bước đầu vào + số bước dự báo) dòng.")
    x_test, y_test = make_windows(test, input_steps, horizon)
    first_rows = split + window_starts(len(test), input_steps, horizon)
    results: dict[str, dict[str, float]] = {}
    preds: dict[str, FloatArray] = {}
    for model in models or default_models(horizon, input_steps=input_steps, steps_per_day=steps_per_day):
        started = time.perf_counter()
        model.fit(train, adj=adj, offset=offset)
        seconds = time.perf_counter() - started
        # Each window reads only rows before its targets: history is cut at the test part's last input row.
        pred = model.predict(x_test, first_rows=first_rows, history=speed)
        _assert_causal(model, x_test, first_rows, speed, pred)
        preds[model.name] = pred
        results[model.name] = {**metrics(y_test, pred), "train_seconds": round(seconds, 3)}
    best = min(results, key=lambda n: results[n]["rmse"])
    return EvalResult(models=results, best=best, predictions=preds, targets=y_test)


def _assert_causal(model: Any, x: FloatArray, first_rows: np.ndarray, speed: FloatArray, pred: FloatArray) -> None:
    """Guard against leakage: predicting the last window again with the future rows blanked out must give the
    same numbers (the seasonal-naive baseline reads the series' past)."""
    if len(x) == 0:
        return
    last_input_row = int(first_rows[-1]) + x.shape[1]
    clipped = np.full_like(speed, np.nan)
    clipped[:last_input_row] = speed[:last_input_row]
    again = model.predict(x[-1:], first_rows=first_rows[-1:], history=clipped)
    if not np.allclose(again, pred[-1:], equal_nan=False):
        raise AssertionError(f"model {model.name} reads rows after its forecast origin")
