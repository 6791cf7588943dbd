"""The progress bar appears only for work that lasts, and counts bytes from many threads."""

from __future__ import annotations

import io
import threading
from pathlib import Path

from rich.console import Console

from tetherai.storage import ByteProgress, hash_tree


def test_quick_work_draws_nothing(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"x" * 1000)
    output = io.StringIO()
    with ByteProgress("hashing", total=1000, delay=3600, console=Console(file=output)) as progress:
        hash_tree(tmp_path, progress=progress)
    assert progress.completed == 1000 and not progress.shown and output.getvalue() == ""


def test_long_work_draws_a_bar_and_counts_every_thread() -> None:
    output = io.StringIO()
    console = Console(file=output, force_terminal=True, width=100)
    with ByteProgress("uploading model", total=8 * 1000, delay=0, console=console) as progress:

        def work() -> None:
            for _ in range(1000):
                progress(1)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert progress.shown and progress.completed == 8000
    assert "uploading model" in output.getvalue()
