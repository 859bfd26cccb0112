#!/usr/bin/env bash
# Installs what a bare Debian machine lacks to build and test forecast:
# OpenBLAS, libcsv and pkg-config (Debian packages), and with --mpi Open MPI. Idempotent;
# silent when all is present.
set -euo pipefail

# --mpi also installs Open MPI, for the opt-in multi-process package in MPI/.
pkgs=(libopenblas-dev libcsv-dev pkg-config)
[ "${1:-}" = "--mpi" ] && pkgs+=(libopenmpi-dev openmpi-bin)
need=()
for pkg in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "setup: the Swift toolchain (6.1 or newer) is required and was not found on PATH" >&2
  exit 1
fi
