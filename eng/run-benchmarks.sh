#!/usr/bin/env bash
# Runs the benchmark suite with shortened BenchmarkDotNet jobs, then the single-sample latency
# distribution, and prints a summary of both.
#
# Usage: eng/run-benchmarks.sh [BenchmarkDotNet options]
#   With no options it runs the suite listed below; options replace that filter, for example
#   eng/run-benchmarks.sh --filter '*TinyForward*', or --filter '*' for every benchmark.
#
# Results go to BenchmarkDotNet.Artifacts/ at the repository root: results/*-report-github.md
# per benchmark class, and latency.txt. Each case runs with 3 warm-up and 9 measured iterations
# of about 250 ms. The suite took 9 min 7 s, build included, on an idle 2-core AMD EPYC (Zen 5).
# On a 2-core Intel Xeon (Emerald Rapids) it took 14 min 23 s with three processes per
# single-sample case, so they now run in two, and 12 min 29 s on a 2-core AMD EPYC (Zen 4).
# docs/benchmarks.md explains the figures.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
artifacts="$root/BenchmarkDotNet.Artifacts"

echo "== Load before the run (other processes make the figures noisy): $(uptime)"

# Reports older than this marker come from earlier runs, and the summary leaves them out.
mkdir -p "$artifacts"
started="$artifacts/.run-started"
touch "$started"

# The Release build also patches TorchSharp's native library where the system libstdc++ is too old.
echo "== Build (Release)"
dotnet build NetGen.Benchmarks/NetGen.Benchmarks.csproj -c Release --nologo -v quiet

# The suite: every class that compares NetGen with a peer or a limit. The two parameter sweeps
# (SparseForwardBenchmarks, 128 cases, and ConvKernelBenchmarks, 45 cases) only explain choices the
# kernels make. They would take the run past 15 minutes, so only `--filter '*'` runs them.
# The single-sample classes run in two processes per case: on a shared virtual machine the
# same code measured up to 1.5x apart from one process to the next, and their goals are ratios.
single=(--filter '*TinyForward*' '*FashionSmallForward*')
rest=(--filter '*FashionMlp*' '*PeerTraining*' '*TrainingThroughput*'
    '*SimpleChains*' '*PeakFma*' '*Dense*KernelBenchmarks*' '*Int8*' '*SparseGoal*' '*CnnBenchmarks*'
    '*OptimizerStep*')
job=(--job short --warmupCount 3 --iterationCount 9 --iterationTime 250 --artifacts "$artifacts")

echo "== BenchmarkDotNet"
# A failed benchmark makes the run exit non-zero after the summary, so the other classes still run.
status=0
if [[ $# -gt 0 ]]; then
    dotnet run -c Release --project NetGen.Benchmarks --no-build -- "$@" "${job[@]}" || status=1
else
    dotnet run -c Release --project NetGen.Benchmarks --no-build -- "${single[@]}" "${job[@]}" --launchCount 2 || status=1
    dotnet run -c Release --project NetGen.Benchmarks --no-build -- "${rest[@]}" "${job[@]}" || status=1
fi

echo "== Single-sample latency distribution"
dotnet run -c Release --project NetGen.Benchmarks --no-build -- latency | tee "$artifacts/latency.txt"

echo "== Load after the run: $(uptime)"
echo
echo "== Summary"
for report in "$artifacts"/results/*-report-github.md; do
    [[ -f "$report" && "$report" -nt "$started" ]] || continue
    echo
    echo "### $(basename "$report" -report-github.md)"
    # The tables only: the environment header repeats in every report.
    grep -E '^\|' "$report"
done
echo
cat "$artifacts/latency.txt"
if [[ $status -ne 0 ]]; then
    echo "A benchmark failed: search the output above for 'Benchmark failed'." >&2
fi
exit "$status"
