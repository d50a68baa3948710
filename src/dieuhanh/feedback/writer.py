"""Group commit for submitted reports: one writer thread per application writes queued reports in batches.

Open311 POSTs (without photos) do not open a database session of their own: the request handler validates the form,
the key and the rate limits on the event loop, puts the submission on this writer's queue and awaits its result.
The writer thread takes everything queued (up to ``MAX_BATCH``) and calls :func:`service.submit_many`, which writes
the whole batch in one transaction; each request then gets its own tracking code or its own error. Under load a
batch holds many reports, so the commit, the SQLite write lock and the catalogue look-ups are paid once per batch
instead of once per report; with one request in flight a batch is one report and nothing waits.

The thread starts on the first submission and ends after ``IDLE_SECONDS`` without work (the next submission starts
it again), so short-lived applications (tests) leave no thread behind for long.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from dataclasses import dataclass
from typing import Any

from dieuhanh.feedback import service

MAX_BATCH = 200
IDLE_SECONDS = 10.0


@dataclass
class _Pending:
    item: service.Submission
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[service.Submitted]


def _settle(future: asyncio.Future[service.Submitted], result: service.Submitted | Exception) -> None:
    if future.done():  # the client went away and the request was cancelled
        return
    if isinstance(result, Exception):
        future.set_exception(result)
    else:
        future.set_result(result)


class SubmitWriter:
    def __init__(self, session_factory: Any, settings: Any):
        self.session_factory = session_factory
        self.settings = settings
        self._queue: queue.SimpleQueue[_Pending] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._running = False

    async def submit(self, item: service.Submission) -> service.Submitted:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[service.Submitted] = loop.create_future()
        with self._lock:
            self._queue.put(_Pending(item, loop, future))
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name="feedback-writer", daemon=True).start()
        return await future

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._running = False
                        return
                continue
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                results: list[service.Submitted | Exception] = service.submit_many(
                    self.session_factory, [p.item for p in batch], settings=self.settings)
            except Exception as exc:  # noqa: BLE001 - never let the writer die; every caller gets the error
                results = [exc] * len(batch)
            for pending, result in zip(batch, results, strict=True):
                try:
                    pending.loop.call_soon_threadsafe(_settle, pending.future, result)
                except RuntimeError:  # that request's event loop is closed
                    continue


def writer_for(app_state: Any) -> SubmitWriter:
    """The application's writer (created on first use, kept on ``app.state``)."""
    writer = getattr(app_state, "feedback_writer", None)
    if writer is None:
        writer = app_state.feedback_writer = SubmitWriter(app_state.db.session_factory, app_state.settings)
    return writer  # type: ignore[no-any-return]
