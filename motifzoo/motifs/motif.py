"""A motif as a position probability matrix, and small functions over such matrices."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

UNIFORM = np.full(4, 0.25)


@dataclass
class Motif:
    """A DNA motif.

    Attributes
    ----------
    name : str
        Identifier (the MEME ``MOTIF`` id).
    pwm : numpy.ndarray, shape (W, 4)
        Letter probabilities in ACGT order; every row sums to 1.
    nsites : int
        Number of sites the matrix was built from (Biopython turns probabilities
        into counts out of ``nsites``).
    altname : str, optional
        Second name (e.g. the best-matching known TF).
    evalue : float
        The MEME ``E=`` field.
    meta : dict
        Anything else (e.g. ``filter``, ``strand``, ``method``); not written to MEME.
    """

    name: str
    pwm: np.ndarray
    nsites: int = 20
    altname: str | None = None
    evalue: float = 0.0
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        self.pwm = np.asarray(self.pwm, dtype=np.float64)
        if self.pwm.ndim != 2 or self.pwm.shape[1] != 4:
            raise ValueError(f"motif {self.name!r}: pwm must have shape (W, 4), got {self.pwm.shape}")

    @property
    def width(self) -> int:
        return self.pwm.shape[0]

    def reverse_complement(self) -> "Motif":
        return Motif(self.name, self.pwm[::-1, ::-1].copy(), self.nsites, self.altname, self.evalue, dict(self.meta))


def information_content(pwm: np.ndarray, background: np.ndarray = UNIFORM) -> np.ndarray:
    """Per-position information content in bits, (W, 4) -> (W,)."""
    p = np.clip(np.asarray(pwm, dtype=np.float64), 1e-12, 1.0)
    return (p * np.log2(p / np.asarray(background)[None, :])).sum(1)


def trim(pwm: np.ndarray, min_ic: float = 0.2, background: np.ndarray = UNIFORM) -> tuple[int, int]:
    """Flank trimming: the ``[start, end)`` span left after removing end columns with IC < ``min_ic`` bits.

    Returns ``(0, 0)`` when no column reaches ``min_ic``.
    """
    ic = information_content(pwm, background)
    keep = np.flatnonzero(ic >= min_ic)
    if keep.size == 0:
        return 0, 0
    return int(keep[0]), int(keep[-1]) + 1
