#!/usr/bin/env python3
"""torch_gpu.py - PyTorch on the GPU, measured as Spamp's `--gpu-matmul` and `--gpu-train-step` are
(benchmarks/Spamp.Benchmarks/GpuBench.cs), so benchmarks/gpu/compare.py can divide the two.

    python3 torch_gpu.py [--device cuda] [--sizes 1024 2048 4096] [--steps 60] [--only matmul|cnn|gpt]

matmul: square float32 products, two warm-up calls, then 7 samples of at least 50 ms each,
        synchronised before the clock stops; GFLOP/s = 2 n^3 / t (median).
train : the cnn and gpt models of ../shared/bench/peer/torch_train.py (same layers, batch sizes,
        optimizers, synthetic data, one fixed batch), one step = zero_grad(set_to_none) + forward +
        cross-entropy + backward + opt.step + synchronize; statistics over steps 10..steps-1.

TF32 is off (matmul and cuDNN) unless --tf32: Spamp computes in exact float32, and the comparison
should be of the same arithmetic. One JSON line per result on stdout; a table on stderr.
"""
import argparse, json, math, statistics, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("--device", default="cuda")
ap.add_argument("--sizes", type=int, nargs="*", default=[1024, 2048, 4096])
ap.add_argument("--steps", type=int, default=60)
ap.add_argument("--only", default="", help="matmul, cnn or gpt (default: all)")
ap.add_argument("--tf32", action="store_true")
args = ap.parse_args()

import torch                      # noqa: E402
import torch.nn as nn             # noqa: E402
import torch.nn.functional as F   # noqa: E402

device = torch.device(args.device)
cuda = device.type == "cuda"
if cuda:
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32
torch.manual_seed(0)


def sync():
    if cuda:
        torch.cuda.synchronize(device)


def emit(**fields):
    print(json.dumps(dict(impl="torch", device=str(device), **fields)), flush=True)


print(json.dumps(dict(bench="torch_gpu_meta", torch=torch.__version__, device=str(device),
                      name=torch.cuda.get_device_name(device) if cuda else "cpu",
                      cuda=torch.version.cuda, tf32=args.tf32)), flush=True)


# ---- models: as ../shared/bench/peer/torch_train.py ------------------------------------------------

class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(1, 32, 3, padding=1), nn.Conv2d(32, 64, 3, padding=1)
        self.f1, self.f2 = nn.Linear(64 * 7 * 7, 128), nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        return self.f2(F.relu(self.f1(x.flatten(1))))


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.h = h
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc, self.out = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x, mask):
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.h, C // self.h).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(C // self.h))
        att = F.softmax(att.masked_fill(mask[:T, :T], float("-inf")), dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        x = x + self.proj(y)
        return x + self.out(F.gelu(self.fc(self.ln2(x))))


class GPT(nn.Module):
    def __init__(self, vocab=256, ctx=128, d=256, layers=4, heads=4):
        super().__init__()
        self.tok, self.pos = nn.Embedding(vocab, d), nn.Embedding(ctx, d)
        self.blocks = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.ln, self.head = nn.LayerNorm(d), nn.Linear(d, vocab, bias=False)
        self.register_buffer("mask", torch.ones(ctx, ctx, dtype=torch.bool).triu(1))

    def forward(self, idx):
        x = self.tok(idx) + self.pos(torch.arange(idx.shape[1], device=idx.device))
        for b in self.blocks:
            x = b(x, self.mask)
        return self.head(self.ln(x)).flatten(0, 1)   # (B*T, vocab) logits


CASES = {
    "cnn": ("cnn_mnist_b128_adam", CNN,
            lambda: (torch.randn(128, 1, 28, 28), torch.randint(0, 10, (128,))),
            lambda p: torch.optim.Adam(p, lr=1e-3)),
    "gpt": ("gpt_char_l4_d256_t128_b32_adamw", GPT,
            lambda: (torch.randint(0, 256, (32, 128)), torch.randint(0, 256, (32 * 128,))),
            lambda p: torch.optim.AdamW(p, lr=3e-4, weight_decay=0.1)),
}


def matmul():
    print(f"# float32 matmul on {device}", file=sys.stderr)
    for n in args.sizes:
        a = torch.randn(n, n, device=device)
        b = torch.randn(n, n, device=device)
        for _ in range(2):
            a @ b
        sync()
        rates = []
        for _ in range(7):
            start, repeats = time.perf_counter(), 0
            while True:
                a @ b
                repeats += 1
                sync()
                seconds = time.perf_counter() - start
                if seconds >= 0.05:
                    break
            rates.append(2.0 * n ** 3 * repeats / seconds / 1e9)
        median = statistics.median(rates)
        print(f"{n:6d} {median:14.1f} {min(rates):8.1f} {max(rates):8.1f}", file=sys.stderr)
        emit(bench="matmul_f32", n=n, gflops=median)


def train(key):
    name, ctor, make, make_opt = CASES[key]
    model = ctor().to(device)
    opt = make_opt(model.parameters())
    x, y = (t.to(device) for t in make())
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        sync()
        times.append((time.perf_counter() - start) * 1e3)
    timed = sorted(times[10:] if args.steps > 10 else times)
    print(f"{name:34s} {statistics.median(timed):8.2f} {timed[0]:8.2f} {timed[-1]:8.2f} {loss.item():10.4f}", file=sys.stderr)
    emit(bench="train_step", model=name, ms_med=statistics.median(timed), ms_min=timed[0], ms_max=timed[-1],
         final_loss=loss.item())


if args.only in ("", "matmul"):
    matmul()
for key in CASES:
    if args.only in ("", key):
        train(key)
