#!/usr/bin/env bash
# Runs every check: the build with warnings as errors, the unit tests, the NuGet package in a
# fresh project, the NativeAOT sample, both samples with their accuracy and error goals, and
# each benchmark once in BenchmarkDotNet's dry mode. Exits non-zero when anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== Build (Release, warnings are errors)"
dotnet build NetGen.sln -c Release --nologo -v quiet

echo "== Unit tests"
set +e
dotnet test NetGen.Tests/NetGen.Tests.csproj -c Release --no-build --nologo 2>&1 | tee "$work/test.log"
test_status=${PIPESTATUS[0]}
set -e

echo "== NuGet package in a fresh project"
bash eng/package-smoke.sh

echo "== NativeAOT sample"
bash eng/aot-smoke.sh

echo "== Classic exercise: y = 2x² − 1"
dotnet run -c Release --project NetGen.Samples --no-build -- quadratic --max-error 1e-3

echo "== Main job: Fashion-MNIST MLP"
dotnet run -c Release --project NetGen.Samples --no-build -- fashion --epochs 10 --min-accuracy 0.88 --weights "$work/fashion-mlp.ngw" --plot "$work/fashion-training.png"

echo "== Convolutional network: LeNet-5, one epoch"
dotnet run -c Release --project NetGen.Samples --no-build -- lenet5 --epochs 1 --min-accuracy 0.80 --weights "$work/lenet5.ngw" --plot "$work/lenet5-training.png"

echo "== Benchmarks, dry run"
# In process, so the dry run needs no per-benchmark build; it checks that every benchmark runs.
dotnet run -c Release --project NetGen.Benchmarks --no-build -- --filter '*' --job Dry --inProcess --artifacts "$work/benchmarks" > "$work/benchmarks.log" 2>&1 \
    || { tail -n 60 "$work/benchmarks.log"; echo "A benchmark failed its dry run" >&2; exit 1; }
grep -E "^\| |Run time|benchmarks" "$work/benchmarks.log" | tail -n 20 || true

# One closing line that counts the unit tests, in the form CI reads.
summary=$(grep -E "^(Passed|Failed)!" "$work/test.log" | tail -n 1)
passed=$(echo "$summary" | sed -E 's/.*Passed: *([0-9]+).*/\1/')
failed=$(echo "$summary" | sed -E 's/.*Failed: *([0-9]+),.*/\1/')
skipped=$(echo "$summary" | sed -E 's/.*Skipped: *([0-9]+).*/\1/')
echo "$passed passed, $failed failed, $skipped skipped"
exit "$test_status"
