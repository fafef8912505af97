"""Progress bars for long work: one helper, switched on by an explicit ``progress`` argument.

Library functions that can take more than a few seconds take ``progress: bool = False`` and wrap
their loops in :func:`progress_bar`; the command line passes ``progress=True``. The bar
(tqdm) is drawn on stderr and only when stderr is a terminal, so logs, pipes and tests stay
clean. There is no global switch.
"""
from __future__ import annotations

import sys


def progress_bar(iterable=None, *, enabled: bool = False, total: int | None = None, desc: str | None = None,
                 unit: str = "it"):
    """``iterable`` wrapped in a tqdm bar when ``enabled`` and stderr is a terminal; else as given.

    Without ``iterable`` returns a bar to ``update()`` by hand (a no-op object when disabled),
    usable as a context manager either way.
    """
    if not enabled or not _is_tty():
        return _Quiet(iterable)
    from tqdm import tqdm
    return tqdm(iterable, total=total, desc=desc, unit=unit, leave=False, dynamic_ncols=True, file=sys.stderr)


def _is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class _Quiet:
    """The disabled bar: iterates ``iterable`` unchanged; ``update``/``set_postfix`` do nothing."""

    def __init__(self, iterable=None):
        self.iterable = iterable

    def __iter__(self):
        return iter(self.iterable if self.iterable is not None else ())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n: int = 1) -> None:
        pass

    def set_description(self, desc=None, refresh=True) -> None:
        pass

    def set_postfix(self, *args, **kwargs) -> None:
        pass

    def close(self) -> None:
        pass
