#!/usr/bin/env bash
# Side-by-side float32 GEMM: Spamp's packed GEMM against OpenBLAS (the tuned peer of
# ../shared/bench/peer/README.md: AVX-512 kernels, OPENBLAS_CORETYPE unset), 2 threads, interleaved
# rounds so that noise on this shared machine hits both sides alike. Prints GFLOP/s per round and
# the median ratio ours/peer per size.
#
# Usage: bash benchmarks/peer/run_matmul_peer.sh [rounds] [sizes...]     (default: 3 rounds, 256 512 1024 2048)
# Needs: apt-get install -y libopenblas-dev gcc   (the peer), the .NET SDK (ours)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}; shift || true
sizes=("${@:-256 512 1024 2048}"); sizes=(${sizes[*]})
peer_src=../shared/bench/peer/sgemm_openblas.c
work=$(mktemp -d)
gcc -O2 -o "$work/sgemm_openblas" "$peer_src" -lopenblas
dotnet build benchmarks/Spamp.Benchmarks -c Release -v quiet -nologo >/dev/null
ours_bin=benchmarks/Spamp.Benchmarks/bin/Release/net10.0/Spamp.Benchmarks

for r in $(seq 1 "$rounds"); do
  env -u OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS=2 "$work/sgemm_openblas" 7 "${sizes[@]}" 2>/dev/null \
    | sed -n 's/.*"n": *\([0-9]*\).*"gflops_median": *\([0-9.]*\).*/\1 \2/p' > "$work/peer.$r"
  "$ours_bin" --quick-gemm "${sizes[@]}" | awk 'NR > 1 { print $1, $2 }' > "$work/ours.$r"
  echo "round $r: n ours peer"; paste "$work/ours.$r" "$work/peer.$r" | awk '{ printf "  %5d %7.1f %7.1f\n", $1, $2, $4 }'
done

echo "median over rounds (GFLOP/s) and ratio ours/peer:"
for n in "${sizes[@]}"; do
  o=$(cat "$work"/ours.* | awk -v n="$n" '$1 == n { print $2 }' | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  p=$(cat "$work"/peer.* | awk -v n="$n" '$1 == n { print $2 }' | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  awk -v n="$n" -v o="$o" -v p="$p" 'BEGIN { printf "  n=%-5d ours %6.1f  OpenBLAS %6.1f  ratio %.2f\n", n, o, p, o / p }'
done
rm -rf "$work"
