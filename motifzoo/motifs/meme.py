"""MEME minimal motif format (version 4): writer and lenient reader.

The writer emits what the MEME suite, Biopython (``Bio.motifs.parse(f, "minimal")``)
and memelite (``memelite.io.read_meme``) all read: ``ALPHABET= ACGT``, a background
line, the real ``nsites`` and a blank line after every motif.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .files import atomic_write_text
from .motif import UNIFORM, Motif


class MemeFormatError(ValueError):
    """A MEME file could not be parsed; the message names the file and line."""


def _round_rows(pwm: np.ndarray, decimals: int = 6) -> np.ndarray:
    """Normalise rows and round them so that the printed values still sum to exactly 1."""
    p = np.clip(np.asarray(pwm, dtype=np.float64), 0, None)
    s = p.sum(1, keepdims=True)
    p = np.where(s > 0, p / np.where(s > 0, s, 1), 0.25)
    r = np.round(p, decimals)
    fix = np.argmax(r, axis=1)
    r[np.arange(len(r)), fix] += np.round(1.0 - r.sum(1), decimals)
    return r


def format_meme(motifs, background=UNIFORM) -> str:
    """The MEME v4 text for ``motifs`` (a list of :class:`Motif`)."""
    bg = _round_rows(np.asarray(background, dtype=np.float64)[None, :], 4)[0]
    lines = [
        "MEME version 4",
        "",
        "ALPHABET= ACGT",
        "",
        "strands: + -",
        "",
        "Background letter frequencies",
        " ".join(f"{a} {f:.4f}" for a, f in zip("ACGT", bg)),
        "",
    ]
    seen = set()
    for m in motifs:
        if not m.name or any(c.isspace() for c in m.name):
            raise ValueError(f"motif name {m.name!r} must be non-empty and contain no whitespace")
        if m.name in seen:
            raise ValueError(f"duplicate motif name {m.name!r}")
        seen.add(m.name)
        nsites = int(round(m.nsites))
        if nsites < 1:
            raise ValueError(f"motif {m.name!r}: nsites must be a positive integer, got {m.nsites}")
        header = f"MOTIF {m.name}" + (f" {m.altname}" if m.altname else "")
        altname_ok = m.altname is None or not any(c.isspace() for c in m.altname)
        if not altname_ok:
            raise ValueError(f"motif {m.name!r}: altname {m.altname!r} must contain no whitespace")
        lines.append(header)
        lines.append(f"letter-probability matrix: alength= 4 w= {m.width} nsites= {nsites} E= {m.evalue:.3g}")
        for row in _round_rows(m.pwm):
            lines.append(" ".join(f"{v:.6f}" for v in row))
        lines.append("")
    return "\n".join(lines) + "\n"


def write_meme(motifs, path, background=UNIFORM) -> None:
    """Write ``motifs`` (list of :class:`Motif`) to ``path`` in MEME minimal format v4, atomically."""
    atomic_write_text(path, format_meme(motifs, background))


_KV = re.compile(r"(\w+)\s*=\s*(\S+)")


def read_meme(path) -> list[Motif]:
    """Read a MEME minimal-format file (plain or ``.gz``).

    Lenient about whitespace, optional keys and a missing final blank line.
    Raises :class:`MemeFormatError` naming the file and line for a row whose
    values do not sum to 1 (tolerance 0.1, as MEME), a wrong number of columns,
    non-numeric values or a row count different from ``w=``.

    Returns
    -------
    list of Motif
        In file order; ``pwm`` rows renormalised to sum to 1.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"MEME file not found: {path}")
    if path.is_dir():
        raise MemeFormatError(f"{path} is a directory, expected a MEME file")
    import gzip
    import zlib
    try:
        with (gzip.open(path, "rt") if path.suffix == ".gz" else open(path)) as fh:
            lines = fh.read().splitlines()
    except UnicodeDecodeError:
        raise MemeFormatError(f"{path}: not a text (UTF-8) MEME file") from None
    except (gzip.BadGzipFile, EOFError, zlib.error) as err:
        raise MemeFormatError(f"{path}: corrupt or truncated gzip file ({err})") from None

    motifs: list[Motif] = []
    alength = 4
    i, n = 0, len(lines)
    if not any(l.strip().startswith("MOTIF") for l in lines):
        raise MemeFormatError(f"{path}: no 'MOTIF' line found; is this a MEME motif file?")
    while i < n:
        line = lines[i].strip()
        if line.startswith("ALPHABET"):
            alpha = line.split("=", 1)[-1].strip()
            if alpha and alpha.split()[0] not in ("ACGT", "DNA"):
                raise MemeFormatError(f"{path} line {i + 1}: alphabet {alpha!r} is not ACGT")
        if not line.startswith("MOTIF"):
            i += 1
            continue
        parts = line.split()
        if len(parts) < 2:
            raise MemeFormatError(f"{path} line {i + 1}: 'MOTIF' needs an identifier")
        name = parts[1]
        altname = parts[2] if len(parts) > 2 else None
        motif_line = i + 1
        i += 1
        while i < n and not lines[i].strip().startswith("letter-probability"):
            if lines[i].strip().startswith("MOTIF"):
                raise MemeFormatError(f"{path} line {motif_line}: motif {name!r} has no 'letter-probability matrix' line")
            i += 1
        if i >= n:
            raise MemeFormatError(f"{path} line {motif_line}: motif {name!r} has no 'letter-probability matrix' line")
        keys = dict(_KV.findall(lines[i]))

        def number(key, default, line=i + 1):
            try:
                value = float(keys.get(key, default))
            except ValueError:
                value = float("nan")
            if not np.isfinite(value) or value < 0:
                raise MemeFormatError(f"{path} line {line}: {key}= {keys[key]!r} is not a non-negative number")
            return value
        width = int(number("w", 0)) if "w" in keys else None
        alen = int(number("alength", alength))
        if alen != 4:
            raise MemeFormatError(f"{path} line {i + 1}: alength={alen}; only DNA (alength= 4) is supported")
        nsites = int(round(number("nsites", 20)))
        evalue = number("E", 0)
        i += 1
        rows = []
        while i < n:
            text = lines[i].strip()
            if not text:
                if width is None and rows:
                    break
                i += 1
                continue
            if text.startswith("MOTIF") or text.startswith("URL") or (width is not None and len(rows) == width):
                break
            vals = text.split()
            try:
                row = [float(v) for v in vals]
            except ValueError:
                raise MemeFormatError(f"{path} line {i + 1}: expected {alen} numbers in motif {name!r}, got {text!r}") from None
            if len(row) != alen:
                raise MemeFormatError(f"{path} line {i + 1}: motif {name!r} row has {len(row)} columns, expected {alen}")
            if not np.isfinite(row).all() or abs(sum(row) - 1.0) > 0.1 or min(row) < 0:
                raise MemeFormatError(
                    f"{path} line {i + 1}: motif {name!r} row sums to {sum(row):.4f}; "
                    "letter probabilities must be non-negative and sum to 1")
            rows.append(row)
            i += 1
        if width is not None and len(rows) != width:
            raise MemeFormatError(f"{path} line {motif_line}: motif {name!r} declares w= {width} but has {len(rows)} rows")
        if not rows:
            raise MemeFormatError(f"{path} line {motif_line}: motif {name!r} has no rows")
        pwm = np.asarray(rows)
        pwm = pwm / pwm.sum(1, keepdims=True)
        motifs.append(Motif(name, pwm, max(nsites, 1), altname, evalue))
    return motifs
