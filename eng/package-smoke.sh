#!/usr/bin/env bash
# Proves the NuGet package works for a user: packs NetGen, then builds and runs a fresh
# console project that references it from a local folder feed and trains a generated network.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A version no earlier run used, so the NuGet cache cannot serve a stale package.
version="0.1.0-smoke.$(date +%s)"

echo "Packing NetGen $version"
dotnet pack "$root/NetGen.Runtime/NetGen.Runtime.csproj" -c Release -o "$work/feed" -p:PackageVersion="$version" --nologo -v quiet

mkdir "$work/app"
cat > "$work/app/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="local" value="$work/feed" />
  </packageSources>
</configuration>
XML

cat > "$work/app/SmokeApp.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="NetGen" Version="$version" />
  </ItemGroup>
</Project>
XML

cat > "$work/app/Program.cs" <<'CS'
using System;
using NetGen;

// Learn XOR with a generated network: the loss must fall and the four cases come out right.
var network = new Xor(seed: 3);
var optimizer = new Adam(learningRate: 0.05f);
var workspace = network.CreateWorkspace(maxBatchSize: 4);
float[] inputs = { 0, 0, 0, 1, 1, 0, 1, 1 };
float[] targets = { 0, 1, 1, 0 };

float first = network.TrainStep(inputs, targets, optimizer, workspace);
float last = first;
for (int step = 0; step < 500; step++)
{
    last = network.TrainStep(inputs, targets, optimizer, workspace);
}

Span<float> output = stackalloc float[Xor.OutputSize];
for (int sample = 0; sample < 4; sample++)
{
    network.Forward(inputs.AsSpan(sample * 2, 2), output);
    if (Math.Abs(output[0] - targets[sample]) > 0.2f)
    {
        Console.Error.WriteLine($"XOR sample {sample}: output {output[0]}, expected {targets[sample]}");
        return 1;
    }
}

Console.WriteLine($"Package smoke test passed: loss {first:F4} -> {last:F6}, {Xor.ParameterCount} parameters");
return 0;

[Network(Loss = Loss.SquaredError)]
[Input(2)]
[Dense(8, Activation.Tanh)]
[Dense(1)]
partial class Xor;
CS

echo "Building and running a fresh project that references the package"
cd "$work/app"
dotnet run -c Release --nologo

# Restore extracted the package into the NuGet cache; check its layout there.
extracted="${NUGET_PACKAGES:-$HOME/.nuget/packages}/netgen/$version"
for file in analyzers/dotnet/cs/NetGen.Generator.dll lib/net8.0/NetGen.Runtime.dll lib/net10.0/NetGen.Runtime.dll; do
    if [ ! -f "$extracted/$file" ]; then
        echo "The package lacks $file" >&2
        exit 1
    fi
done
rm -rf "$extracted"
echo "Package layout checked: generator under analyzers/dotnet/cs, runtime for net8.0 and net10.0"
