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
