"""Data throughput, streaming memory, and end-to-end training speed on CPU.

Three measurements (each can be run alone):

* ``batching``: sequences/s of each input path -- table strings encoded then batched, genome windows
  (BED + FASTA, GC-matched or dinucleotide-shuffled negatives), memory-mapped ``.npz`` codes, HDF5
  one-hot -- against the training step (forward + backward + AdamW) of ``configs/expcnn.yaml``'s model
  that they feed. Target: data >= 20x the model step.
* ``stream``: a 1,000,000-sequence, 200 bp table is encoded with ``motifzoo encode`` and one training
  epoch is streamed from the memory-mapped ``.npz``, each in a fresh process whose peak memory is
  recorded (``--with-in-memory`` also measures reading the table whole, for contrast).
* ``models``: training sequences/s of every registered model (``motifzoo.list_models()``), through
  Lightning with the array DataModule (end to end), and the bare training step.

    OMP_NUM_THREADS=1 python benchmarks/data_throughput.py [batching stream models] [--out benchmarks/out/data]

Prints Markdown tables and writes ``results.json`` under ``--out``.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

L = 200          # sequence length (bp)
BATCH = 128
N_TARGETS = 4
ALPHABET = np.frombuffer(b"ACGT", dtype=np.uint8)


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def memory_now() -> dict:
    """Current and peak resident memory of this process (MiB): total, anonymous, file-backed."""
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[key] = int(value.split()[0]) / 1024
    return out


def random_strings(n: int, rng: np.random.Generator) -> list[str]:
    codes = rng.integers(0, 4, (n, L), dtype=np.uint8)
    return ALPHABET[codes].view(f"S{L}").ravel().astype(str).tolist()


def write_table(path: Path, n: int, seed: int = 0, chunk: int = 100_000) -> None:
    """A TSV.gz of ``n`` random 200 bp sequences, a split column and 4 binary targets, written in chunks."""
    rng = np.random.default_rng(seed)
    with gzip.open(path, "wt", compresslevel=1) as fh:
        fh.write("sequence\tsplit\t" + "\t".join(f"t{i}" for i in range(N_TARGETS)) + "\n")
        for a in range(0, n, chunk):
            m = min(chunk, n - a)
            seqs = random_strings(m, rng)
            split = np.array(["train", "valid", "test"])[np.searchsorted([0.8, 0.9], rng.random(m), side="right")]
            y = (rng.random((m, N_TARGETS)) < 0.3).astype(int).astype(str)
            fh.write("".join(f"{s}\t{sp}\t{chr(9).join(t)}\n" for s, sp, t in zip(seqs, split, y)))


def write_genome(d: Path, n_chroms: int = 10, size: int = 2_000_000, n_peaks: int = 20_000, seed: int = 0):
    """A random genome FASTA (GC varying in 5 kb blocks) and a narrowPeak of ``n_peaks`` regions."""
    rng = np.random.default_rng(seed)
    fa = d / "genome.fa"
    with open(fa, "w") as fh:
        for c in range(n_chroms):
            gc = np.repeat(rng.uniform(0.3, 0.65, size // 5000 + 1), 5000)[:size]
            strong = rng.random(size) < 0.5
            base = np.where(rng.random(size) < gc, np.where(strong, 2, 1), np.where(strong, 0, 3)).astype(np.uint8)
            seq = ALPHABET[base].tobytes().decode()
            fh.write(f">chr{c + 1}\n")
            fh.write("\n".join(seq[i:i + 60] for i in range(0, size, 60)) + "\n")
    bed = d / "peaks.narrowPeak"
    chrom = rng.integers(1, n_chroms + 1, n_peaks)
    start = rng.integers(1000, size - 2000, n_peaks)
    with open(bed, "w") as fh:
        for c, s in zip(chrom, start):
            fh.write(f"chr{c}\t{s}\t{s + 400}\tp\t0\t.\t1\t-1\t-1\t200\n")
    return fa, bed


def time_loader(loader, max_batches: int | None = None) -> tuple[float, int]:
    """Sequences/s of iterating ``loader`` (the first batch, which may start workers, is not timed)."""
    it = iter(loader)
    next(it)
    n, t0 = 0, time.perf_counter()
    for i, (x, _) in enumerate(it):
        n += len(x)
        if max_batches and i + 1 >= max_batches:
            break
    return n / (time.perf_counter() - t0), n


def model_step_rate(arch: str, arch_kwargs: dict | None = None, steps: int = 15, batch: int = BATCH) -> float:
    """Training sequences/s of a bare step: forward, BCE loss, backward, AdamW."""
    from motifzoo.models.registry import get_model
    torch.manual_seed(0)
    model = get_model(arch, n_targets=N_TARGETS, input_length=L, **(arch_kwargs or {})).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (batch, L)), 4).float().transpose(1, 2).contiguous()
    y = (torch.rand(batch, N_TARGETS) < 0.3).float()

    def step():
        opt.zero_grad()
        out = model(x)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(out, y)
        if hasattr(model, "regularization"):
            reg = model.regularization(0)
            loss = loss + reg if torch.is_tensor(reg) else loss
        loss.backward()
        opt.step()
    for _ in range(3):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * batch / (time.perf_counter() - t0)


def expcnn_kwargs() -> dict:
    import yaml
    return yaml.safe_load(Path("configs/expcnn.yaml").read_text())["model"]["arch_kwargs"]


# --------------------------------------------------------------------------------------------
# batching
# --------------------------------------------------------------------------------------------
def bench_batching(out: Path, n: int = 20_000) -> dict:
    import warnings

    from motifzoo.data.arrays import encode_table
    from motifzoo.data.dataset import SequenceDataset, batch_loader
    from motifzoo.data.encoding import codes_to_one_hot, encode
    from motifzoo.training.array_datamodule import ArrayDataModule
    from motifzoo.training.genome_datamodule import GenomeDataModule
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)
    rows = {}
    strings = random_strings(n, rng)
    t0 = time.perf_counter()
    codes = encode(strings)
    encode_rate = n / (time.perf_counter() - t0)
    y = (rng.random((n, N_TARGETS)) < 0.3).astype(np.float32)
    batch_rate, _ = time_loader(batch_loader(SequenceDataset(codes, y, reverse_complement=True, train=True), BATCH,
                                             shuffle=True))
    rows["table: encode strings"] = encode_rate
    rows["table: batch codes -> one-hot (shuffle, rc)"] = batch_rate
    rows["table: encode + batch"] = 1 / (1 / encode_rate + 1 / batch_rate)

    table = out / "bench20k.tsv.gz"
    if not table.exists():
        write_table(table, n)
    npz = out / "bench20k.npz"
    encode_table(table, npz)
    dm = ArrayDataModule(str(npz), batch_size=BATCH, reverse_complement=True, seed=0)
    dm.setup()
    rows["npz (memory-mapped codes)"], _ = time_loader(dm.train_dataloader())
    try:
        import h5py
        h5 = out / "bench20k.h5"
        with h5py.File(h5, "w") as f:
            f.create_dataset("x", data=codes_to_one_hot(codes).numpy().astype(np.uint8), chunks=(64, 4, L))
            f.create_dataset("y", data=y)
        dm = ArrayDataModule(str(h5), batch_size=BATCH, reverse_complement=True, seed=0)
        dm.setup()
        rows["HDF5 (uint8 one-hot, chunked)"], _ = time_loader(dm.train_dataloader())
    except ImportError:
        pass

    gdir = out / "genome"
    gdir.mkdir(exist_ok=True)
    if not (gdir / "genome.fa").exists():
        write_genome(gdir)
    for negatives in ("gc", "shuffle"):
        t0 = time.perf_counter()
        dm = GenomeDataModule(str(gdir / "genome.fa"), str(gdir / "peaks.narrowPeak"), seq_len=L, valid_chroms=["chr9"],
                              test_chroms=["chr10"], negatives=negatives, jitter=20, reverse_complement=True,
                              batch_size=BATCH, seed=0)
        dm.setup()
        setup_s = time.perf_counter() - t0
        rate, _ = time_loader(dm.train_dataloader())
        rows[f"genome: BED + FASTA, {negatives} negatives (setup {setup_s:.1f} s for "
             f"{sum(len(w) for w in dm.windows.values()):,} windows)"] = rate

    model_rate = model_step_rate("expcnn_shallow", expcnn_kwargs())
    return {"model_step": {"arch": "expcnn_shallow (configs/expcnn.yaml)", "batch": BATCH, "seq_per_s": model_rate},
            "data": {k: {"seq_per_s": v, "x_model_step": v / model_rate} for k, v in rows.items()}}


# --------------------------------------------------------------------------------------------
# streaming a million sequences
# --------------------------------------------------------------------------------------------
def _child(kind: str, path: str) -> None:
    """Run in a fresh process; print one JSON line with its timings and memory."""
    t0 = time.perf_counter()
    result = {}
    if kind == "encode":
        from motifzoo.data.arrays import encode_table
        info = encode_table(path, Path(path).with_suffix("").with_suffix(".npz"))
        result["n"] = info["n"]
    elif kind == "epoch":
        from motifzoo.training.array_datamodule import ArrayDataModule
        import lightning  # noqa: F401  (training imports it anyway: count it in the baseline)
        base = memory_now()
        result.update(baseline_rss_mib=base["VmRSS"], baseline_rss_anon_mib=base["RssAnon"],
                      baseline_rss_file_mib=base["RssFile"])
        dm = ArrayDataModule(path, batch_size=512, reverse_complement=True, seed=0)
        dm.setup()
        peak_anon = peak_file = 0.0
        n = 0
        for i, (x, _) in enumerate(dm.train_dataloader()):
            n += len(x)
            if i % 50 == 0:
                m = memory_now()
                peak_anon, peak_file = max(peak_anon, m["RssAnon"]), max(peak_file, m["RssFile"])
        result.update(n=n, seq_per_s=n / (time.perf_counter() - t0), peak_rss_anon_mib=peak_anon,
                      peak_rss_file_mib=peak_file)
    elif kind == "in_memory":
        from motifzoo.training.datamodule import SequenceDataModule
        dm = SequenceDataModule(path, batch_size=512)
        dm.setup()
        result["n"] = len(dm.table)
    result["seconds"] = time.perf_counter() - t0
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def _in_child(kind: str, path: Path) -> dict:
    res = subprocess.run([sys.executable, __file__, "_child", kind, str(path)], capture_output=True, text=True,
                         env=dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1")))
    if res.returncode != 0:
        raise SystemExit(res.stderr[-3000:])
    return json.loads(res.stdout.strip().splitlines()[-1])


def bench_stream(out: Path, n: int = 1_000_000, with_in_memory: bool = False) -> dict:
    table = out / "million.tsv.gz"
    result = {"n": n, "length": L, "dense_float32_one_hot_mib": n * 4 * L * 4 / 2**20,
              "dense_uint8_one_hot_mib": n * 4 * L / 2**20, "codes_mib": n * L / 2**20}
    if not table.exists():
        t0 = time.perf_counter()
        write_table(table, n)
        result["write_table_s"] = time.perf_counter() - t0
    result["table_gz_mib"] = table.stat().st_size / 2**20
    result["encode"] = _in_child("encode", table)
    npz = out / "million.npz"
    result["npz_mib"] = npz.stat().st_size / 2**20
    result["epoch"] = _in_child("epoch", npz)
    if with_in_memory:
        result["in_memory_table"] = _in_child("in_memory", table)
    return result


# --------------------------------------------------------------------------------------------
# every model, end to end
# --------------------------------------------------------------------------------------------
def bench_models(out: Path, n_batches: int = 25) -> dict:
    import contextlib
    import io
    import logging
    import warnings

    import lightning as pl

    import motifzoo
    from motifzoo.training.array_datamodule import ArrayDataModule
    from motifzoo.training.module import MotifZooModule
    warnings.simplefilter("ignore")
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    npz = out / "bench20k.npz"
    if not npz.exists():
        from motifzoo.data.arrays import encode_table
        write_table(out / "bench20k.tsv.gz", 20_000)
        encode_table(out / "bench20k.tsv.gz", npz)

    class Clock(pl.Callback):
        def __init__(self):
            self.times = []

        def on_train_batch_end(self, trainer, *args):
            self.times.append(time.perf_counter())

    results = {}
    for name in motifzoo.list_models():
        dm = ArrayDataModule(str(npz), batch_size=BATCH, reverse_complement=True, seed=0)
        dm.setup()
        kwargs = expcnn_kwargs() if name == "expcnn_shallow" else {}
        try:
            module = MotifZooModule(arch=name, arch_kwargs=kwargs, n_targets=dm.n_targets, input_length=dm.input_length,
                                    task=dm.task, target_names=dm.target_names, scheduler="none")
        except Exception as err:  # a model still being written by someone else should not stop the others
            results[name] = {"error": str(err)[:200]}
            continue
        clock = Clock()
        trainer = pl.Trainer(max_epochs=1, limit_train_batches=n_batches, limit_val_batches=0, logger=False,
                             enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                             callbacks=[clock], num_sanity_val_steps=0)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            trainer.fit(module, dm)
        t = np.array(clock.times)
        end_to_end = (len(t) - 5) * BATCH / (t[-1] - t[4])  # after 5 warm-up batches
        results[name] = {"fit_seq_per_s": end_to_end, "step_seq_per_s": model_step_rate(name, kwargs),
                         "params": sum(p.numel() for p in module.model.parameters())}
    return results


# --------------------------------------------------------------------------------------------
def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    return {"date": time.strftime("%Y-%m-%d"), "cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
            "load_average_1min_at_start": os.getloadavg()[0]}  # the machine is shared: context for the timings


def print_markdown(results: dict) -> None:
    if "batching" in results:
        b = results["batching"]
        print(f"\nmodel step ({b['model_step']['arch']}, batch {BATCH}, {L} bp): "
              f"{b['model_step']['seq_per_s']:,.0f} seq/s\n")
        print("| input path | sequences/s | × model step |\n| --- | --- | --- |")
        for k, v in b["data"].items():
            print(f"| {k} | {v['seq_per_s']:,.0f} | {v['x_model_step']:.0f}× |")
    if "stream" in results:
        s = results["stream"]
        print(f"\n1M × {L} bp: dense float32 one-hot {s['dense_float32_one_hot_mib']:,.0f} MiB, uint8 one-hot "
              f"{s['dense_uint8_one_hot_mib']:,.0f} MiB, codes {s['codes_mib']:,.0f} MiB; table.gz "
              f"{s['table_gz_mib']:,.0f} MiB, npz {s['npz_mib']:,.0f} MiB")
        print("| step | seconds | peak RSS (MiB) | notes |\n| --- | --- | --- | --- |")
        e = s["encode"]
        print(f"| motifzoo encode (100k-row chunks) | {e['seconds']:.0f} | {e['peak_rss_mib']:,.0f} | |")
        p = s["epoch"]
        print(f"| one training epoch ({p['n']:,} seq, batch 512, rc) | {p['seconds']:.0f} | {p['peak_rss_mib']:,.0f} | "
              f"after imports (torch, lightning): {p['baseline_rss_mib']:,.0f} (anonymous {p['baseline_rss_anon_mib']:,.0f}, "
              f"file-backed {p['baseline_rss_file_mib']:,.0f}); while streaming: anonymous ≤ {p['peak_rss_anon_mib']:,.0f}, "
              f"file-backed (libraries + mapped pages) ≤ {p['peak_rss_file_mib']:,.0f}; {p['seq_per_s']:,.0f} seq/s |")
        if "in_memory_table" in s:
            m = s["in_memory_table"]
            print(f"| contrast: SequenceDataModule reads the table whole | {m['seconds']:.0f} | {m['peak_rss_mib']:,.0f} | |")
    if "models" in results:
        print("\n| model | params | fit seq/s (Lightning, npz data) | bare step seq/s |\n| --- | --- | --- | --- |")
        for k, v in results["models"].items():
            if "error" in v:
                print(f"| {k} | - | error: {v['error']} | |")
            else:
                print(f"| {k} | {v['params']:,} | {v['fit_seq_per_s']:,.0f} | {v['step_seq_per_s']:,.0f} |")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        _child(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("parts", nargs="*", help="batching, stream and/or models (default: all three)")
    ap.add_argument("--out", default="benchmarks/out/data")
    ap.add_argument("--stream-n", type=int, default=1_000_000)
    ap.add_argument("--with-in-memory", action="store_true", help="also time reading the 1M table whole")
    args = ap.parse_args()
    args.parts = args.parts or ["batching", "stream", "models"]
    unknown = set(args.parts) - {"batching", "stream", "models"}
    if unknown:
        ap.error(f"unknown part(s) {', '.join(sorted(unknown))}; choose batching, stream, models")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = {"machine": machine()}
    if "batching" in args.parts:
        results["batching"] = bench_batching(out)
    if "stream" in args.parts:
        results["stream"] = bench_stream(out, args.stream_n, args.with_in_memory)
    if "models" in args.parts:
        results["models"] = bench_models(out)
    path = out / "results.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    previous.update(results)
    path.write_text(json.dumps(previous, indent=2))
    print(json.dumps(results["machine"]))
    print_markdown(results)


if __name__ == "__main__":
    main()
