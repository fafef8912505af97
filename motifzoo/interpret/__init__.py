"""Reading models: PWMs from filters, MEME files, syntax tables, annotation and reports."""
from ..motifs import MemeFormatError, format_meme, read_meme, write_meme
from ..motifs import Motif, information_content, trim
from .pwm import activation_counts, counts_to_pwms, filters_to_pwms, model_motifs
from .annotate import annotate, cluster_motifs, label_motifs, load_database
from .compare import motif_recovery, tomtom

__all__ = [
    "MemeFormatError", "format_meme", "read_meme", "write_meme", "Motif", "information_content", "trim",
    "activation_counts", "counts_to_pwms", "filters_to_pwms", "model_motifs",
    "annotate", "cluster_motifs", "label_motifs", "load_database", "motif_recovery", "tomtom",
]
from .variants import variant_effects  # noqa: E402  (issue 18)

__all__ += ["variant_effects"]
