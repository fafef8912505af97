"""The CLI's user-error type and output-path check."""
from __future__ import annotations

from pathlib import Path


class UserError(Exception):
    """An error caused by user input, shown without a traceback."""


def user_error_types() -> tuple[type[BaseException], ...]:
    """Exceptions that mean bad user input: shown as one line, without a traceback."""
    from ..data.encoding import SequenceError
    from ..data.tables import DataError
    from ..models.io import CheckpointError
    from ..motifs import MemeFormatError
    from ..training.errors import ConfigError
    return (UserError, DataError, SequenceError, MemeFormatError, CheckpointError, ConfigError,
            FileNotFoundError, FileExistsError, FloatingPointError)


def check_output(path, force: bool = False, what: str = "output file") -> Path:
    """An output path whose directory exists and that is not an existing file (unless ``force``)."""
    path = Path(path)
    if not path.parent.exists():
        raise UserError(f"cannot write {what} {path}: directory {path.parent} does not exist")
    if path.exists() and not force:
        raise UserError(f"{what} {path} already exists; pass --force to overwrite it")
    return path


# --------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------
