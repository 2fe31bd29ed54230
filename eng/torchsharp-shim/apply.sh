#!/usr/bin/env bash
# Makes TorchSharp-cpu's native library load on a Linux whose libstdc++ predates GCC 13.
#
# Usage: eng/torchsharp-shim/apply.sh OUTPUT-FOLDER
#
# libLibTorchSharp.so in TorchSharp-cpu 0.107.0 needs the symbol version GLIBCXX_3.4.32 (GCC 13)
# for a single function, std::ios_base_library_init(), which GCC 13 defines as empty. On a system
# libstdc++ without that version (Debian 12 ships GCC 12), loading fails and TorchSharp.torch
# throws TypeInitializationException. This script patches the copy of the library in
# OUTPUT-FOLDER, never the NuGet cache:
#   1. builds libnetgen_glibcxx_shim.so, which defines that function as GLIBCXX_3.4.32, next to it;
#   2. marks the library's need for GLIBCXX_3.4.32 weak, so the loader accepts its absence from
#      libstdc++;
#   3. adds the shim as a needed library (found through the library's $ORIGIN run path).
# It does nothing when the folder has no libLibTorchSharp.so, on anything but Linux x86-64, when the
# system libstdc++ already defines GLIBCXX_3.4.32, or when the library is already patched, so it is
# safe to run after every build. It installs patchelf and g++ with apt-get when they are missing.
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 OUTPUT-FOLDER (the build output that contains runtimes/linux-x64/native/libLibTorchSharp.so)" >&2
    exit 2
fi

output="$1"
shim_source_dir="$(cd "$(dirname "$0")" && pwd)"
version="GLIBCXX_3.4.32"
shim_name="libnetgen_glibcxx_shim.so"

if [[ "$(uname -s)" != "Linux" || "$(uname -m)" != "x86_64" ]]; then
    exit 0
fi

library="$output/runtimes/linux-x64/native/libLibTorchSharp.so"
if [[ ! -f "$library" ]]; then
    echo "torchsharp-shim: no $library, nothing to patch"
    exit 0
fi

# The libstdc++ that the loader would pick for libstdc++.so.6.
# awk reads to the end: an early exit would kill ldconfig with SIGPIPE, which pipefail reports.
system_libstdcxx="$(/sbin/ldconfig -p | awk '/libstdc\+\+\.so\.6 .*x86-64/ && !found { print $NF; found = 1 }')"
if [[ -z "$system_libstdcxx" ]]; then
    echo "torchsharp-shim: libstdc++.so.6 not found by ldconfig -p; install libstdc++6" >&2
    exit 1
fi

if grep -aq "$version" "$system_libstdcxx"; then
    echo "torchsharp-shim: $system_libstdcxx defines $version, nothing to patch"
    exit 0
fi

ensure_tool() {
    local tool="$1" package="$2"
    if command -v "$tool" > /dev/null; then
        return
    fi

    if [[ $(id -u) -ne 0 ]]; then
        echo "torchsharp-shim: $tool is missing; install the Debian package $package (apt-get install $package) and rerun" >&2
        exit 1
    fi

    echo "torchsharp-shim: installing $package"
    if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" > /dev/null; then
        return
    fi

    # A fresh machine may have no package lists yet.
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" > /dev/null; }; then
        echo "torchsharp-shim: apt-get failed to install $package; install it by hand and rerun" >&2
        exit 1
    fi
}

ensure_tool readelf binutils

# readelf -V prints the need as "Name: GLIBCXX_3.4.32  Flags: none|WEAK  Version: N".
need_line="$(readelf -V "$library" | grep "Name: $version" || true)"
if [[ -z "$need_line" ]]; then
    echo "torchsharp-shim: $library does not need $version, nothing to patch"
    exit 0
fi

# Whole outputs go into variables and are matched afterwards, because grep -q in a pipe may end
# readelf early with SIGPIPE, which pipefail would report as a missing match.
native_dir="$(dirname "$library")"
dynamic_section="$(readelf -d "$library")"
if [[ "$need_line" == *WEAK* && "$dynamic_section" == *"[$shim_name]"* && -f "$native_dir/$shim_name" ]]; then
    echo "torchsharp-shim: $library is already patched"
    exit 0
fi

ensure_tool g++ g++
ensure_tool patchelf patchelf

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

g++ -O2 -shared -fPIC -Wl,--version-script="$shim_source_dir/glibcxx_shim.map" -Wl,-soname,"$shim_name" \
    -o "$work/$shim_name" "$shim_source_dir/glibcxx_shim.cpp"
g++ -O2 -o "$work/mark_version_weak" "$shim_source_dir/mark_version_weak.cpp"

# Patch a copy and move it into place, so an interrupted run never leaves a half-written library.
cp "$library" "$work/libLibTorchSharp.so"
"$work/mark_version_weak" "$work/libLibTorchSharp.so" "$version"
if [[ "$dynamic_section" != *"[$shim_name]"* ]]; then
    patchelf --add-needed "$shim_name" "$work/libLibTorchSharp.so"
fi

cp "$work/$shim_name" "$native_dir/$shim_name"
mv "$work/libLibTorchSharp.so" "$library"
echo "torchsharp-shim: patched $library to load with $system_libstdcxx"
