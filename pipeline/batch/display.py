"""The batch's progress on the terminal: documents and segments with an ETA (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from .driver import BatchDisplay, DocumentOutcome


class RichDisplay(BatchDisplay):
    """Two bars on stderr: documents finished, and segments settled with the time left."""

    def __init__(self, console: Console):
        self.console = console
        self.bar = Progress("[progress.description]{task.description}", BarColumn(),
                            MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
                            console=console, transient=False)
        self.documents: TaskID | None = None
        self.segment_task: TaskID | None = None

    def start(self, documents: int, segments: int) -> None:
        self.documents = self.bar.add_task("documents", total=documents)
        self.segment_task = self.bar.add_task("segments", total=segments)
        self.bar.start()

    def document(self, doc_id: str) -> None:
        if self.documents is not None:
            self.bar.update(self.documents, description=f"documents ({doc_id})")

    def segments(self, count: int) -> None:
        if self.segment_task is not None:
            self.bar.advance(self.segment_task, count)

    def finished(self, outcome: DocumentOutcome) -> None:
        if self.documents is not None:
            self.bar.advance(self.documents, 1)
        if outcome.status == "failed":
            self.bar.console.print(f"[red]failed[/red] {outcome.doc_id}: {outcome.error}",
                                   highlight=False)

    def stop(self) -> None:
        self.bar.stop()
