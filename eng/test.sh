#!/usr/bin/env bash
# Runs every check: the build with warnings as errors, the unit tests (on AVX-512 machines the
# kernel and numerics tests a second time with AVX-512 turned off), the NuGet package in a
# fresh project, the NativeAOT sample, the three samples (quadratic, fashion, lenet5) with their
# accuracy and error goals, and each benchmark once in BenchmarkDotNet's dry mode. Exits non-zero
# when anything fails.
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

# Most x64 CPUs have AVX2 but not AVX-512, and there the JIT picks other kernels (16 vector
# registers, 256-bit panels, tanh applied out of line). Running the kernel and numerics tests
# again with AVX-512 turned off covers that code on an AVX-512 machine as well. The shared-layer
# trainer tests join them: without AVX-512 only the weight gradients split, never the forward pass.
echo "== Kernel and numerics tests without AVX-512"
if grep -qw avx512f /proc/cpuinfo 2> /dev/null; then
    set +e
    DOTNET_EnableAVX512=0 dotnet test NetGen.Tests/NetGen.Tests.csproj -c Release --no-build --nologo \
        --filter "FullyQualifiedName~NetGen.Tests.Kernels|FullyQualifiedName~NetGen.Tests.Numerics|FullyQualifiedName~SharedLayerTests" > "$work/test-avx2.log" 2>&1
    avx2_status=$?
    set -e
    # The work folder goes away on exit, so the failures and their messages are printed here.
    grep -E -A 8 "^(Passed|Failed)!|\[FAIL\]" "$work/test-avx2.log" | head -n 60 || true
    if ! grep -qE "^(Passed|Failed)!" "$work/test-avx2.log"; then
        tail -n 20 "$work/test-avx2.log"
        echo "The run with AVX-512 turned off printed no test summary: no test matched, or the test host stopped" >&2
        test_status=1
    elif [ "$avx2_status" -ne 0 ]; then
        echo "The kernel and numerics tests failed with AVX-512 turned off" >&2
        test_status=1
    fi
else
    echo "This CPU has no AVX-512, so the unit tests above already ran that code."
fi

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

# One closing line that counts the unit tests of both runs, in the form CI reads.
passed=0
failed=0
skipped=0
for log in "$work/test.log" "$work/test-avx2.log"; do
    summary=$(grep -E "^(Passed|Failed)!" "$log" 2> /dev/null | tail -n 1 || true)
    if [ -n "$summary" ]; then
        passed=$((passed + $(echo "$summary" | sed -E 's/.*Passed: *([0-9]+).*/\1/')))
        failed=$((failed + $(echo "$summary" | sed -E 's/.*Failed: *([0-9]+),.*/\1/')))
        skipped=$((skipped + $(echo "$summary" | sed -E 's/.*Skipped: *([0-9]+).*/\1/')))
    fi
done
echo "$passed passed, $failed failed, $skipped skipped"
exit "$test_status"
