#!/usr/bin/env bash
# Packs FastRnn, FastRnn.Import and the FastRnn.Tool tool, then uses them as a newcomer would, outside the repository:
# a fresh console project takes the packed FastRnn from a local folder feed (`dotnet add package FastRnn`) and runs
# .ci/consume-package/Program.cs, which checks the shipped sine LSTM against a double-precision LSTM of its own; and
# the tool is installed from the same feed and translates a date with the model it carries.
# Expects `dotnet build FastRnn.sln -c Release` to have run.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

dotnet pack "$repo/FastRnn.sln" -c Release --no-build -o "$work/feed" > "$work/pack.log" || { cat "$work/pack.log"; exit 1; }
packages=$(find "$work/feed" -name '*.nupkg' | sort | xargs -n1 basename | tr '\n' ' ')
echo "packed: $packages"
for expected in FastRnn.1.0.0.nupkg FastRnn.Import.1.0.0.nupkg FastRnn.Tool.1.0.0.nupkg \
                FastRnn.1.0.0.snupkg FastRnn.Import.1.0.0.snupkg FastRnn.Tool.1.0.0.snupkg; do
  [ -f "$work/feed/$expected" ] || { echo "consume-package: $expected was not packed" >&2; exit 1; }
done

# A package cache of its own, so the FastRnn 1.0.0 restored is the one just packed, not one from an earlier run; the
# machine's cache serves as a second feed for FastRnn's own dependencies (System.Numerics.Tensors), offline.
machine_cache="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
export NUGET_PACKAGES="$work/packages"
mkdir "$work/app"
cd "$work/app"
cat > nuget.config <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="packed" value="$work/feed" />
    <add key="machine-cache" value="$machine_cache" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="packed"><package pattern="FastRnn*" /></packageSource>
    <packageSource key="machine-cache"><package pattern="*" /></packageSource>
  </packageSourceMapping>
</configuration>
CONFIG
dotnet new console --framework net10.0 --name Consumer --output . > /dev/null
cp "$repo/.ci/consume-package/Program.cs" Program.cs
dotnet add package FastRnn --version 1.0.0 > "$work/add.log" || { cat "$work/add.log"; exit 1; }
dotnet run -c Release -- "$repo/weights/sine-lstm.frnn"

# The tool, from the same feed, run from a directory with no weights/ above it: it must use the models it carries.
dotnet tool install FastRnn.Tool --version 1.0.0 --tool-path "$work/tool" --configfile nuget.config > "$work/tool.log" || { cat "$work/tool.log"; exit 1; }
cd "$work"
translated="$("$work/tool/fastrnn" translate "30 Nov 2026")"
echo "installed tool: fastrnn translate \"30 Nov 2026\" -> $translated"
[ "$translated" = "2026-11-30" ] || { echo "consume-package: the installed tool translated to '$translated'" >&2; exit 1; }
