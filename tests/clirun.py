"""Run the `motifzoo` command line in-process, as the tests do."""
import contextlib
import io

import motifzoo
from motifzoo.cli import main


def run(args):
    """(exit code, stdout, stderr) of ``motifzoo ARGS``; argparse/jsonargparse usage errors exit, so
    SystemExit is turned into its code."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(args)
        except SystemExit as e:
            rc = e.code
    return rc, out.getvalue(), err.getvalue()


def fit(args) -> str:
    """Train with ``motifzoo fit ARGS`` through the Python API; the best checkpoint's path."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return str(motifzoo.fit(args=args).best_checkpoint)


def error_line(err: str) -> str:
    """The one line a failing command printed to stderr (Lightning's seed notice aside), asserted to be one."""
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith(("INFO", "Seed set"))]
    assert len(lines) == 1, err
    return lines[0]


@contextlib.contextmanager
def deadline(seconds: int = 30):
    """Fail with TimeoutError instead of hanging (SIGALRM; main thread only)."""
    import signal

    def expired(*_):
        raise TimeoutError(f"no answer within {seconds} s: a hang")
    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
