"""A spinner with the current step for `brygga backup` and `brygga restore` (terminal only)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from rich.console import Console


@contextlib.contextmanager
def step_reporter(console: Console, title: str) -> Iterator[Callable[[str], None]]:
    if not console.is_terminal:
        yield lambda _message: None
        return
    with console.status(f"{title} …") as status:

        def report(message: str) -> None:
            status.update(f"{title}: {message} …")

        yield report
