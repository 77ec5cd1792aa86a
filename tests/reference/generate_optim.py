#!/usr/bin/python3
"""PyTorch reference values for Spamp's optimizer parity tests (tests/Spamp.Tests/Optim/TorchOptimParityTests.cs).

Run with Debian's interpreter and its python3-torch (1.13):  /usr/bin/python3 tests/reference/generate_optim.py
It writes tests/reference/data/optim.json:

  { "optimizers": [ { "name", "optimizer": "sgd" | "adam" | "adamw", "kwargs": {...torch's argument names...},
                      "params0": [tensor, ...],                 initial float32 parameters
                      "grads":   [[tensor, ...] per step],      the gradient handed to step k
                      "params":  [[tensor, ...] per step] } ],  parameters after step k (float32)
    "clip_grad_norm": [ { "max_norm", "norm_type" (a number, or "inf"), "grads": [tensor, ...], "total_norm", "clipped": [tensor, ...] } ] }

A tensor is {"shape": [...], "data": [...]}; every number is a float32 written as the repr of the Python
float holding it, so it parses back to the same float32. CI never runs this.
"""

import json
import os

import torch

GEN = torch.Generator().manual_seed(20261123)
SHAPES = [(3,), (2, 3), (4,)]
STEPS = 5


def randn(shape):
    return torch.randn(shape, generator=GEN, dtype=torch.float32)


def tensor_json(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


CASES = [
    ("sgd_plain", "sgd", dict(lr=0.1)),
    ("sgd_momentum", "sgd", dict(lr=0.1, momentum=0.9)),
    ("sgd_momentum_dampening", "sgd", dict(lr=0.1, momentum=0.9, dampening=0.5)),
    ("sgd_nesterov", "sgd", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("sgd_weight_decay_momentum", "sgd", dict(lr=0.05, momentum=0.8, weight_decay=0.1)),
    ("sgd_maximize_nesterov_wd", "sgd", dict(lr=0.05, momentum=0.5, nesterov=True, weight_decay=0.01, maximize=True)),
    ("adam_default", "adam", dict(lr=1e-2)),
    ("adam_weight_decay", "adam", dict(lr=1e-2, weight_decay=0.1)),
    ("adam_amsgrad", "adam", dict(lr=1e-2, amsgrad=True, betas=(0.8, 0.9))),
    ("adam_amsgrad_weight_decay_maximize", "adam", dict(lr=1e-2, amsgrad=True, weight_decay=0.05, maximize=True)),
    ("adamw_default", "adamw", dict(lr=1e-2)),
    ("adamw_weight_decay", "adamw", dict(lr=1e-2, weight_decay=0.1, eps=1e-6)),
    ("adamw_amsgrad", "adamw", dict(lr=1e-2, weight_decay=0.1, amsgrad=True, betas=(0.85, 0.95))),
]

CLASSES = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}


def optimizer_case(name, kind, kwargs):
    params0 = [randn(s) for s in SHAPES]
    grads = [[randn(s) * (0.1 + k) for s in SHAPES] for k in range(STEPS)]
    params = [torch.nn.Parameter(p.clone()) for p in params0]
    opt = CLASSES[kind](params, foreach=False, **kwargs)
    after = []
    for k in range(STEPS):
        for p, g in zip(params, grads[k]):
            p.grad = g.clone()
        opt.step()
        after.append([tensor_json(p) for p in params])
    json_kwargs = {key: (list(v) if isinstance(v, tuple) else v) for key, v in kwargs.items()}
    return {"name": name, "optimizer": kind, "kwargs": json_kwargs,
            "params0": [tensor_json(p) for p in params0],
            "grads": [[tensor_json(g) for g in step] for step in grads],
            "params": after}


def clip_case(max_norm, norm_type, scale):
    grads = [randn(s) * scale for s in SHAPES]
    params = [torch.nn.Parameter(torch.zeros(s)) for s in SHAPES]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    return {"max_norm": max_norm, "norm_type": "inf" if norm_type == float("inf") else norm_type, "grads": [tensor_json(g) for g in grads],
            "total_norm": float(total), "clipped": [tensor_json(p.grad) for p in params]}


def main():
    data = {
        "optimizers": [optimizer_case(*c) for c in CASES],
        "clip_grad_norm": [clip_case(1.0, 2.0, 3.0), clip_case(10.0, 2.0, 0.5), clip_case(0.5, float("inf"), 2.0), clip_case(1.0, 1.0, 1.0)],
    }
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "optim.json")
    with open(out, "w") as f:
        json.dump(data, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {out}: {len(data['optimizers'])} optimizer cases, {len(data['clip_grad_norm'])} clip cases")


if __name__ == "__main__":
    main()
