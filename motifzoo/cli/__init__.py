"""The ``motifzoo`` command line: the top layer. It imports the library; nothing imports it."""
from .main import COMMANDS, LIGHTNING_COMMANDS, build_parser, main

__all__ = ["COMMANDS", "LIGHTNING_COMMANDS", "build_parser", "main"]
