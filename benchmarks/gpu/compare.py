#!/usr/bin/env python3
"""compare.py - Spamp against PyTorch on the same device, from the JSON lines both benchmarks print.

    python3 compare.py ours.jsonl torch.jsonl

Ratios follow the README's convention: matmul is Spamp GFLOP/s / PyTorch GFLOP/s (throughput, above 1
is faster); a training step is Spamp ms / PyTorch ms (time, below 1 is faster).
"""
import json, sys


def load(path):
    results = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            r = json.loads(line)
            if r.get("bench") == "matmul_f32":
                results[("matmul_f32", r["n"])] = r
            elif r.get("bench") == "train_step":
                results[("train_step", r["model"])] = r
    return results


ours, peer = load(sys.argv[1]), load(sys.argv[2])
print(f"{'workload':44s} {'spamp':>12s} {'pytorch':>12s} {'ratio':>8s}")
for key in sorted(set(ours) | set(peer), key=str):
    o, p = ours.get(key), peer.get(key)
    if key[0] == "matmul_f32":
        label, field = f"float32 matmul n={key[1]} (GFLOP/s)", "gflops"
    else:
        label, field = f"{key[1]} (ms/step)", "ms_med"
    ov = f"{o[field]:12.2f}" if o else f"{'missing':>12s}"
    pv = f"{p[field]:12.2f}" if p else f"{'missing':>12s}"
    ratio = f"{o[field] / p[field]:8.3f}" if o and p and p[field] else f"{'-':>8s}"
    print(f"{label:44s} {ov} {pv} {ratio}")
