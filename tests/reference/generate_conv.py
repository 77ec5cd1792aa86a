#!/usr/bin/python3
"""PyTorch reference values for Spamp's convolution, pooling, batch-norm and ResNet tests
(tests/Spamp.Tests/Layers/Conv*Tests.cs, Pool*Tests.cs, BatchNormTests.cs, ResNetTests.cs).

Run with Debian's interpreter and its python3-torch (1.13):  /usr/bin/python3 tests/reference/generate_conv.py
It writes tests/reference/data/conv.json:

  "cases": a list of
    { "name", "op", "args": {...},
      "inputs":   [{"shape", "data"} | null],   float32 values from a seeded generator (null: an absent bias)
      "upstream": {"shape", "data"},              a fixed random gradient of the output
      "output":   {"shape", "data"},              torch's forward, in float32
      "grads":    [{"shape", "data"} | null] }    d sum(output * upstream) / d input (null for absent inputs)
    op is conv2d, conv1d, max_pool2d, avg_pool2d, adaptive_avg_pool2d or batch_norm. For batch_norm the
    inputs are [x, weight, bias] of a BatchNorm1d/2d module whose weight and bias were set to them;
    args.warmup holds inputs run through it in training mode first (no gradients), args.training the
    mode of the measured call, and "running_mean", "running_var", "num_batches_tracked" its buffers
    after the measured call.
  "resnet18": for each stem, the parameter count and the state-dict keys of torchvision's resnet18
    (rebuilt here from torch.nn, since torchvision is not installed; the ImageNet count is checked
    against torchvision's published 11,689,512).

Every number is a float32 written as the repr of the Python float holding it. CI never runs this.
"""

import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
GEN = torch.Generator().manual_seed(20261123)


def randn(*shape):
    return torch.randn(tuple(shape), generator=GEN, dtype=torch.float32)


def tensor_json(t):
    if t is None:
        return None
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def distinct(*shape):
    """Normal values with no ties (a random permutation of spread-out levels plus noise), for max pooling."""
    n = 1
    for s in shape:
        n *= s
    levels = torch.randperm(n, generator=GEN).to(torch.float32) / n * 4 - 2
    return (levels + 0.001 * randn(n)).reshape(shape)


def padding_arg(p):
    return p if isinstance(p, str) else list(p) if isinstance(p, tuple) else p


CASES = []


def run_case(name, op, args, inputs, fn):
    leaves = [None if t is None else t.clone().requires_grad_(True) for t in inputs]
    out = fn(*leaves)
    upstream = randn(*out.shape)
    present = [leaf for leaf in leaves if leaf is not None]
    grads = iter(torch.autograd.grad((out * upstream).sum(), present))
    CASES.append({
        "name": name,
        "op": op,
        "args": args,
        "inputs": [tensor_json(t) for t in inputs],
        "upstream": tensor_json(upstream),
        "output": tensor_json(out),
        "grads": [None if leaf is None else tensor_json(next(grads)) for leaf in leaves],
    })


