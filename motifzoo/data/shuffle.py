"""Dinucleotide-preserving shuffles of encoded sequences (Altschul & Erickson 1985).

A sequence is a walk through the multigraph whose vertices are the letters and whose
edges are its dinucleotides. A uniformly random walk that uses every edge once, starts
with the first letter and ends with the last, keeps every dinucleotide count. Such a walk
is drawn as Kandel et al. (1996) describe: pick, for every letter but the last, which
edge leaves it last, so that these edges form a random tree pointing at the last letter;
order each letter's other edges at random; then follow the edges.

Everything is vectorised over a batch. The random numbers of each sequence come from a
counter-based hash of its own seed, so a sequence's shuffle does not depend on the batch it
is in, and no per-sequence generator object is needed.
"""
from __future__ import annotations

import numpy as np

N_SYMBOLS = 5  # A, C, G, T and N: N is shuffled like any other letter
_TREE_ROUNDS = 32  # vectorised rejection rounds before the exact per-sequence fallback
_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser, elementwise on uint64 (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _hashes(seeds: np.ndarray, stream: int, n: int) -> np.ndarray:
    """(B, n) uint64 hashes: draw ``j`` of stream ``stream`` of each row's seed."""
    with np.errstate(over="ignore"):
        base = _splitmix64(seeds.astype(np.uint64) ^ _splitmix64(np.uint64(stream)))
        return _splitmix64(base[:, None] + np.arange(n, dtype=np.uint64)[None, :])


def _uniforms(seeds: np.ndarray, stream: int, n: int) -> np.ndarray:
    """(B, n) uniforms in [0, 1) (53 bits)."""
    return (_hashes(seeds, stream, n) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def _uniform_pair(seeds: np.ndarray, stream: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Two independent (B, n) uniforms in [0, 1) of 32 bits each, from one hash per draw."""
    z = _hashes(seeds, stream, n)
    return ((z >> np.uint64(32)).astype(np.float64) * 2.0 ** -32,
            (z & np.uint64(0xFFFFFFFF)).astype(np.float64) * 2.0 ** -32)


def row_seeds(seed: int, keys) -> np.ndarray:
    """One 64-bit seed per row from a run seed and per-row keys (e.g. window numbers); shape (B,)."""
    keys = np.asarray(keys, dtype=np.int64).astype(np.uint64)
    with np.errstate(over="ignore"):
        return _splitmix64(_splitmix64(np.uint64(seed & 0xFFFFFFFFFFFFFFFF)) ^ keys)


def _is_tree(nxt: np.ndarray, roots: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """Whether following ``nxt`` from every letter with out-edges reaches its row's root; shape (B,).

    ``nxt`` (B, 5) holds each letter's chosen last successor; ``fixed`` (B, 5) marks the root and
    absent letters, which point to themselves.
    """
    pos = np.broadcast_to(np.arange(N_SYMBOLS), nxt.shape).copy()
    for _ in range(N_SYMBOLS):
        pos = np.take_along_axis(nxt, pos, 1)
    return ((pos == roots[:, None]) | fixed).all(1)


def _wilson_tree(counts: np.ndarray, root: int, rng: np.random.Generator) -> np.ndarray:
    """Exact fallback for one sequence: a random last-exit tree by Wilson's loop-erased walks; (5,) successors."""
    rows = counts.tolist()
    out_degree = [sum(r) for r in rows]
    nxt = list(range(N_SYMBOLS))
    in_tree = [False] * N_SYMBOLS
    in_tree[root] = True
    for v in range(N_SYMBOLS):
        if not out_degree[v]:
            continue
        u = v
        while not in_tree[u]:  # overwriting nxt[u] on a revisit erases the loop
            r = rng.random() * out_degree[u]
            w = 0
            while r >= rows[u][w]:
                r -= rows[u][w]
                w += 1
            nxt[u] = w
            u = w
        u = v
        while not in_tree[u]:
            in_tree[u] = True
            u = nxt[u]
    return np.array(nxt, dtype=np.int64)


def _last_exit_trees(counts: np.ndarray, roots: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """A random last-exit tree per sequence, weighted by edge multiplicities (as Kandel et al. require).

    Each letter's last successor is drawn independently in proportion to its dinucleotide
    counts and the draw is kept when the choices form a tree; conditioned on that, a tree's
    probability is proportional to the product of its edges' multiplicities, which is the
    required distribution. Rows still rejected after ``_TREE_ROUNDS`` rounds use Wilson's algorithm.

    Parameters
    ----------
    counts : numpy.ndarray, shape (B, 5, 5)
    roots : numpy.ndarray, shape (B,)
    seeds : numpy.ndarray, shape (B,), uint64

    Returns
    -------
    numpy.ndarray, shape (B, 5)
        Successor of each letter; the root and letters without out-edges point to themselves.
    """
    B = len(roots)
    out_degree = counts.sum(2)
    cum = np.cumsum(counts, 2)
    letters = np.arange(N_SYMBOLS)[None, :]
    fixed = (out_degree == 0) | (letters == roots[:, None])
    nxt = np.broadcast_to(letters, (B, N_SYMBOLS)).copy()
    todo = np.arange(B)
    for r in range(_TREE_ROUNDS):
        if not len(todo):
            break
        target = _uniforms(seeds[todo], 1000 + r, N_SYMBOLS) * out_degree[todo]
        pick = (cum[todo] <= target[:, :, None]).sum(2)
        pick = np.where(fixed[todo], letters, pick)
        ok = _is_tree(pick, roots[todo], fixed[todo])
        nxt[todo[ok]] = pick[ok]
        todo = todo[~ok]
    for b in todo:
        nxt[b] = _wilson_tree(counts[b], int(roots[b]), np.random.default_rng(int(seeds[b])))
    return nxt


def dinucleotide_shuffle(codes: np.ndarray, seeds) -> np.ndarray:
    """Shuffle each sequence keeping its dinucleotide counts and its first and last letter.

    Parameters
    ----------
    codes : numpy.ndarray, shape (B, L), uint8
        Sequences as codes 0..4 (see :mod:`motifzoo.data.encoding`).
    seeds : int or array of ints, shape (B,)
        A seed per sequence (its shuffle depends on nothing else), or one int for the batch
        (row ``i`` then uses ``row_seeds(seed, i)``).

    Returns
    -------
    numpy.ndarray, shape (B, L), uint8
    """
    codes = np.asarray(codes)
    if codes.ndim != 2:
        raise ValueError(f"expected (B, L) codes, got shape {codes.shape}")
    B, L = codes.shape
    seeds = row_seeds(seeds, np.arange(B)) if np.isscalar(seeds) else np.asarray(seeds).astype(np.uint64)
    if len(seeds) != B:
        raise ValueError(f"need one seed per sequence: {B} sequences, {len(seeds)} seeds")
    if L < 3 or B == 0:
        return codes.copy()
    s = codes.astype(np.int64)
    src, dst = s[:, :-1], s[:, 1:]
    pair = src * N_SYMBOLS + dst
    rows = np.arange(B)
    counts = np.bincount((rows[:, None] * N_SYMBOLS ** 2 + pair).ravel(),
                         minlength=B * N_SYMBOLS ** 2).reshape(B, N_SYMBOLS, N_SYMBOLS)
    nxt = _last_exit_trees(counts, s[:, -1], seeds)
    # each letter's last edge: one edge of the chosen kind, picked at random (by its own draw:
    # picking it by its sort key would bias the order of the remaining edges of that kind)
    keys, draws = _uniform_pair(seeds, 1, L - 1)
    last_pair = np.arange(N_SYMBOLS)[None, :] * N_SYMBOLS + nxt  # (B, 5)
    is_last_kind = (pair == np.take_along_axis(last_pair, src, 1)) & (src != s[:, -1:])  # the root has none
    picks = np.where(is_last_kind, draws, -1.0)
    for u in range(N_SYMBOLS):
        mine = np.where(src == u, picks, -1.0)
        j = mine.argmax(1)
        has = mine[rows, j] >= 0
        keys[rows[has], j[has]] += 2.0
    order = np.argsort(src * 4.0 + keys, axis=1)  # by letter, then key (keys < 3)
    sorted_dst = np.take_along_axis(dst, order, 1).ravel()
    # ptr[b * 5 + u]: flat position in sorted_dst of the next unused edge leaving u in row b
    out_degree = counts.sum(2)
    ptr = (np.concatenate([np.zeros((B, 1), np.int64), np.cumsum(out_degree, 1)[:, :-1]], 1)
           + rows[:, None] * (L - 1)).ravel()
    out = np.empty((B, L), dtype=np.uint8)
    out[:, 0] = codes[:, 0]
    at = s[:, 0] + rows * N_SYMBOLS
    for t in range(1, L):
        p = ptr[at]
        ptr[at] = p + 1
        nxt_letter = sorted_dst[p]
        out[:, t] = nxt_letter
        at = nxt_letter + rows * N_SYMBOLS
    return out


def dinucleotide_counts(codes: np.ndarray) -> np.ndarray:
    """(B, L) codes -> (B, 5, 5) counts of each dinucleotide."""
    codes = np.asarray(codes).astype(np.int64)
    B = len(codes)
    pair = codes[:, :-1] * N_SYMBOLS + codes[:, 1:] + np.arange(B)[:, None] * N_SYMBOLS ** 2
    return np.bincount(pair.ravel(), minlength=B * N_SYMBOLS ** 2).reshape(B, N_SYMBOLS, N_SYMBOLS)
