#!/usr/bin/env bash
# Publishes NetGen.Samples.Aot with native AOT for linux-x64 (Release), fails on any compiler,
# trim or AOT warning, runs the native binary and checks that it succeeds, then prints the binary
# size and the time from process start to the first inference. On Debian it first installs the
# native toolchain packages that are missing (this needs root).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Runs of the binary whose start-to-first-inference times are printed. Their median is the result.
startup_runs=5

# Native AOT compiles to an object file and links it with the system C toolchain. The ILCompiler
# package calls clang, or gcc when clang is not on PATH, and strips symbols with objcopy from
# binutils. Linking also needs the C library's development files. The .NET 10 ILCompiler links
# its own libz.a, but .NET 8's ILCompiler and UseSystemZlib=true link the system zlib, so
# zlib1g-dev is installed too.
install_missing_toolchain() {
    local missing=()
    if ! command -v clang > /dev/null && ! command -v gcc > /dev/null; then
        missing+=(clang)
    fi
    if ! command -v objcopy > /dev/null; then
        missing+=(binutils)
    fi
    for package in libc6-dev zlib1g-dev; do
        if [ "$(dpkg-query -W -f='${Status}' "$package" 2> /dev/null)" != "install ok installed" ]; then
            missing+=("$package")
        fi
    done

    if [ ${#missing[@]} -eq 0 ]; then
        return
    fi

    if [ "$(id -u)" -ne 0 ]; then
        echo "Native AOT needs the Debian packages ${missing[*]}, which are missing. Install them as root: apt-get update && apt-get install -y ${missing[*]}" >&2
        exit 1
    fi

    echo "Installing the missing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

if command -v dpkg-query > /dev/null; then
    install_missing_toolchain
else
    echo "Not a Debian system: skipping the toolchain check; native AOT needs clang or gcc, the C library headers and objcopy."
fi

echo "Publishing NetGen.Samples.Aot for linux-x64 with native AOT (Release)"
# An up-to-date build skips the compilers and with them their warnings, so every project builds
# afresh under a private artifacts path. TrimmerSingleWarn=false reports each trim or AOT warning
# on its own line instead of one summary warning per assembly. -warnaserror turns any MSBuild
# warning into an error as well.
publish_started=$(date +%s.%N)
set +e
dotnet publish "$root/NetGen.Samples.Aot/NetGen.Samples.Aot.csproj" -c Release -r linux-x64 \
    --artifacts-path "$work/artifacts" -o "$work/publish" --nologo -v normal -warnaserror \
    -p:TrimmerSingleWarn=false > "$work/publish.log" 2>&1
publish_status=$?
set -e
publish_seconds=$(echo "$publish_started $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }')

# Diagnostics read "file(line,col): warning IL2026: ..." or, once turned into errors, "error IL2026".
diagnostics=$(grep -E "(warning|error) [A-Z]+[0-9]+" "$work/publish.log" | sort -u || true)
if [ "$publish_status" -ne 0 ] || [ -n "$diagnostics" ]; then
    if [ -n "$diagnostics" ]; then
        echo "$diagnostics" >&2
    else
        tail -n 40 "$work/publish.log" >&2
    fi
    echo "Native AOT publish failed or reported a warning (exit code $publish_status); see the lines above." >&2
    exit 1
fi

# A publish that skipped the native compiler would have analysed nothing, so require its step.
if ! grep -q "Generating native code" "$work/publish.log"; then
    echo "The publish log lacks the ILCompiler step 'Generating native code', so no trim or AOT analysis ran." >&2
    exit 1
fi
echo "Published in $publish_seconds s with no warnings"

binary="$work/publish/NetGen.Samples.Aot"
if [ ! -x "$binary" ]; then
    echo "The native binary $binary is missing after the publish." >&2
    exit 1
fi

# The launcher records its clock right before exec, so the time the sample prints covers exec,
# loading, runtime start-up and the first Forward call. LC_ALL=C gives $EPOCHREALTIME a decimal point.
run_sample() {
    (
        export LC_ALL=C
        NETGEN_AOT_LAUNCH_TIME=$EPOCHREALTIME exec "$binary"
    )
}

echo "Running the native binary"
set +e
run_sample | tee "$work/run.log"
run_status=${PIPESTATUS[0]}
set -e
if [ "$run_status" -ne 0 ]; then
    echo "The native sample exited with code $run_status." >&2
    exit 1
fi
if ! grep -q "^Runtime: native AOT" "$work/run.log" || ! grep -q "^All checks passed" "$work/run.log"; then
    echo "The sample's output lacks 'Runtime: native AOT' or 'All checks passed'." >&2
    exit 1
fi

startup_times=()
for run in $(seq 1 "$startup_runs"); do
    if [ "$run" -gt 1 ]; then
        run_sample > "$work/run.log" || { echo "Run $run of the native sample failed." >&2; exit 1; }
    fi
    startup_times+=("$(sed -nE 's/^First inference: ([0-9.]+) ms after process start.*/\1/p' "$work/run.log")")
done
median=$(printf '%s\n' "${startup_times[@]}" | sort -g | awk '{ value[NR] = $1 } END { print value[int((NR + 1) / 2)] }')

size=$(stat -c %s "$binary")
echo
echo "Native AOT summary"
echo "  publish time:                 $publish_seconds s"
echo "  binary size:                  $size bytes ($(awk -v b="$size" 'BEGIN { printf "%.2f MB, %.2f MiB", b / 1e6, b / 1048576 }')), symbols stripped to $(basename "$binary").dbg"
echo "  start to first inference:     $median ms (median of $startup_runs runs: ${startup_times[*]} ms)"
