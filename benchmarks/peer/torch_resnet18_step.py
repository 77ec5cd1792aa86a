#!/usr/bin/python3
"""torch_resnet18_step.py - PyTorch peer for Spamp's ResNet-18 training step.

torch_train.py (../shared/bench/peer) has no ResNet-18, and Debian's python3-torch ships without
torchvision, so this script defines torchvision's ResNet-18 (BasicBlock, [2, 2, 2, 2]) in plain
torch with the small-input stem Spamp's ResNetStem.FashionMnist uses: conv 3x3 stride 1 padding 1
from 1 channel, no max-pool. Timing method as torch_train.py: synthetic data, one fixed batch,
each step = zero_grad(set_to_none) + forward + cross-entropy + backward + Adam step, steps
--skip..--steps-1 timed one by one, median/min/max.

Run (tuned peer, see ../shared/bench/peer/README.md):
  env -u OPENBLAS_CORETYPE LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp \
      MALLOC_MMAP_THRESHOLD_=4000000000 MALLOC_TRIM_THRESHOLD_=4000000000 ATEN_CPU_CAPABILITY=avx512 \
      /usr/bin/python3 benchmarks/peer/torch_resnet18_step.py --batch 32 --steps 30
"""
import argparse, os, statistics, time

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--batch", type=int, default=32)
ap.add_argument("--steps", type=int, default=30)
ap.add_argument("--skip", type=int, default=5)
args = ap.parse_args()
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))

import torch                      # noqa: E402
import torch.nn as nn             # noqa: E402
import torch.nn.functional as F   # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(0)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet18(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        layers, cin = [], 64
        for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            layers.append(nn.Sequential(BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)))
            cin = cout
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.fc = nn.Linear(512, classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


model = ResNet18()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x, y = torch.randn(args.batch, 1, 28, 28), torch.randint(0, 10, (args.batch,))
times = []
for step in range(args.steps):
    t0 = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    times.append(time.perf_counter() - t0)
ts = sorted(times[args.skip:])
print(f"resnet18_fmnist_b{args.batch}_adam  ms_med {statistics.median(ts) * 1e3:.2f}  ms_min {ts[0] * 1e3:.2f}  "
      f"ms_max {ts[-1] * 1e3:.2f}  params {sum(p.numel() for p in model.parameters())}  final_loss {loss.item():.4f}")
