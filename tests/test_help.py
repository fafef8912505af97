"""Every subcommand's help follows the conventions of motifzoo.cli.common.

One walk over every subcommand: each option shows its default, or is a flag, or is marked
required; each subcommand ends with an example; ``-o/--output`` always names a file and
``-d/--out-dir`` a folder; every command that runs a model takes ``--device``.
"""
import argparse
import re

import pytest

from motifzoo.cli.common import HelpFormatter
from motifzoo.cli.main import COMMANDS, build_parser

PARSER = build_parser()
SUBPARSERS = next(a for a in PARSER._actions if isinstance(a, argparse._SubParsersAction)).choices
#: commands that load a checkpoint and run its model
RUN_A_MODEL = {"motifs", "report", "syntax", "instances", "units", "predict", "demo", "variants"}
FLAG_ACTIONS = (argparse._StoreTrueAction, argparse._StoreFalseAction, argparse._HelpAction, argparse._VersionAction)


def _rendered(parser, action) -> str:
    """The help text of ``action`` as ``--help`` prints it (defaults expanded)."""
    formatter = parser._get_formatter()
    return formatter._expand_help(action) if action.help else ""


def _undocumented(name: str) -> list[str]:
    parser = SUBPARSERS[name]
    missing = []
    for action in parser._actions:
        if not action.option_strings or action.help is argparse.SUPPRESS or isinstance(action, FLAG_ACTIONS):
            continue
        text = _rendered(parser, action)
        if "(required)" in text or (not action.required and re.search(r"\bdefault\b", text, re.IGNORECASE)):
            continue
        missing.append(f"{name} {'/'.join(action.option_strings)}: {text!r}")
    return missing


def test_every_option_of_every_subcommand_shows_its_default():
    """The one walk: every option of every subcommand is a flag, required, or shows its default."""
    assert set(SUBPARSERS) == set(COMMANDS)
    missing = [line for name in sorted(SUBPARSERS) for line in _undocumented(name)]
    assert not missing, "options without a documented default:\n" + "\n".join(missing)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_subcommand_help_has_an_example_and_consistent_outputs(name):
    parser = SUBPARSERS[name]
    assert parser.formatter_class is HelpFormatter
    text = parser.format_help()
    assert "\nexample" in text and f"motifzoo {name}" in text.split("\nexample")[1], text
    for action in parser._actions:
        if action.help is argparse.SUPPRESS:
            continue
        if "-o" in action.option_strings or "--output" in action.option_strings:
            assert action.option_strings == ["-o", "--output"] and action.metavar == "FILE", action
        if "-d" in action.option_strings:
            assert action.option_strings == ["-d", "--out-dir"] and action.metavar == "DIR", action
    options = {o for a in parser._actions for o in a.option_strings}
    assert ("--device" in options) == (name in RUN_A_MODEL)


def test_report_and_motifs_share_the_filter_selection_flags():
    flags = ["--min-sites", "--min-site-fraction", "--enrichment-p", "--min-enrichment", "--trim-ic", "--keep-all",
             "--min-ic", "--threshold", "--beta", "--method", "--batch-size"]
    for name in ("motifs", "report"):
        options = {o: a for a in SUBPARSERS[name]._actions for o in a.option_strings}
        assert all(f in options for f in flags), name
    motifs = {o: a.default for a in SUBPARSERS["motifs"]._actions for o in a.option_strings}
    report = {o: a.default for a in SUBPARSERS["report"]._actions for o in a.option_strings}
    assert {f: motifs[f] for f in flags} == {f: report[f] for f in flags}


def test_demo_lists_its_choices():
    text = SUBPARSERS["demo"].format_help()
    assert "multilabel" in text and "tiny" in text and "expcnn_shallow" in text and "explainn" in text


def test_instances_beta_is_not_documented_as_without_data():
    beta = next(a for a in SUBPARSERS["instances"]._actions if "--beta" in a.option_strings)
    assert not beta.help.startswith("without --data") and "unused when motifs are aligned on --data" in beta.help
