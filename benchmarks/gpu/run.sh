#!/usr/bin/env bash
# The GPU measurement run, for a machine with an NVIDIA GPU, its driver, PyTorch with CUDA and no .NET
# (the bundle from benchmarks/gpu/publish.sh carries its own runtime):
#   1. the backend test suite, which runs every backend-level and GPU-vs-CPU test on each device it
#      finds (CUDA, and OpenCL when an OpenCL driver is installed) plus the NVRTC compile check;
#   2. Spamp's float32 matmul GFLOP/s and the cnn/gpt training steps on $DEVICE;
#   3. the same with PyTorch on the same GPU (torch_gpu.py), and the ratios (compare.py).
# Each part runs under its own time limit and a failure does not stop the others; the exit status
# is that of the tests.
#
# Usage: bash run.sh [BUNDLE]   BUNDLE: spamp-gpu.tar.xz or its unpacked directory (default: this
#        script's directory when it sits in the bundle, else artifacts/gpu/spamp-gpu.tar.xz)
# Environment (defaults): DEVICE=cuda:0 TORCH_DEVICE=cuda PYTHON=python3 SIZES="1024 2048 4096"
#        STEPS=30 TEST_FILTER="FullyQualifiedName~Backends" TEST_TIMEOUT=420 BENCH_TIMEOUT=180
#        OUT=/tmp/spamp-gpu-run
# A dry run on a machine without a GPU: DEVICE=opencl:0 TORCH_DEVICE=cpu SIZES="128 256" STEPS=3.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
DEVICE=${DEVICE:-cuda:0}
TORCH_DEVICE=${TORCH_DEVICE:-cuda}
PYTHON=${PYTHON:-python3}
SIZES=${SIZES:-1024 2048 4096}
STEPS=${STEPS:-30}
TEST_FILTER=${TEST_FILTER:-FullyQualifiedName~Backends}
TEST_TIMEOUT=${TEST_TIMEOUT:-420}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-180}
OUT=${OUT:-/tmp/spamp-gpu-run}
mkdir -p "$OUT"

# ---- the bundle -------------------------------------------------------------------------------
bundle=${1:-}
if [[ -z "$bundle" ]]; then
    if [[ -x "$here/Spamp.Tests" ]]; then bundle=$here; else bundle=$here/../../artifacts/gpu/spamp-gpu.tar.xz; fi
fi
if [[ -f "$bundle" ]]; then
    rm -rf "$OUT/spamp-gpu"
    tar -xJf "$bundle" -C "$OUT"
    bundle=$OUT/spamp-gpu
fi
bundle=$(cd "$bundle" && pwd)
for app in Spamp.Tests Spamp.Benchmarks; do
    [[ -x "$bundle/$app" ]] || { echo "run.sh: $bundle/$app missing (build the bundle with benchmarks/gpu/publish.sh)" >&2; exit 2; }
done

section() { printf '\n== %s (%s)\n' "$1" "$(date +%T)"; }

# ---- NVRTC: the backend compiles its kernels at run time ---------------------------------------
# A CUDA toolkit keeps libnvrtc in its lib64, a PyTorch wheel in the nvidia-cuda-nvrtc package;
# neither is on the loader's default path, so their directories join LD_LIBRARY_PATH.
section "driver and NVRTC"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "nvidia-smi: not available"
nvrtc_dirs=()
for dir in /usr/local/cuda/lib64 /usr/local/cuda-*/lib64 /usr/lib/x86_64-linux-gnu \
    "$("$PYTHON" -c 'import nvidia.cuda_nvrtc, os; print(os.path.join(os.path.dirname(nvidia.cuda_nvrtc.__file__), "lib"))' 2>/dev/null)"; do
    if [[ -n "$dir" ]] && compgen -G "$dir/libnvrtc.so*" > /dev/null; then
        nvrtc_dirs+=("$dir")
    fi
done
if ((${#nvrtc_dirs[@]} > 0)); then
    LD_LIBRARY_PATH=$(IFS=:; echo "${nvrtc_dirs[*]}")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export LD_LIBRARY_PATH
    for dir in "${nvrtc_dirs[@]}"; do ls "$dir"/libnvrtc.so* 2>/dev/null; done
else
    echo "no libnvrtc found: CUDA tests will be skipped with the reason"
fi
export SPAMP_KERNEL_CACHE=$OUT/kernel-cache

# ---- 1. tests ---------------------------------------------------------------------------------
section "tests: $TEST_FILTER"
timeout "$TEST_TIMEOUT" "$bundle/Spamp.Tests" --filter "$TEST_FILTER" --no-progress --output detailed \
    > "$OUT/tests.log" 2>&1
tests_status=$?
grep -E -A3 "^failed " "$OUT/tests.log" | head -80
grep -E "Test run summary|total:|failed:|succeeded:|skipped:|duration:" "$OUT/tests.log"
echo "why tests were skipped (count, reason):"
grep -E -A1 "^skipped " "$OUT/tests.log" | grep -vE "^(skipped |--)" | sed -E 's/^[[:space:]]*(OneTimeSetUp: SetUp : )?//' | sort | uniq -c | head -10
echo "tests exit status $tests_status (full log: $OUT/tests.log)"

# ---- 2. Spamp on the device ---------------------------------------------------------------------
ours=$OUT/spamp.jsonl
: > "$ours"
section "Spamp float32 matmul on $DEVICE"
# shellcheck disable=SC2086 # SIZES is a list
timeout "$BENCH_TIMEOUT" "$bundle/Spamp.Benchmarks" --gpu-matmul "$DEVICE" $SIZES 2>&1 | tee -a "$ours" | grep -v '^{'
for model in cnn gpt; do
    section "Spamp $model training step on $DEVICE"
    timeout "$BENCH_TIMEOUT" "$bundle/Spamp.Benchmarks" --gpu-train-step "$model" "$DEVICE" "$STEPS" 2>&1 | tee -a "$ours" | grep -v '^{' | tail -8
done

# ---- 3. PyTorch on the same device, and the ratios ---------------------------------------------
peer=$OUT/torch.jsonl
section "PyTorch on $TORCH_DEVICE"
# shellcheck disable=SC2086
timeout "$BENCH_TIMEOUT" "$PYTHON" "$bundle/torch_gpu.py" --device "$TORCH_DEVICE" --sizes $SIZES --steps "$STEPS" > "$peer"
section "Spamp / PyTorch (matmul: throughput ratio, above 1 is faster; training step: time ratio, below 1 is faster)"
"$PYTHON" "$bundle/compare.py" "$ours" "$peer"
exit "$tests_status"
