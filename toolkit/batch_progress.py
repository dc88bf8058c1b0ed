"""A rich progress bar for ``verisum batch``: done / failed / cached, tokens, cost and ETA.

`BatchProgress` is a `toolkit.batch.ProgressSink`; use it as a context manager around the run::

    with BatchProgress(console) as bar:
        summarize_many(inputs, out=out, progress=bar)
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from toolkit.batch import Snapshot


class BatchProgress:
    """Shows a `Snapshot` as one bar plus a line of counters (stderr by default)."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self._progress = Progress(
            TextColumn("[bold]batch[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counters]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self._task = self._progress.add_task("batch", total=None, counters="")

    def __enter__(self) -> BatchProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def __call__(self, snapshot: Snapshot) -> None:
        c, u = snapshot.counts, snapshot.usage
        counters = (
            f"[green]{c.succeeded} done[/green] [cyan]{c.resumed + c.cached} cached[/cyan] "
            f"[red]{c.failed} failed[/red] {snapshot.in_flight} in flight · "
            f"{u.total_tokens:,} tokens · ${u.cost_usd:.4f}"
        )
        self._progress.update(
            self._task,
            total=snapshot.total,
            completed=c.done + c.failed + c.abandoned,
            counters=counters,
        )

    def log(self, message: str) -> None:
        self.console.log(message, highlight=False)
