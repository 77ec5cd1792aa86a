#!/usr/bin/env bash
# Builds the GPU measurement bundle for a machine with an NVIDIA GPU and PyTorch but no .NET: the test
# suite (NUnit's own runner) and the benchmarks as self-contained linux-x64 executables in one
# directory sharing one .NET runtime, with run.sh, torch_gpu.py and compare.py beside them, packed
# as one .tar.xz that must stay under 64 MiB (what a device session can carry).
#
# Not trimmed: NUnit, FsCheck and BenchmarkDotNet find tests, generators and benchmarks by
# reflection, which trimming silently breaks, and two apps sharing one runtime directory need the
# same framework files; xz shrinks the untrimmed bundle below the limit anyway (the sizes are printed).
#
# Usage: bash benchmarks/gpu/publish.sh [OUT]   (default OUT=artifacts/gpu, ignored by git)
# Then, on the GPU machine: tar xJf spamp-gpu.tar.xz && bash spamp-gpu/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=$(mkdir -p "${1:-artifacts/gpu}" && cd "${1:-artifacts/gpu}" && pwd)
LIMIT=$((64 * 1024 * 1024))
BUILD="$OUT/build"           # intermediate files, kept apart from the source tree's bin/ and obj/
STAGE="$OUT/stage"
BUNDLE="$STAGE/spamp-gpu"
rm -rf "$STAGE" "$OUT/spamp-gpu.tar.xz"
mkdir -p "$BUNDLE"

publish() {  # project, directory
    dotnet publish "$1" -c Release -r linux-x64 --self-contained -nologo -v quiet \
        --artifacts-path "$BUILD" -o "$2"
}

publish tests/Spamp.Tests "$STAGE/tests"
publish benchmarks/Spamp.Benchmarks "$STAGE/benchmarks"

# Merge the two into one directory. A file both ship must be the same file (the runtime, our
# libraries); anything else would mean one app runs against the other's dependency.
cp -a "$STAGE/tests/." "$BUNDLE/"
conflicts=0
while IFS= read -r -d '' file; do
    relative=${file#"$STAGE/benchmarks/"}
    if [[ -e "$BUNDLE/$relative" ]] && ! cmp -s "$file" "$BUNDLE/$relative"; then
        echo "publish.sh: $relative differs between the tests and the benchmarks" >&2
        conflicts=$((conflicts + 1))
    fi
done < <(find "$STAGE/benchmarks" -type f -print0)
if ((conflicts > 0)); then
    exit 1
fi
cp -a "$STAGE/benchmarks/." "$BUNDLE/"
cp benchmarks/gpu/run.sh benchmarks/gpu/torch_gpu.py benchmarks/gpu/compare.py "$BUNDLE/"

(cd "$STAGE" && XZ_OPT="-9 -T0" tar -cJf "$OUT/spamp-gpu.tar.xz" spamp-gpu)
unpacked=$(du -sb "$BUNDLE" | cut -f1)
packed=$(stat -c %s "$OUT/spamp-gpu.tar.xz")
awk -v files="$(find "$BUNDLE" -type f | wc -l)" -v unpacked="$unpacked" -v packed="$packed" -v path="$OUT/spamp-gpu.tar.xz" \
    'BEGIN { printf "bundle: %d files, %.1f MiB unpacked, %.1f MiB as %s (limit 64 MiB)\n", files, unpacked / 1048576, packed / 1048576, path }'
if ((packed > LIMIT)); then
    echo "publish.sh: the archive is over 64 MiB" >&2
    exit 1
fi
rm -rf "$STAGE"
