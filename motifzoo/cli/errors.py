"""The CLI's user-error type and output-path check."""
from __future__ import annotations

from pathlib import Path


class UserError(Exception):
    """An error caused by user input, shown without a traceback."""


def user_error_types() -> tuple[type[BaseException], ...]:
    """Exceptions that may mean bad user input or a failing environment: :func:`user_message` says
    which, and gives the one line shown without a traceback (``None``: a bug, re-raised)."""
    from ..data.encoding import SequenceError
    from ..data.tables import DataError
    from ..models.io import CheckpointError
    from ..motifs import MemeFormatError
    from ..training.errors import ConfigError
    return (UserError, DataError, SequenceError, MemeFormatError, CheckpointError, ConfigError,
            FloatingPointError, OSError)


def user_message(err: BaseException) -> str | None:
    """The one line shown for an error of :func:`user_error_types`, or ``None`` when it is not a
    user-facing error (an ``OSError`` that names no file and is not a full disk). Line breaks that
    came from the input (a quoted column name, a header) are shown as ``\\n``, so the message stays
    one line."""
    message = _message(err)
    if message is None:
        return None
    return message.strip().replace("\r", "\\r").replace("\n", "\\n")


def _message(err: BaseException) -> str | None:
    import errno
    if isinstance(err, OSError):
        if err.errno == errno.ENOSPC:
            from ..motifs.files import DiskFullError, disk_full_message
            if isinstance(err, DiskFullError):
                return err.strerror
            return disk_full_message(err.filename or "the output")
        if err.filename and err.strerror:
            return f"{err.strerror}: {err.filename}"
        if isinstance(err, (FileNotFoundError, FileExistsError)) or not err.errno:
            return str(err)  # raised by motifzoo with its own message
        return None
    return str(err)


def add_seq_len_argument(p) -> None:
    """``--seq-len``: pad or crop ``--data`` to the checkpoint's input length (see :func:`model_data`)."""
    p.add_argument("--seq-len", type=int, metavar="BP",
                   help="pad (with N, centered) or crop the --data sequences to BP bp first; use the checkpoint's "
                        "input length when they differ from it (default: the sequences as given)")


def model_data(args, model, exact: bool = True, compact: bool = False):
    """The one-hot ``--data`` of a command (``--max-sequences``, ``--seq-len``), or ``None`` without
    ``--data``; every sequence must have the checkpoint's ``input_length`` (``exact=False``: at least
    that, for commands that only scan the first layer), else the error names the file, the length
    found, the length needed and ``--seq-len``. Shared by every command that runs a checkpoint on
    sequences. ``compact``: an :class:`~motifzoo.data.encoding.EncodedSequences` (1 byte per base,
    one-hot per batch) for commands whose readouts only scan batches."""
    path = getattr(args, "data", None)
    if not path:
        return None
    from ..data.encoding import EncodedSequences, codes_to_one_hot
    from ..data.tables import read_codes
    checkpoint = getattr(args, "checkpoint", None)
    codes = read_codes(path, getattr(args, "max_sequences", None), length=model.input_length,
                       seq_len=getattr(args, "seq_len", None),
                       needed_by=f"the model in {checkpoint}" if checkpoint else "the model", fix="--seq-len",
                       exact=exact)
    return EncodedSequences(codes) if compact else codes_to_one_hot(codes)


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
