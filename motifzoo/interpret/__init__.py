"""Reading models: PWMs from filters, MEME files, syntax tables, annotation and reports."""
from .meme import MemeFormatError, format_meme, read_meme, write_meme
from .motif import Motif, information_content, trim
from .pwm import activation_counts, counts_to_pwms, filters_to_pwms, model_motifs

__all__ = [
    "MemeFormatError", "format_meme", "read_meme", "write_meme", "Motif", "information_content", "trim",
    "activation_counts", "counts_to_pwms", "filters_to_pwms", "model_motifs",
]
