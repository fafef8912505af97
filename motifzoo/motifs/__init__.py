"""Motifs and their files: the :class:`Motif` type, MEME read/write, the shipped JASPAR database
and atomic file writing. The bottom layer: it imports no other motifzoo package."""
from .files import atomic_write_text
from .meme import MemeFormatError, format_meme, read_meme, write_meme
from .motif import UNIFORM, Motif, information_content, trim
from .jaspar import JASPAR_FILE, jaspar_path, load_jaspar

__all__ = ["atomic_write_text", "MemeFormatError", "format_meme", "read_meme", "write_meme", "UNIFORM", "Motif",
           "information_content", "trim", "JASPAR_FILE", "jaspar_path", "load_jaspar"]
