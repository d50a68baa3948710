"""Traffic forecasts per road link, 15, 30 and 60 minutes ahead, from two catalog datasets:

* ``doan_duong_giao_thong`` — the links: ``ma_doan`` (code), ``ten_doan``, ``tuyen_duong`` (road), ``ma_xa``
  (commune), ``toc_do_tu_do`` (free-flow speed, km/h), ``truc_chinh`` (a main link: a forecast jam on it goes to
  the operations room), ``toa_do`` (the line: ``lon lat; lon lat; …``);
* ``toc_do_giao_thong`` — observations every 5 minutes: ``thoi_diem`` (local time), ``ma_doan``, ``toc_do``
  (km/h), ``luu_luong`` (vehicles per step, optional). Detector, camera-count or probe feeds load into it
  through the one ingestion path (file, push API, pull, MQTT).

:func:`refresh` (scheduled every 5 minutes, runs only when a new batch arrived; ``dieuhanh forecast
traffic-refresh`` forces it) reads the last weeks, backtests every model against the plain baselines with
rolling origins (the last days, each day trained only on what came before it), keeps for each link and horizon
the model with the lowest backtest RMSE — a learned model only where it beats the best baseline —, forecasts
from the latest observation with an 80 % interval from that model's backtest errors, and announces forecast
jams on main links to the operations room (:mod:`dieuhanh.forecasting.events`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dieuhanh.core import audit
from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import InvalidInput, NotFound
from dieuhanh.core.formatting import LOCAL_TZ
from dieuhanh.core.security import Principal, authorize
from dieuhanh.core.warehouse import Warehouse
from dieuhanh.forecasting import permissions as _permissions  # noqa: F401  (registers forecast.*)
from dieuhanh.forecasting import traffic_model as tm
from dieuhanh.forecasting.errors import on_field
from dieuhanh.forecasting.models import TrafficForecast, TrafficForecastRun, TrafficJamNotice

LINKS_DATASET = "doan_duong_giao_thong"
OBS_DATASET = "toc_do_giao_thong"
STEP_MINUTES = 5
STEPS_PER_DAY = 24 * 60 // STEP_MINUTES
INPUT_STEPS = 12
HORIZONS = (15, 30, 60)  # minutes
HISTORY_DAYS = 28
BACKTEST_DAYS = 2  # rolling origins: each of the last days forecast from a model trained before it
INTERVAL = (0.10, 0.90)  # 80 % interval from the backtest residuals
# Congestion from the ratio of speed to free-flow speed (the usual level-of-service bands of speed-based maps).
CONGESTION = (("free", 0.7, "Thông thoáng"), ("busy", 0.5, "Đông xe"), ("slow", 0.3, "Chậm, ùn ứ"),
              ("jam", 0.0, "Ùn tắc"))
CONGESTION_LABELS = {code: label for code, _, label in CONGESTION}
JAM_RATIO = 0.3  # below 30 % of free-flow speed on a main link: a jam the operations room hears about
JAM_REPEAT = timedelta(minutes=90)  # one announcement per link per episode
MODEL_LABELS = {"historical_average": "Trung bình lịch sử theo giờ", "last_value": "Giá trị gần nhất",
                "seasonal_naive": "Cùng giờ tuần trước", "ridge": "Hồi quy Ridge", "lightgbm": "LightGBM"}
BASELINE_NAMES = ("historical_average", "last_value", "seasonal_naive")
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


@dataclass(frozen=True)
class Link:
    code: str
    name: str
    road: str
    commune_code: str | None
    free_flow: float
    main: bool
    coords: list[list[float]]


@dataclass
class Series:
    """Observations on a regular 5-minute grid: ``values[t, l]`` (NaN where missing before filling)."""

    start: datetime  # local naive time of row 0
    codes: list[str]
    values: np.ndarray
    observed: np.ndarray  # bool mask of real observations

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=STEP_MINUTES * (len(self.values) - 1))

    @property
    def offset(self) -> int:
        return (self.start.hour * 60 + self.start.minute) // STEP_MINUTES


def congestion(speed: float, free_flow: float) -> str:
    ratio = speed / free_flow if free_flow > 0 else 1.0
    return next(code for code, low, _ in CONGESTION if ratio >= low)


def _local_to_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=LOCAL_TZ).astimezone(UTC).replace(tzinfo=None)


def _utc_to_local(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC).astimezone(LOCAL_TZ).replace(tzinfo=None)


def iso_local(value: datetime) -> str:
    """Naive UTC from the database -> ISO 8601 with the +07:00 offset."""
    return value.replace(tzinfo=UTC).astimezone(LOCAL_TZ).isoformat()


# ------------------------------------------------------------------------------------------------ reading


def _parse_coords(text: str | None) -> list[list[float]]:
    out: list[list[float]] = []
    for part in (text or "").split(";"):
        bits = part.replace(",", " ").split()
        if len(bits) == 2:
            try:
                lon, lat = float(bits[0]), float(bits[1])
            except ValueError:
                continue
            if -180 <= lon <= 180 and -90 <= lat <= 90:
                out.append([lon, lat])
    return out


def load_links(warehouse: Warehouse, session: Session | None = None, *, max_age: float | None = None) -> list[Link]:
    """The road links (kept per data version of the links dataset when a ``session`` is given: see
    :mod:`dieuhanh.forecasting.cache`; callers must not change them)."""
    if session is not None:
        from dieuhanh.forecasting import cache

        return cache.kept(session, warehouse, ("traffic.links",), [LINKS_DATASET], lambda: load_links(warehouse),
                          max_age=max_age or cache.TTL_SECONDS)
    if not warehouse.table_exists(LINKS_DATASET):
        return []
    table = warehouse.query(
        f"SELECT ma_doan, ten_doan, tuyen_duong, ma_xa, toc_do_tu_do, truc_chinh, toa_do FROM {LINKS_DATASET} "
        "ORDER BY ma_doan")
    links: dict[str, Link] = {}
    for r in table.to_pylist():
        code = str(r["ma_doan"] or "").strip()
        if not code:
            continue
        links[code] = Link(code=code, name=str(r["ten_doan"] or code), road=str(r["tuyen_duong"] or ""),
                           commune_code=r["ma_xa"], free_flow=float(r["toc_do_tu_do"] or 50.0),
                           main=bool(r["truc_chinh"]), coords=_parse_coords(r["toa_do"]))
    return list(links.values())


def load_series(warehouse: Warehouse, codes: list[str], *, days: int = HISTORY_DAYS,
                until: datetime | None = None) -> Series | None:
    """The last ``days`` of observations of these links on a 5-minute grid; gaps filled by linear
    interpolation in time (edges by the nearest observation)."""
    if not codes or not warehouse.table_exists(OBS_DATASET):
        return None
    last = warehouse.query(f"SELECT max(thoi_diem) AS t FROM {OBS_DATASET}").column(0)[0].as_py()
    if last is None:
        return None
    end = min(last, until) if until else last
    end = end.replace(second=0, microsecond=0)
    end -= timedelta(minutes=end.minute % STEP_MINUTES)
    start = end - timedelta(days=days) + timedelta(minutes=STEP_MINUTES)
    table = warehouse.query(
        f"SELECT thoi_diem, ma_doan, toc_do FROM {OBS_DATASET} WHERE thoi_diem >= ? AND thoi_diem <= ? "
        "AND toc_do IS NOT NULL", [start, end + timedelta(minutes=STEP_MINUTES - 1)])
    if table.num_rows == 0:
        return None
    times = table.column("thoi_diem").to_numpy(zero_copy_only=False).astype("datetime64[m]")
    first = np.datetime64(start, "m")
    rows = ((times - first).astype(np.int64) // STEP_MINUTES)
    index = {c: i for i, c in enumerate(codes)}
    cols = np.array([index.get(str(c), -1) for c in table.column("ma_doan").to_pylist()])
    speeds = table.column("toc_do").to_numpy(zero_copy_only=False).astype(np.float64)
    n_rows = int((end - start).total_seconds() // 60 // STEP_MINUTES) + 1
    keep = (cols >= 0) & (rows >= 0) & (rows < n_rows) & np.isfinite(speeds)
    sums = np.zeros((n_rows, len(codes)))
    counts = np.zeros((n_rows, len(codes)))
    np.add.at(sums, (rows[keep], cols[keep]), speeds[keep])
    np.add.at(counts, (rows[keep], cols[keep]), 1)
    observed = counts > 0
    # Drop leading rows where no link has data yet (a network younger than the window).
    first_row = int(np.argmax(observed.any(axis=1)))
    sums, counts, observed = sums[first_row:], counts[first_row:], observed[first_row:]
    values = np.where(observed, sums / np.maximum(counts, 1), np.nan)
    grid = np.arange(len(values))
    for j in range(values.shape[1]):
        ok = observed[:, j]
        if ok.any() and not ok.all():
            values[:, j] = np.interp(grid, grid[ok], values[ok, j])
        elif not ok.any():
            values[:, j] = np.nan
    return Series(start=start + timedelta(minutes=STEP_MINUTES * first_row), codes=list(codes), values=values,
                  observed=observed)


def adjacency(links: list[Link], *, within_km: float = 1.0) -> np.ndarray:
    """Links are neighbours when an end of one lies within ``within_km`` of an end of the other (a road network
    without topology: detector links drawn end to end along each road and meeting at junctions)."""
    n = len(links)
    adj = np.eye(n)
    ends = []
    for link in links:
        pts = link.coords or [[0.0, 0.0]]
        ends.append((pts[0], pts[-1]))
    for i in range(n):
        for j in range(i + 1, n):
            if not links[i].coords or not links[j].coords:
                continue
            d = min(_km(a, b) for a in ends[i] for b in ends[j])
            if d <= within_km:
                adj[i, j] = adj[j, i] = 1.0
    return adj


def _km(a: list[float], b: list[float]) -> float:
    lat = math.radians((a[1] + b[1]) / 2)
    dx = (a[0] - b[0]) * 111.32 * math.cos(lat)
    dy = (a[1] - b[1]) * 110.57
    return math.hypot(dx, dy)


# ------------------------------------------------------------------------------------------------ forecasting


def live_models(names: tuple[str, ...]) -> list[Any]:
    """Baselines (always) and the learned models named, predicting 3, 6 and 12 steps (15, 30, 60 minutes)."""
    steps = tuple(h // STEP_MINUTES for h in HORIZONS)
    common: dict[str, Any] = {"horizon": max(steps), "steps": steps, "input_steps": INPUT_STEPS,
                              "steps_per_day": STEPS_PER_DAY}
    out: list[Any] = [tm.HistoricalAverage(**common), tm.LastValue(**common),
                      # Seasonal naive on live data: the same time one week earlier (weekday and weekend differ).
                      tm.SeasonalNaive(**{**common, "steps_per_day": 7 * STEPS_PER_DAY})]
    if "ridge" in names:
        out.append(tm.LinearRidge(**common, train_stride=3))
    if "lightgbm" in names:
        out.append(tm.GradientBoosting(**common, n_estimators=80, num_leaves=31, learning_rate=0.1, train_stride=2))
    return out


@dataclass
class LinkForecast:
    horizon: int
    value: float
    lower: float
    upper: float
    model: str
    rmse: float | None
    baseline: str
    baseline_rmse: float | None
    candidates: dict[str, float]


def backtest_and_forecast(series: Series, adj: np.ndarray | None, *, models: tuple[str, ...] = ("ridge",),
                          backtest_days: int = BACKTEST_DAYS,
                          stride: int = 3) -> tuple[dict[str, list[LinkForecast]], dict[str, dict[str, float]]]:
    """Per link: one :class:`LinkForecast` per horizon; and the backtest RMSE per horizon and model over all
    links. Rolling origin: for each of the last ``backtest_days`` days, every model is trained on the rows
    before that day and forecasts from every ``stride``-th row of the day (features read only earlier rows)."""
    values = series.values
    n_rows, n_links = values.shape
    steps = tuple(h // STEP_MINUTES for h in HORIZONS)
    day_rows = STEPS_PER_DAY
    min_train = STEPS_PER_DAY + INPUT_STEPS + max(steps)
    folds = [n_rows - k * day_rows for k in range(backtest_days, 0, -1)]
    folds = [f for f in folds if f >= min_train]
    names = [m.name for m in live_models(models)]
    residuals: dict[str, list[np.ndarray]] = {n: [] for n in names}  # (windows, horizons, links)
    for fold_start in folds:
        fold_end = min(n_rows, fold_start + day_rows)
        train = values[:fold_start]
        # Windows whose targets fall inside the fold: input ends at origin o, targets o+s.
        origins = np.arange(fold_start - 1, fold_end - max(steps), stride)
        if len(origins) == 0:
            continue
        first_rows = origins - INPUT_STEPS + 1
        inputs = values[first_rows[:, None] + np.arange(INPUT_STEPS)[None, :]]
        truth = values[origins[:, None] + np.asarray(steps)[None, :]]
        for model in live_models(models):
            model.fit(train, adj=adj, offset=series.offset)
            pred = model.predict(inputs, first_rows=first_rows, history=values[:fold_end])
            residuals[model.name].append(truth - pred)
    # Final fit on everything, forecast from the last row.
    last_first = np.array([n_rows - INPUT_STEPS])
    latest = values[last_first[:, None] + np.arange(INPUT_STEPS)[None, :]]
    preds: dict[str, np.ndarray] = {}
    for model in live_models(models):
        model.fit(values, adj=adj, offset=series.offset)
        preds[model.name] = model.predict(latest, first_rows=last_first, history=values)[0]  # (horizons, links)
    summary: dict[str, dict[str, float]] = {}
    per_link: dict[str, list[LinkForecast]] = {c: [] for c in series.codes}
    have_backtest = all(residuals[n] for n in names)
    stacked = {n: np.concatenate(residuals[n], axis=0) for n in names} if have_backtest else {}
    for h_i, horizon in enumerate(HORIZONS):
        if have_backtest:
            summary[str(horizon)] = {n: float(np.sqrt(np.nanmean(stacked[n][:, h_i, :] ** 2))) for n in names}
        for l_i, code in enumerate(series.codes):
            if not np.isfinite(values[:, l_i]).any():
                continue
            rmse = ({n: float(np.sqrt(np.nanmean(stacked[n][:, h_i, l_i] ** 2))) for n in names}
                    if have_backtest else {})
            baseline = min((n for n in BASELINE_NAMES if n in rmse), key=lambda n: rmse[n], default="last_value")
            chosen = min(rmse, key=lambda n: rmse[n]) if rmse else "last_value"
            # A learned model is used only where it beats the best baseline (min() already ensures it; ties go
            # to the baseline, which comes first).
            value = float(preds[chosen][h_i, l_i])
            if have_backtest:
                res = stacked[chosen][:, h_i, l_i]
                res = res[np.isfinite(res)]
                lo, hi = (np.quantile(res, INTERVAL) if len(res) >= 10 else (-np.std(res) * 1.28,
                                                                             np.std(res) * 1.28))
            else:
                spread = float(np.nanstd(values[:, l_i])) or 1.0
                lo, hi = -1.28 * spread, 1.28 * spread
            per_link[code].append(LinkForecast(
                horizon=horizon, value=max(0.0, value), lower=max(0.0, value + float(lo)),
                upper=max(0.0, value + float(hi)), model=chosen, rmse=rmse.get(chosen), baseline=baseline,
                baseline_rmse=rmse.get(baseline), candidates=rmse))
    return per_link, summary


def refresh(session: Session, warehouse: Warehouse, *, principal: Principal, force: bool = False,
            models: tuple[str, ...] = ("ridge", "lightgbm"), backtest_days: int = BACKTEST_DAYS,
            now: datetime | None = None, demo: bool = False) -> TrafficForecastRun:
    """Recompute every link's forecasts when new observations arrived (or always with ``force``); ``demo``
    marks the jam events it raises as demo data (the demo province's own run)."""
    authorize(principal, "forecast.refresh")
    links = load_links(warehouse)
    last_run = session.scalars(select(TrafficForecastRun).where(TrafficForecastRun.outcome == "ok")
                               .order_by(TrafficForecastRun.id.desc()).limit(1)).first()
    run = TrafficForecastRun(dataset=OBS_DATASET, started_at=now or utcnow())
    session.add(run)
    if not links:
        run.outcome, run.message = "skipped", f"Chưa có bộ dữ liệu đoạn đường «{LINKS_DATASET}»."
        run.finished_at = utcnow()
        return run
    series = load_series(warehouse, [link.code for link in links])
    if series is None or len(series.values) < STEPS_PER_DAY + INPUT_STEPS + 12:
        run.outcome = "skipped"
        run.message = f"Chưa đủ số liệu tốc độ (cần ít nhất một ngày) trong «{OBS_DATASET}»."
        run.finished_at = utcnow()
        return run
    data_until = _local_to_utc(series.end)
    if not force and last_run is not None and last_run.data_until == data_until:
        run.outcome, run.message, run.data_until = "skipped", "Không có số liệu mới.", data_until
        run.finished_at = utcnow()
        return run
    try:
        per_link, summary = backtest_and_forecast(series, adjacency(links), models=models,
                                                  backtest_days=backtest_days)
    except (ValueError, np.linalg.LinAlgError) as exc:
        run.outcome, run.message, run.finished_at = "failed", f"Lỗi khi dự báo: {exc}", utcnow()
        return run
    session.flush()
    by_code = {link.code: link for link in links}
    session.execute(delete(TrafficForecast))
    for code, forecasts in per_link.items():
        link = by_code[code]
        for f in forecasts:
            session.add(TrafficForecast(
                run_id=run.id, link_code=code, horizon_min=f.horizon, issued_at=data_until,
                target_time=data_until + timedelta(minutes=f.horizon), value=round(f.value, 2),
                lower=round(f.lower, 2), upper=round(f.upper, 2), model=f.model,
                backtest_rmse=None if f.rmse is None else round(f.rmse, 3), baseline=f.baseline,
                baseline_rmse=None if f.baseline_rmse is None else round(f.baseline_rmse, 3),
                candidates={k: round(v, 3) for k, v in f.candidates.items()},
                congestion=congestion(f.value, link.free_flow)))
    run.links = sum(1 for v in per_link.values() if v)
    run.data_until = data_until
    run.backtest = {h: {k: round(v, 3) for k, v in d.items()} for h, d in summary.items()}
    run.outcome = "ok"
    run.message = f"Đã dự báo {run.links} đoạn đường."
    session.flush()
    run.jam_events = announce_jams(session, links=links, per_link=per_link, data_until=data_until,
                                   principal=principal, demo=demo)
    run.finished_at = utcnow()
    audit.record(session, actor=principal.actor, action="forecast.traffic_refresh", entity_type="traffic_forecast_run",
                 entity_id=str(run.id), after={"links": run.links, "jam_events": run.jam_events})
    return run


def announce_jams(session: Session, *, links: list[Link], per_link: dict[str, list[LinkForecast]],
                  data_until: datetime, principal: Principal, demo: bool = False) -> int:
    """A jam forecast on a main link (speed below ``JAM_RATIO`` of free flow at any horizon) becomes one event
    for the operations room, not repeated for that link within ``JAM_REPEAT``."""
    from dieuhanh.forecasting import events

    made = 0
    for link in links:
        if not link.main:
            continue
        jam = next((f for f in per_link.get(link.code, []) if congestion(f.value, link.free_flow) == "jam"), None)
        if jam is None:
            continue
        recent = session.scalars(select(TrafficJamNotice).where(
            TrafficJamNotice.link_code == link.code,
            TrafficJamNotice.created_at >= data_until - JAM_REPEAT).limit(1)).first()
        if recent is not None:
            continue
        expected = data_until + timedelta(minutes=jam.horizon)
        local = _utc_to_local(expected)
        message = (f"Dự báo ùn tắc trên {link.name} ({link.road}) lúc {local:%H:%M %d/%m/%Y}: tốc độ khoảng "
                   f"{jam.value:.0f} km/h (tự do {link.free_flow:.0f} km/h), dự báo trước {jam.horizon} phút.")
        ref = events.raise_jam_event(session, principal=principal, link_code=link.code, link_name=link.name,
                                     road=link.road, commune_code=link.commune_code, expected_at=expected,
                                     speed=jam.value, free_flow=link.free_flow, message=message,
                                     coords=link.coords, demo=demo)
        session.add(TrafficJamNotice(link_code=link.code, created_at=data_until, expected_at=expected,
                                     speed=round(jam.value, 1), horizon_min=jam.horizon, event_ref=ref,
                                     message=message))
        made += 1
    return made


# ------------------------------------------------------------------------------------------------ reading out


def forecasts(session: Session, *, link: str | None = None, horizon: int | None = None) -> list[TrafficForecast]:
    if horizon is not None and horizon not in HORIZONS:
        raise on_field(InvalidInput, "Tầm dự báo phải là 15, 30 hoặc 60 phút.", "horizon")
    q = select(TrafficForecast).order_by(TrafficForecast.link_code, TrafficForecast.horizon_min)
    if link:
        q = q.where(TrafficForecast.link_code == link)
    if horizon is not None:
        q = q.where(TrafficForecast.horizon_min == horizon)
    return list(session.scalars(q))


def forecast_out(f: TrafficForecast) -> dict[str, Any]:
    return {"link": f.link_code, "time": iso_local(f.target_time), "value": f.value, "lower": f.lower,
            "upper": f.upper, "model": f.model, "horizon": f.horizon_min, "issued_at": iso_local(f.issued_at),
            "backtest_rmse": f.backtest_rmse, "baseline": f.baseline, "baseline_rmse": f.baseline_rmse,
            "congestion": f.congestion}


def latest_run(session: Session) -> TrafficForecastRun | None:
    return session.scalars(select(TrafficForecastRun).where(TrafficForecastRun.outcome.in_(("ok", "failed")))
                           .order_by(TrafficForecastRun.id.desc()).limit(1)).first()


def link_or_404(warehouse: Warehouse, code: str) -> Link:
    link = next((x for x in load_links(warehouse) if x.code == code), None)
    if link is None:
        raise NotFound(f"Không có đoạn đường mã «{code}».")
    return link


def recent(warehouse: Warehouse, code: str, *, hours: int = 6) -> list[dict[str, Any]]:
    """The link's observations over the last ``hours`` before its latest one (local times)."""
    if not warehouse.table_exists(OBS_DATASET):
        return []
    table = warehouse.query(
        f"SELECT thoi_diem, toc_do FROM {OBS_DATASET} WHERE ma_doan = ? AND thoi_diem >= "
        f"(SELECT max(thoi_diem) FROM {OBS_DATASET} WHERE ma_doan = ?) - INTERVAL {int(hours)} HOUR "
        "ORDER BY thoi_diem", [code, code])
    return [{"time": r["thoi_diem"].replace(tzinfo=LOCAL_TZ).isoformat(), "value": r["toc_do"]}
            for r in table.to_pylist()]


def profile(warehouse: Warehouse, code: str, *, days: int = HISTORY_DAYS) -> dict[str, Any]:
    """Typical speed of a link: by time of day (15-minute slots, working days and weekends) and by weekday ×
    hour, over the last ``days``."""
    series = load_series(warehouse, [code], days=days)
    if series is None:
        return {"link": code, "daily": {}, "weekly": [], "days": 0}
    v = series.values[:, 0]
    ok = series.observed[:, 0]
    times = np.array([series.start + timedelta(minutes=STEP_MINUTES * i) for i in range(len(v))])
    weekday = np.array([t.weekday() for t in times])
    slot15 = np.array([(t.hour * 60 + t.minute) // 15 for t in times])
    hour = slot15 // 4

    def mean_by(mask: np.ndarray, keys: np.ndarray, n: int) -> list[float | None]:
        out: list[float | None] = []
        for k in range(n):
            sel = mask & ok & (keys == k)
            out.append(round(float(v[sel].mean()), 1) if sel.any() else None)
        return out

    working = weekday < 5
    return {
        "link": code, "days": int(round(len(v) / STEPS_PER_DAY)),
        "daily": {"working_day": mean_by(working, slot15, 96), "weekend": mean_by(~working, slot15, 96)},
        "weekly": [mean_by(weekday == d, hour, 24) for d in range(7)],
    }


def anomalies(warehouse: Warehouse, *, ratio: float = 0.75, min_drop: float = 8.0,
              days: int = HISTORY_DAYS, session: Session | None = None,
              max_age: float | None = None) -> list[dict[str, Any]]:
    """The day's anomalies: for each link and hour of the latest day, the mean speed against the link's
    typical speed for that weekday and hour (median over the earlier weeks); hours much slower than typical
    (below ``ratio`` of it and at least ``min_drop`` km/h slower) are listed, slowest first. With a ``session``:
    computed once per data version of the links and observations (the page and the API read the kept list;
    the refresh job computes it as soon as new observations arrive)."""
    if session is not None:
        from dieuhanh.forecasting import cache

        return cache.kept(session, warehouse, ("traffic.anomalies", ratio, min_drop, days),
                          [LINKS_DATASET, OBS_DATASET],
                          lambda: anomalies(warehouse, ratio=ratio, min_drop=min_drop, days=days),
                          max_age=max_age or cache.TTL_SECONDS)
    links = load_links(warehouse)
    series = load_series(warehouse, [link.code for link in links], days=days)
    if series is None or len(series.values) < 2 * STEPS_PER_DAY:
        return []
    v, ok = series.values, series.observed
    n = len(v)
    end_local = series.end
    day_start = datetime(end_local.year, end_local.month, end_local.day)
    first_today = int((day_start - series.start).total_seconds() // 60 // STEP_MINUTES)
    out: list[dict[str, Any]] = []
    by_code = {link.code: link for link in links}
    for h_start in range(max(first_today, 0), n, 12):
        h_end = min(n, h_start + 12)
        hour_time = series.start + timedelta(minutes=STEP_MINUTES * h_start)
        past = [h_start - k * 7 * STEPS_PER_DAY for k in range(1, 5) if h_start - k * 7 * STEPS_PER_DAY >= 0]
        if not past:
            past = [h_start - k * STEPS_PER_DAY for k in range(1, 8) if h_start - k * STEPS_PER_DAY >= 0]
        if not past:
            continue
        for j, code in enumerate(series.codes):
            now_ok = ok[h_start:h_end, j]
            if now_ok.sum() < 3:
                continue
            now = float(v[h_start:h_end, j][now_ok].mean())
            typical = float(np.median([v[p:p + 12, j].mean() for p in past]))
            if typical > 0 and now < ratio * typical and typical - now >= min_drop:
                link = by_code[code]
                out.append({"link": code, "name": link.name, "road": link.road,
                            "time": hour_time.replace(tzinfo=LOCAL_TZ).isoformat(), "speed": round(now, 1),
                            "typical": round(typical, 1), "ratio": round(now / typical, 2)})
    out.sort(key=lambda a: a["ratio"])
    return out


def run_out(run: TrafficForecastRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {"id": run.id, "outcome": run.outcome, "message": run.message, "links": run.links,
            "started_at": iso_local(run.started_at), "finished_at": iso_local(run.finished_at)
            if run.finished_at else None, "data_until": iso_local(run.data_until) if run.data_until else None,
            "backtest": run.backtest, "jam_events": run.jam_events}


def network_view(session: Session, warehouse: Warehouse, *, province_code: str) -> dict[str, Any]:
    """What the `/giao-thong` map draws: each link with its forecasts per horizon."""
    from dieuhanh.indicators.service import unit_names

    names = unit_names(province_code)
    by_link: dict[str, dict[str, Any]] = {}
    for f in forecasts(session):
        by_link.setdefault(f.link_code, {})[str(f.horizon_min)] = forecast_out(f)
    links = []
    for link in load_links(warehouse, session):
        links.append({"code": link.code, "name": link.name, "road": link.road, "main": link.main,
                      "commune": names.get(link.commune_code or "", ""), "free_flow": link.free_flow,
                      "coords": link.coords, "forecasts": by_link.get(link.code, {})})
    notices = session.scalars(select(TrafficJamNotice).order_by(TrafficJamNotice.created_at.desc()).limit(20))
    return {"links": links, "run": run_out(latest_run(session)), "congestion": CONGESTION_LABELS,
            "models": MODEL_LABELS, "horizons": list(HORIZONS),
            "jams": [{"link": n.link_code, "expected_at": iso_local(n.expected_at), "speed": n.speed,
                      "horizon": n.horizon_min, "message": n.message, "event": n.event_ref,
                      "created_at": iso_local(n.created_at)} for n in notices]}


def link_view(session: Session, warehouse: Warehouse, code: str) -> dict[str, Any]:
    link = link_or_404(warehouse, code)
    return {"code": link.code, "name": link.name, "road": link.road, "free_flow": link.free_flow,
            "main": link.main, "recent": recent(warehouse, code),
            "forecasts": [forecast_out(f) for f in forecasts(session, link=code)],
            "profile": profile(warehouse, code), "models": MODEL_LABELS, "weekdays": list(WEEKDAYS)}
