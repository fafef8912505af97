"""Training and inference speed of motifzoo's ExplaiNN vs the reference implementation (PyPI ``explainn`` 0.1.5).

Both models get identical hyper-parameters, identical initial weights (ours is converted from the
reference with ``ExplaiNN.from_reference``) and identical data. A training step is forward +
binary cross-entropy + backward + Adam; inference is a forward pass in eval mode without autograd.
Each measurement runs in its own subprocess, and peak memory is read two ways:

    peak heap  = the largest number of bytes the C heap holds (glibc ``mallinfo2``: in-use arena
                 chunks + mmapped blocks, i.e. the live tensors) after any aten operation of one
                 training step or forward pass (sampled by a ``TorchDispatchMode``), minus the bytes
                 held just before it: the step's working memory (saved activations, gradients,
                 temporaries). Scratch memory freed inside a single operation is not seen.
    peak RSS   = peak resident set size (``ru_maxrss``) during the measured steps minus the resident
                 set size after one step on 2 sequences, which pays the one-time costs both
                 implementations share (thread pools, kernel caches, Adam state, ~30 MB); allocator
                 slack is included.

Runs alternate reference / ours ``--repeats`` times so that a change in load on a shared
machine hits both; the table reports the median over repeats of each run's median step time,
the best (shortest) single step over all repeats, the least disturbed by other jobs, and CPU
time per step (process CPU seconds, all threads) beside the wall time.

    python benchmarks/explainn_speed.py                  # N=100, L=200, 10 targets, batch 128, 2 threads
    python benchmarks/explainn_speed.py --threads 1 --repeats 5
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _heap_in_use() -> int:
    """Bytes held by the C heap (glibc mallinfo2: in-use arena chunks + mmapped blocks)."""
    import ctypes

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                          "fsmblks", "uordblks", "fordblks", "keepcost")]

    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = MallInfo2
    info = libc.mallinfo2()
    return info.uordblks + info.hblkhd


def peak_heap_of(step) -> int:
    """Peak C-heap bytes in use after any aten operation of ``step()``, minus the bytes in use before it."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class PeakHeap(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.peak = _heap_in_use()

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            self.peak = max(self.peak, _heap_in_use())
            return out

    before = _heap_in_use()
    with PeakHeap() as mode:
        step()
    return mode.peak - before


def _build(args, impl: str):
    """The reference model and, for ``impl == 'ours'``, its conversion; same seed, same weights."""
    import torch
    from explainn.models.networks import ExplaiNN as Reference

    torch.manual_seed(args.seed)
    ref = Reference(args.units, args.length, args.targets, filter_size=19, num_fc=2, pool_size=7, pool_stride=7)
    if impl == "reference":
        return ref
    from motifzoo.models import ExplaiNN
    ours = ExplaiNN.from_reference(ref, input_length=args.length)
    del ref
    return ours


def _data(args, n: int):
    import torch
    g = torch.Generator().manual_seed(args.seed + 1)
    codes = torch.randint(0, 4, (n, args.length), generator=g)
    x = torch.nn.functional.one_hot(codes, 4).permute(0, 2, 1).float().contiguous()
    y = (torch.rand(n, args.targets, generator=g) < 0.3).float()
    return x, y


def worker(args) -> dict:
    """One measurement in this process: ms per step (wall and CPU) and peak memory."""
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(args.threads)
    model = _build(args, args.impl)
    x, y = _data(args, args.batch * 4)
    batches = [(x[i:i + args.batch], y[i:i + args.batch]) for i in range(0, len(x), args.batch)]
    batches.append((x[:2], y[:2]))  # the last batch, 2 sequences, pays one-time costs before the baseline
    if args.mode == "train":
        model.train()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)

        def step(i):
            xb, yb = batches[i % (len(batches) - 1)] if i >= 0 else batches[-1]
            opt.zero_grad(set_to_none=True)
            loss = F.binary_cross_entropy_with_logits(model(xb), yb)
            loss.backward()
            opt.step()
    else:
        model.eval()

        def step(i):
            with torch.no_grad():
                model(batches[i % (len(batches) - 1)][0] if i >= 0 else batches[-1][0])
    step(-1)
    base_rss = _rss_bytes()
    for i in range(args.warmup):
        step(i)
    wall, cpu = [], []
    for i in range(args.steps):
        t0, c0 = time.perf_counter(), time.process_time()
        step(i)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    heap = peak_heap_of(lambda: step(0))
    return {"impl": args.impl, "mode": args.mode, "ms_wall": 1000 * statistics.median(wall),
            "ms_best": 1000 * min(wall),
            "ms_cpu": 1000 * statistics.median(cpu), "rss_mb": (peak - base_rss) / 2 ** 20,
            "heap_mb": heap / 2 ** 20, "seqs_per_s": args.batch / statistics.median(wall)}


