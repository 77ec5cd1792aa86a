#!/usr/bin/env bash
# Spamp next to its peers in one session, each pair run back to back so the ratios share the
# machine's state: GEMM vs OpenBLAS, the optimizer step vs PyTorch's AdamW, whole training steps vs
# ../shared/bench/peer/torch_train.py (and our ResNet-18 peer), and the per-op kernels vs
# ../shared/bench/peer/torch_ops.py (ours through BenchmarkDotNet, short job).
#
# Usage: bash benchmarks/peer/compare.sh [OUT]     (default OUT=/tmp/spamp_compare; ~12 minutes)
# Needs: apt-get install -y python3-torch python3-numpy libopenblas-dev libopenblas0-openmp gcc
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-/tmp/spamp_compare}
mkdir -p "$OUT"
PEER=../shared/bench/peer
TUNED=(env -u OPENBLAS_CORETYPE LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp
       MALLOC_MMAP_THRESHOLD_=4000000000 MALLOC_TRIM_THRESHOLD_=4000000000 ATEN_CPU_CAPABILITY=avx512)
dotnet build benchmarks/Spamp.Benchmarks -c Release -v quiet -nologo > /dev/null
OURS=benchmarks/Spamp.Benchmarks/bin/Release/net10.0/Spamp.Benchmarks

step() { echo; echo "== $1"; }

step "GEMM (float32, 2 threads): ours vs OpenBLAS"
bash benchmarks/peer/run_matmul_peer.sh 3 256 512 1024 2048 | tee "$OUT/gemm.txt"

step "Optimizer step, 10M parameters in 50 tensors: ours (AdamW, +clip, +SPAMP) vs PyTorch AdamW"
"$OURS" --quick-optim 11 | tee "$OUT/optim_ours.txt"
"${TUNED[@]}" /usr/bin/python3 "$PEER/torch_ops.py" --only adamw 2>&1 >/dev/null | tee "$OUT/optim_peer.txt"

step "Training steps: ours vs PyTorch"
"$OURS" --train-step "" 60 | tee "$OUT/train_ours.txt"
"${TUNED[@]}" /usr/bin/python3 "$PEER/torch_train.py" 2>&1 >/dev/null | tee "$OUT/train_peer.txt"
"${TUNED[@]}" /usr/bin/python3 benchmarks/peer/torch_resnet18_step.py --batch 32 --steps 30 | tee "$OUT/resnet_peer.txt"
"$OURS" --train-step resnet18 30 | tee -a "$OUT/train_ours.txt"

step "Kernels: ours (BenchmarkDotNet short job) vs PyTorch (torch_ops.py)"
"$OURS" --filter '*ConvBenchmarks*' '*AttentionBenchmarks*' '*LayerNormBenchmarks*' --job short 2>&1 \
  | grep -E '^\|' | tee "$OUT/kernels_ours.txt"
for op in conv attention layer_norm cross_entropy; do
  "${TUNED[@]}" /usr/bin/python3 "$PEER/torch_ops.py" --only "$op" 2>&1 >/dev/null
done | tee "$OUT/kernels_peer.txt"
echo; echo "results in $OUT"
