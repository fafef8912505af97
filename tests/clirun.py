"""Run the `motifzoo` command line in-process, as the tests do."""
import contextlib
import io

from motifzoo.training.cli import main


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