def run_worker(args, impl: str, mode: str, length: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", "--impl", impl, "--mode", mode, "--length", str(length),
           "--units", str(args.units), "--targets", str(args.targets), "--batch", str(args.batch),
           "--threads", str(args.threads), "--steps", str(args.steps), "--warmup", str(args.warmup),
           "--seed", str(args.seed)]
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"worker failed: {' '.join(cmd)}\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def check_equal_outputs(args) -> float:
    """Max |difference| of the eval-mode outputs of the two models on the benchmark data."""
    import torch
    ref, ours = _build(args, "reference").eval(), _build(args, "ours").eval()
    x, _ = _data(args, args.batch)
    with torch.no_grad():
        return float((ref(x) - ours(x)).abs().max())


def markdown_table(rows: list[dict]) -> str:
    """Rows of equal keys as a Markdown table."""
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def summarise(runs: list[dict]) -> dict:
    out = {k: statistics.median(r[k] for r in runs) for k in ("ms_wall", "ms_cpu", "heap_mb", "rss_mb", "seqs_per_s")}
    out["ms_best"] = min(r["ms_best"] for r in runs)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, default=100)
    ap.add_argument("--length", type=int, default=200, help="sequence length for training steps")
    ap.add_argument("--infer-length", type=int, default=1000, help="sequence length for inference")
    ap.add_argument("--targets", type=int, default=10)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--impl", choices=["reference", "ours"], help=argparse.SUPPRESS)
    ap.add_argument("--mode", choices=["train", "infer"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args)))
        return

    import platform
    print(f"# {time.strftime('%Y-%m-%d %H:%M')} | {platform.processor() or platform.machine()} | "
          f"{os.cpu_count()} CPUs visible, {args.threads} torch threads | load average {os.getloadavg()[0]:.2f}")
    print(f"# N={args.units} units, {args.targets} targets, batch {args.batch}; eval outputs max |diff| = "
          f"{check_equal_outputs(args):.2e}")
    rows = []
    for mode, length in (("train", args.length), ("infer", args.infer_length)):
        results = {"reference": [], "ours": []}
        for _ in range(args.repeats):
            for impl in ("reference", "ours"):
                results[impl].append(run_worker(args, impl, mode, length))
        ref, ours = summarise(results["reference"]), summarise(results["ours"])
        for impl, s in (("reference", ref), ("ours", ours)):
            rows.append({"mode": mode, "L": length, "impl": impl, "ms/step wall": round(s["ms_wall"], 1),
                         "best ms/step": round(s["ms_best"], 1),
                         "ms/step CPU": round(s["ms_cpu"], 1), "seqs/s": round(s["seqs_per_s"]),
                         "peak heap MB": round(s["heap_mb"], 1), "peak RSS MB": round(s["rss_mb"], 1)})
        rows.append({"mode": mode, "L": length, "impl": "ratio ours/ref",
                     "ms/step wall": f"{ref['ms_wall'] / ours['ms_wall']:.1f}x faster",
                     "best ms/step": f"{ref['ms_best'] / ours['ms_best']:.1f}x faster",
                     "ms/step CPU": f"{ref['ms_cpu'] / ours['ms_cpu']:.1f}x less",
                     "seqs/s": f"{ours['seqs_per_s'] / ref['seqs_per_s']:.1f}x",
                     "peak heap MB": f"{ours['heap_mb'] / max(ref['heap_mb'], 1e-9):.2f}x",
                     "peak RSS MB": f"{ours['rss_mb'] / max(ref['rss_mb'], 1e-9):.2f}x"})
        print(f"# {mode}: per-repeat wall ms reference {[round(r['ms_wall'], 1) for r in results['reference']]}, "
              f"ours {[round(r['ms_wall'], 1) for r in results['ours']]}", flush=True)
    print(markdown_table(rows))
    print(f"# finished, load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
