"""Instrumented training of the ARGMINN-like models (issue #15 diagnosis).

A plain-PyTorch loop that does what ``motifzoo fit`` does for these models (AdamW at the config's
lr / weight decay, BCE, ``model.regularization(epoch)`` added to the loss, ReduceLROnPlateau on
validation AUROC with the config's ``lr_patience``) and, after every epoch, records:

* validation AUROC and the learning rate;
* the L1 and overlap penalty weights in force (their schedules) and the penalty values;
* per filter: how strongly it fires on the validation sequences vs on their dinucleotide shuffles
  (``enrich`` = mean per-sequence max activation, real / shuffled; a filter is *live* when its max
  activation is > 1 % of the strongest filter's and *enriched* when live and enrich >= 1.2, as in
  the export hygiene of ``motifzoo motifs``);
* per filter: the planted motif it resembles (best Pearson correlation of the filter with a planted
  motif's log-odds matrix over offsets and both strands; ``track`` when >= 0.5);
* redundancy: filter pairs whose weight matrices correlate >= 0.6 at some offset/strand ("merged").

    OMP_NUM_THREADS=1 python benchmarks/argminn_diagnose.py --preset spacing --n 3000 --epochs 25 \
        --set activation=exp --tag exp --out benchmarks/out/argminn_diag

Writes one JSON line per epoch to ``OUT/<tag>_s<seed>.jsonl`` and prints a compact summary.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import yaml

from motifzoo.data.encoding import codes_to_one_hot, encode
from motifzoo.data.shuffle import dinucleotide_shuffle
from motifzoo.data.simulate import simulate
from motifzoo.models import get_model
from motifzoo.interpret.metrics import auroc as roc_auc_score
from motifzoo.models.argminn import schedule_weight, filter_sparsity_penalty, filter_overlap_penalty


def parse_value(v: str):
    try:
        return yaml.safe_load(v)
    except Exception:
        return v


def log_odds(pwm: np.ndarray) -> np.ndarray:
    return np.log2((pwm + 0.01) / 0.25).T  # (4, W)


def best_corr(a: np.ndarray, b: np.ndarray, min_overlap: int = 5) -> float:
    """Max Pearson correlation of two (4, W) matrices over offsets and both strands of b."""
    best = -1.0
    for bb in (b, b[::-1, ::-1]):
        wa, wb = a.shape[1], bb.shape[1]
        for off in range(-(wb - min_overlap), wa - min_overlap + 1):
            ia0, ib0 = max(0, off), max(0, -off)
            k = min(wa - ia0, wb - ib0)
            if k < min_overlap:
                continue
            x, y = a[:, ia0:ia0 + k].ravel(), bb[:, ib0:ib0 + k].ravel()
            if x.std() < 1e-8 or y.std() < 1e-8:
                continue
            best = max(best, float(np.corrcoef(x, y)[0, 1]))
    return best


@torch.no_grad()
def filter_stats(model, x_val, x_shuf, planted, batch=256):
    def maxact(x):
        out = []
        for i in range(0, len(x), batch):
            acts = model.stranded_activations(x[i:i + batch])  # (N, S, F, L')
            out.append(acts.amax(dim=(1, 3)))
        return torch.cat(out).numpy()
    real, shuf = maxact(x_val), maxact(x_shuf)
    peak = real.max(0)
    live = peak > 0.01 * peak.max()
    enrich = real.mean(0) / np.maximum(shuf.mean(0), 1e-9)
    w = model.motif_filters().numpy()  # (F, 4, W)
    w = w - w.mean(1, keepdims=True)
    tracks = []
    for f in range(len(w)):
        corrs = [best_corr(w[f], log_odds(m.pwm)) for m in planted]
        j = int(np.argmax(corrs))
        tracks.append((planted[j].altname if corrs[j] >= 0.5 else None, round(corrs[j], 2)))
    merged = [(a, b) for a in range(len(w)) for b in range(a + 1, len(w))
              if live[a] and live[b] and best_corr(w[a], w[b]) >= 0.6]
    return live, enrich, tracks, merged


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="configs/argminn.yaml")
    ap.add_argument("--preset", default="spacing")
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--length", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--set", nargs="*", default=[], help="arch_kwargs overrides key=value")
    ap.add_argument("--lr", type=float, default=None)
    ap.add_argument("--batch", type=int, default=None)
    ap.add_argument("--tag", default="base")
    ap.add_argument("--out", default="benchmarks/out/argminn_diag")
    args = ap.parse_args()
    torch.set_num_threads(1)  # one core per run on the shared machine (and OMP_NUM_THREADS=1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cfg = yaml.safe_load(Path(args.config).read_text())
    kwargs = dict(cfg["model"].get("arch_kwargs", {}))
    kwargs.update({k: parse_value(v) for k, v in (s.split("=", 1) for s in args.set)})
    lr = args.lr or cfg["model"].get("lr", 3e-3)
    wd = cfg["model"].get("weight_decay", 1e-6)
    patience = cfg["model"].get("lr_patience", 2)
    batch = args.batch or cfg["data"].get("batch_size", 128)

    over = {"n": args.n} | ({"length": args.length} if args.length else {})
    sim = simulate(args.preset, seed=args.seed, **over)
    frame = sim.to_frame(seed=args.seed)
    codes = encode(sim.sequences)
    x = codes_to_one_hot(codes).float()
    y = torch.as_tensor(sim.targets.to_numpy().copy(), dtype=torch.float32)
    tr = torch.as_tensor((frame["split"] == "train").to_numpy())
    va = torch.as_tensor((frame["split"] == "valid").to_numpy())
    x_val, y_val = x[va], y[va].numpy()
    seeds = np.arange(int(va.sum())) + 12345
    x_shuf = codes_to_one_hot(dinucleotide_shuffle(codes[va.numpy()], seeds)).float()

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    model = get_model(cfg["model"]["arch"], n_targets=y.shape[1], input_length=x.shape[-1], **kwargs)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=wd)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=patience)
    x_tr, y_tr = x[tr], y[tr]
    log_path = out / f"{args.tag}_s{args.seed}.jsonl"
    log_path.write_text("")
    print(f"# {args.tag} seed {args.seed} preset {args.preset} n {args.n} L {x.shape[-1]} kwargs {kwargs} lr {lr}",
          flush=True)
    best = 0.0
    for epoch in range(args.epochs):
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(len(x_tr))
        tot = reg_tot = 0.0
        for i in range(0, len(perm), batch):
            idx = perm[i:i + batch]
            out_ = model(x_tr[idx])
            loss = F.binary_cross_entropy_with_logits(out_, y_tr[idx])
            reg = model.regularization(epoch)
            total = loss + reg
            opt.zero_grad()
            total.backward()
            opt.step()
            tot += loss.item() * len(idx)
            reg_tot += (reg.item() if torch.is_tensor(reg) else reg) * len(idx)
        train_s = time.perf_counter() - t0
        model.eval()
        with torch.no_grad():
            pred = torch.cat([model(x_val[i:i + 256]) for i in range(0, len(x_val), 256)]).numpy()
        auroc = float(np.mean([roc_auc_score(y_val[:, t], pred[:, t]) for t in range(y_val.shape[1])]))
        sched.step(auroc)
        best = max(best, auroc)
        live, enrich, tracks, merged = filter_stats(model, x_val, x_shuf, sim.motifs)
        w = model.scanner.conv.weight.detach()
        with torch.no_grad():
            acts = model.stranded_activations(x_tr[:256])
            ov = float(filter_overlap_penalty(w, acts))
        rec = {"epoch": epoch, "val_auroc": round(auroc, 4), "lr": opt.param_groups[0]["lr"],
               "train_loss": round(tot / len(x_tr), 4), "reg": round(reg_tot / len(x_tr), 4),
               "w_l1": schedule_weight(epoch, *model.l1_schedule, model.ramp_start),
               "w_overlap": schedule_weight(epoch, *model.overlap_schedule, model.ramp_start),
               "sparsity": round(float(filter_sparsity_penalty(w)), 3), "overlap": round(ov, 4),
               "n_live": int(live.sum()), "n_enriched": int((live & (enrich >= 1.2)).sum()),
               "enrich": [round(float(e), 2) for e in enrich], "tracks": tracks, "merged": merged,
               "train_s": round(train_s, 2)}
        with log_path.open("a") as fh:
            fh.write(json.dumps(rec) + "\n")
        named = {}
        for (name, _), e, lv in zip(tracks, enrich, live):
            if name and lv and e >= 1.2:
                named[name] = named.get(name, 0) + 1
        print(f"ep {epoch:2d} auroc {auroc:.3f} wL1 {rec['w_l1']:.3g} wOv {rec['w_overlap']:.3g} "
              f"sp {rec['sparsity']:.2f} ov {ov:.3f} live {rec['n_live']} enr {rec['n_enriched']} "
              f"named {named} merged {len(merged)} {train_s:.1f}s", flush=True)
    print(f"# best val auroc {best:.3f}", flush=True)


if __name__ == "__main__":
    main()
