#!/usr/bin/env bash
# A short fuzz run of every cargo-fuzz target, for CI: `bash core/fuzz/ci.sh` from anywhere.
#
# Builds every target of core/fuzz (`cargo fuzz list`), writes the seed corpora with seed.py into
# a temporary directory, and runs each target for FUZZ_SECONDS seconds (default 30) starting from
# its seeds. Fails (non-zero exit) on the first crash, panic, timeout (a unit slower than
# FUZZ_UNIT_TIMEOUT seconds, default 10) or out-of-memory (over FUZZ_RSS_MB, default 2048); the
# failing input is kept in core/fuzz/artifacts/<target>/ and the command to reproduce it printed.
#
# Environment:
#   FUZZ_SECONDS       seconds per target (default 30)
#   FUZZ_TARGETS       space-separated targets to run (default: all of `cargo fuzz list`)
#   FUZZ_SANITIZER     cargo-fuzz sanitizer: none (default; trailmatch forbids unsafe code, so the
#                      bounds checks of safe Rust already catch what AddressSanitizer would) or
#                      address
#   FUZZ_UNIT_TIMEOUT  seconds one input may take (default 10)
#   FUZZ_RSS_MB        memory limit in MB (default 2048)
#
# Needs rustup and python3 >= 3.11 (for tomllib); installs the nightly toolchain and cargo-fuzz
# when they are missing. Non-interactive, and safe to run again.
set -euo pipefail

fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$fuzz_dir/.."

seconds="${FUZZ_SECONDS:-30}"
sanitizer="${FUZZ_SANITIZER:-none}"
unit_timeout="${FUZZ_UNIT_TIMEOUT:-10}"
rss_mb="${FUZZ_RSS_MB:-2048}"

if ! command -v cargo >/dev/null 2>&1 && [ -f "${CARGO_HOME:-$HOME/.cargo}/env" ]; then
    # shellcheck disable=SC1091
    . "${CARGO_HOME:-$HOME/.cargo}/env"
fi
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:${PATH}"
for tool in rustup cargo python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "core/fuzz/ci.sh: $tool not found" >&2
        exit 1
    fi
done
python3 -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null \
    || { echo "core/fuzz/ci.sh: seed.py needs python3 >= 3.11 (tomllib)" >&2; exit 1; }

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "==> installing the nightly toolchain"
    rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "==> installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi
rustup run nightly rustc --version
cargo fuzz --version

echo "==> building the fuzz targets (sanitizer: $sanitizer)"
cargo +nightly fuzz build -s "$sanitizer"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "==> seeds"
python3 "$fuzz_dir/seed.py" --out "$work/seeds"

read -r -a targets <<<"${FUZZ_TARGETS:-$(cargo +nightly fuzz list | tr '\n' ' ')}"
for target in "${targets[@]}"; do
    echo "==> fuzzing $target for ${seconds}s"
    mkdir -p "$work/new/$target" "$work/seeds/$target"
    # New inputs go to the first (scratch) directory; the seeds are only read.
    if ! cargo +nightly fuzz run -s "$sanitizer" "$target" "$work/new/$target" "$work/seeds/$target" -- \
        -max_total_time="$seconds" -timeout="$unit_timeout" -rss_limit_mb="$rss_mb" \
        -print_final_stats=1 2>"$work/$target.log"; then
        tail -n 60 "$work/$target.log"
        echo "core/fuzz/ci.sh: $target FAILED; the input is in core/fuzz/artifacts/$target/ and" \
            "'cargo +nightly fuzz run -s $sanitizer $target <that file>' reproduces it" >&2
        exit 1
    fi
    grep -E '^#[0-9]+[[:space:]]+DONE|stat::(number_of_executed_units|average_exec_per_sec)' \
        "$work/$target.log" || true
done
echo "core/fuzz/ci.sh: ${#targets[@]} targets ran ${seconds}s each without a crash"
