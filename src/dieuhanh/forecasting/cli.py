"""`dieuhanh forecast ...` commands (imports inside the commands keep the CLI quick to start)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Dự báo: giao thông, chất thải rắn, khả năng đạt chỉ tiêu", no_args_is_help=True)


@app.command("traffic-eval")
def traffic_eval(
    speed: Annotated[Path, typer.Option("--speed", help="CSV tốc độ: dòng tiêu đề = mã cảm biến, mỗi dòng một bước")],
    adj: Annotated[Path | None, typer.Option("--adj", help="CSV ma trận kề (không tiêu đề)")] = None,
    train_fraction: Annotated[float, typer.Option("--train-fraction", min=0.05, max=0.95)] = 0.8,
    input_steps: Annotated[int, typer.Option("--input", min=1, max=288)] = 12,
    horizon: Annotated[int, typer.Option("--horizon", min=1, max=288)] = 3,
    steps_per_day: Annotated[int, typer.Option("--steps-per-day", min=1, max=100_000,
                                               help="Số bước mỗi ngày (288 với bước 5 phút)")] = 288,
    predictions_out: Annotated[Path | None, typer.Option("--predictions-out",
                                                         help="Ghi dự báo của mô hình tốt nhất: "
                                                              "window,step,sensor,value")] = None,
) -> None:
    """Backtest theo giao thức của bài báo T-GCN: học trên phần đầu, đánh giá trên các cửa sổ trượt của phần
    còn lại; in một đối tượng JSON {"models": {...}, "best": ...} gồm cả các mô hình cơ sở."""
    from dieuhanh.cli import _errors
    from dieuhanh.forecasting import benchmark

    with _errors():
        out = benchmark.run(speed, adj, train_fraction=train_fraction, input_steps=input_steps, horizon=horizon,
                            steps_per_day=steps_per_day, predictions_out=predictions_out)
    typer.echo(json.dumps(out, ensure_ascii=False))


@app.command("traffic-refresh")
def traffic_refresh() -> None:
    """Tính lại dự báo giao thông 15/30/60 phút cho mọi đoạn đường (kèm backtest và sự kiện ùn tắc)."""
    from dieuhanh.cli import _errors, _open_stores, _settings
    from dieuhanh.core.security import SYSTEM
    from dieuhanh.forecasting import traffic

    settings = _settings()
    db, wh = _open_stores(settings)
    with _errors(), db.session() as session:
        run = traffic.refresh(session, wh, principal=SYSTEM, force=True)
        typer.echo(json.dumps({"outcome": run.outcome, "links": run.links, "message": run.message,
                               "jam_events": run.jam_events}, ensure_ascii=False))
