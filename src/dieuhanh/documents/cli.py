"""`dieuhanh documents ...` commands (imports inside the commands keep the CLI quick to start)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Văn bản đến: đăng ký, trích xuất, phân công, theo dõi hạn", no_args_is_help=True)


@app.command("train")
def train() -> None:
    """Học lại gợi ý phân công từ mọi văn bản đã được lãnh đạo phân công."""
    from rich.console import Console

    from dieuhanh.cli import _errors, _open_stores, _settings
    from dieuhanh.core.security import SYSTEM
    from dieuhanh.documents import service

    console = Console()
    with _errors():
        db, _ = _open_stores(_settings())
        with db.session() as session:
            model = service.train(session, principal=SYSTEM)
            examples, seconds, classes = model.examples, model.seconds, len(model.classes)
    console.print(f"[green]✓[/] Đã học gợi ý phân công từ {examples} văn bản ({classes} cơ quan chủ trì) "
                  f"trong {seconds:.2f} giây.")


@app.command("evaluate")
def evaluate(file: Annotated[Path, typer.Argument(help="Tệp JSONL: mỗi dòng một văn bản có nhãn")]) -> None:
    """Đánh giá trên tệp có nhãn: accuracy@1, accuracy@3, macro-F1 của gợi ý cơ quan chủ trì, và độ chính xác
    trích xuất từng trường với các dòng có «expected».

    Mỗi dòng: {"text": "...", "subject"?: "...", "organ_name"?: "...", "doc_type"?: "...", "arrival_date"?:
    "yyyy-mm-dd", "lead": "SYT", "cooperating"?: ["STC"], "expected"?: {"code_number": "...", ...}}.
    """
    from rich.console import Console

    from dieuhanh.cli import _errors, _open_stores, _settings, fail
    from dieuhanh.documents import evaluation

    console = Console()
    if not file.is_file():
        fail(f"Không có tệp {file}.")
    settings = _settings()
    with _errors():
        rows = evaluation.read_jsonl(file)
        db, _ = _open_stores(settings)
        with db.session() as session:
            report = evaluation.evaluate_rows(session, rows, settings=settings)
    for line in evaluation.format_report(report):
        console.print(line, highlight=False)