def conv2d(name, n, cin, h, w, cout, kernel, stride=1, padding=0, dilation=1, groups=1, bias=True):
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    x = randn(n, cin, h, w)
    weight = randn(cout, cin // groups, kh, kw) * 0.5
    b = randn(cout) if bias else None
    args = {"stride": stride, "padding": padding_arg(padding), "dilation": dilation, "groups": groups}
    run_case(name, "conv2d", args, [x, weight, b],
             lambda x_, w_, b_: F.conv2d(x_, w_, b_, stride=stride, padding=padding, dilation=dilation, groups=groups))


def conv1d(name, n, cin, length, cout, k, stride=1, padding=0, dilation=1, groups=1, bias=True):
    x = randn(n, cin, length)
    weight = randn(cout, cin // groups, k) * 0.5
    b = randn(cout) if bias else None
    args = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    run_case(name, "conv1d", args, [x, weight, b],
             lambda x_, w_, b_: F.conv1d(x_, w_, b_, stride=stride, padding=padding, dilation=dilation, groups=groups))


# ---- conv2d ----
conv2d("conv2d_basic", 2, 3, 7, 7, 4, 3)
conv2d("conv2d_stride2_pad1", 2, 3, 8, 8, 5, 3, stride=2, padding=1)
conv2d("conv2d_same_odd", 2, 3, 6, 7, 4, 3, padding="same")
conv2d("conv2d_same_even_kernel", 1, 2, 6, 5, 3, (4, 2), padding="same")
conv2d("conv2d_same_dilated", 1, 2, 7, 6, 3, (2, 3), padding="same", dilation=2)
conv2d("conv2d_valid", 2, 3, 6, 6, 2, 3, padding="valid")
conv2d("conv2d_dilation2", 2, 3, 9, 9, 4, 3, padding=2, dilation=2)
conv2d("conv2d_groups2", 2, 4, 6, 6, 6, 3, padding=1, groups=2)
conv2d("conv2d_depthwise", 2, 4, 6, 6, 4, 3, padding=1, groups=4)
conv2d("conv2d_depthwise_multiplier", 2, 3, 5, 5, 6, 3, stride=2, padding=1, groups=3)
conv2d("conv2d_pointwise", 2, 5, 4, 4, 3, 1)
conv2d("conv2d_pointwise_stride2", 2, 4, 6, 6, 3, 1, stride=2, bias=False)
conv2d("conv2d_nonsquare", 2, 3, 7, 8, 4, (2, 5), stride=(2, 1), padding=(1, 2))
conv2d("conv2d_no_bias", 2, 3, 5, 5, 4, 3, padding=1, bias=False)
conv2d("conv2d_stem_like", 2, 3, 11, 11, 4, 7, stride=2, padding=3, bias=False)

# ---- conv1d ----
conv1d("conv1d_basic", 2, 3, 10, 4, 3)
conv1d("conv1d_stride2_pad1", 2, 3, 11, 5, 3, stride=2, padding=1)
conv1d("conv1d_same_dilated_groups", 2, 4, 9, 6, 4, padding="same", dilation=2, groups=2)

# ---- pooling ----
def max_pool(name, shape, kernel, stride=None, padding=0, dilation=1, ceil_mode=False):
    args = {"kernel": kernel, "stride": stride, "padding": padding, "dilation": dilation, "ceil_mode": ceil_mode}
    run_case(name, "max_pool2d", args, [distinct(*shape)],
             lambda x_: F.max_pool2d(x_, kernel, stride, padding, dilation, ceil_mode=ceil_mode))


def avg_pool(name, shape, kernel, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    args = {"kernel": kernel, "stride": stride, "padding": padding, "ceil_mode": ceil_mode,
            "count_include_pad": count_include_pad, "divisor_override": divisor_override}
    run_case(name, "avg_pool2d", args, [randn(*shape)],
             lambda x_: F.avg_pool2d(x_, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override))


def adaptive(name, shape, output_size):
    run_case(name, "adaptive_avg_pool2d", {"output_size": output_size}, [randn(*shape)],
             lambda x_: F.adaptive_avg_pool2d(x_, output_size))


max_pool("max_pool2d_k2", [2, 3, 6, 6], 2)
max_pool("max_pool2d_k3_s2_p1", [2, 3, 7, 7], 3, 2, 1)
max_pool("max_pool2d_ceil", [1, 2, 8, 8], 3, 2, 0, ceil_mode=True)
max_pool("max_pool2d_ceil_pad", [1, 2, 7, 6], 3, 2, 1, ceil_mode=True)
max_pool("max_pool2d_dilation2", [1, 2, 9, 9], 3, 1, 1, dilation=2)
max_pool("max_pool2d_nonsquare", [2, 2, 7, 8], [2, 3], [2, 1], [1, 1])
max_pool("max_pool2d_overlap", [1, 2, 5, 5], 3, 1)
avg_pool("avg_pool2d_k2", [2, 3, 6, 6], 2)
avg_pool("avg_pool2d_k3_s2_p1", [2, 3, 7, 7], 3, 2, 1)
avg_pool("avg_pool2d_exclude_pad", [2, 3, 7, 7], 3, 2, 1, count_include_pad=False)
avg_pool("avg_pool2d_ceil_pad", [1, 2, 7, 6], 3, 2, 1, ceil_mode=True)
avg_pool("avg_pool2d_ceil_exclude_pad", [1, 2, 8, 8], 3, 2, 1, ceil_mode=True, count_include_pad=False)
avg_pool("avg_pool2d_divisor_override", [1, 2, 6, 6], 3, 2, 1, divisor_override=5)
avg_pool("avg_pool2d_nonsquare", [2, 2, 7, 8], [2, 3], [1, 2], [1, 0])
adaptive("adaptive_avg_pool2d_1x1", [2, 3, 5, 7], [1, 1])
adaptive("adaptive_avg_pool2d_3x4", [2, 3, 7, 9], [3, 4])
adaptive("adaptive_avg_pool2d_upsample", [1, 2, 3, 5], [4, 7])


# ---- batch norm ----
def batch_norm(name, shape, training, warmup_steps, momentum=0.1, affine=True, track=True):
    c = shape[1]
    module = (nn.BatchNorm2d if len(shape) == 4 else nn.BatchNorm1d)(c, momentum=momentum, affine=affine, track_running_stats=track)
    weight = randn(c) * 0.5 + 1 if affine else None
    bias = randn(c) * 0.5 if affine else None
    if affine:
        with torch.no_grad():
            module.weight.copy_(weight)
            module.bias.copy_(bias)
    warmup = [randn(*shape) * 2 + 0.5 for _ in range(warmup_steps)]
    module.train()
    with torch.no_grad():
        for w in warmup:
            module(w)
    module.train(training)
    x = randn(*shape) * 1.5 - 0.3

    # The module's own parameters are the leaves, so gradients reach them as in training.
    leaves = [x.clone().requires_grad_(True)] + ([module.weight, module.bias] if affine else [None, None])
    out = module(leaves[0])
    upstream = randn(*out.shape)
    present = [leaf for leaf in leaves if leaf is not None]
    grads = iter(torch.autograd.grad((out * upstream).sum(), present))
    CASES.append({
        "name": name,
        "op": "batch_norm",
        "args": {"training": training, "momentum": momentum, "affine": affine, "track_running_stats": track,
                 "warmup": [tensor_json(w) for w in warmup]},
        "inputs": [tensor_json(x), tensor_json(weight), tensor_json(bias)],
        "upstream": tensor_json(upstream),
        "output": tensor_json(out),
        "grads": [None if leaf is None else tensor_json(next(grads)) for leaf in leaves],
        "running_mean": tensor_json(module.running_mean) if track else None,
        "running_var": tensor_json(module.running_var) if track else None,
        "num_batches_tracked": int(module.num_batches_tracked) if track else None,
    })


batch_norm("batch_norm2d_train", [4, 3, 5, 5], True, 1)
batch_norm("batch_norm2d_eval", [4, 3, 5, 5], False, 2)
batch_norm("batch_norm2d_cumulative", [3, 2, 4, 4], True, 1, momentum=None)
batch_norm("batch_norm2d_no_affine", [2, 3, 4, 4], True, 1, affine=False)
batch_norm("batch_norm2d_untracked", [2, 3, 4, 4], True, 0, track=False)
batch_norm("batch_norm1d_train_2d", [6, 4], True, 1)
batch_norm("batch_norm1d_train_3d", [4, 3, 5], True, 1)
batch_norm("batch_norm1d_eval_3d", [4, 3, 5], False, 2)


# ---- ResNet-18 (torchvision's layout, rebuilt from torch.nn) ----
class Block(nn.Module):
    def __init__(self, inplanes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))


class Net(nn.Module):
    def __init__(self, in_channels, kernel, stride, padding, maxpool, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 64, kernel, stride, padding, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1) if maxpool else nn.Identity()
        inplanes = 64
        for i, planes in enumerate([64, 128, 256, 512]):
            blocks = [Block(inplanes, planes, 1 if i == 0 else 2), Block(planes, planes, 1)]
            inplanes = planes
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512, classes)


RESNET = {}
for stem, spec in {"imagenet": (3, 7, 2, 3, True, 1000), "cifar": (3, 3, 1, 1, False, 10),
                   "fashion_mnist": (1, 3, 1, 1, False, 10)}.items():
    net = Net(*spec)
    RESNET[stem] = {"classes": spec[5], "parameters": sum(p.numel() for p in net.parameters()),
                    "state_dict_keys": list(net.state_dict().keys())}
assert RESNET["imagenet"]["parameters"] == 11689512, RESNET["imagenet"]["parameters"]


def main():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "conv.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"torch_version": torch.__version__, "cases": CASES, "resnet18": RESNET}, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print(f"{len(CASES)} cases -> {path} ({os.path.getsize(path)} bytes)")
    for stem, info in RESNET.items():
        print(f"resnet18 {stem}: {info['parameters']} parameters, {len(info['state_dict_keys'])} state-dict entries")


if __name__ == "__main__":
    main()
