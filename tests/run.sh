#!/usr/bin/env bash
# Runs every test of the project: `bash tests/run.sh` from anywhere.
#
# Needs only rustup and cargo; installs the rustfmt and clippy components when they are missing,
# and for the Spark tests pyspark (from PyPI) and Java 17 (Debian's openjdk-17-jre-headless, when
# `java` is missing). Safe to run again (nothing is installed twice) and non-interactive (CI=true,
# no stdin).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

start=$SECONDS
step=0
steps=15
current="setup"

trap 'status=$?; if [ "$status" -ne 0 ]; then echo; echo "tests/run.sh: FAILED at ${current} (exit ${status}) after $((SECONDS - start))s"; fi' EXIT

header() {
    step=$((step + 1))
    current="step ${step}/${steps}: $1"
    echo
    echo "==> [${step}/${steps}] $1"
}

# --- Toolchain ----------------------------------------------------------------------------------
# A fresh rustup install puts cargo in ~/.cargo/bin without always adding it to PATH.
if ! command -v cargo >/dev/null 2>&1 && [ -f "${CARGO_HOME:-$HOME/.cargo}/env" ]; then
    # shellcheck disable=SC1091
    . "${CARGO_HOME:-$HOME/.cargo}/env"
fi
if ! command -v cargo >/dev/null 2>&1; then
    echo "tests/run.sh: cargo not found; install Rust with rustup (https://rustup.rs) first" >&2
    exit 1
fi

echo "==> toolchain"
missing=()
cargo fmt --version >/dev/null 2>&1 || missing+=(rustfmt)
cargo clippy --version >/dev/null 2>&1 || missing+=(clippy)
if [ "${#missing[@]}" -gt 0 ]; then
    if ! command -v rustup >/dev/null 2>&1; then
        echo "tests/run.sh: ${missing[*]} missing and rustup not found to install it" >&2
        exit 1
    fi
    echo "installing rustup components: ${missing[*]}"
    rustup component add "${missing[@]}"
fi
rustc --version
cargo --version
cargo fmt --version
cargo clippy --version

# --- Python venv ---------------------------------------------------------------------------------
# Made first: the Rust tests of `scan --notify sns` (bindings/cli/tests/delivery.rs) run its moto
# server (moto[server]), and fail in CI without it.
# A venv at bindings/python/.venv (git-ignored) with the pinned test tools of
# bindings/python/requirements-test.txt (from PyPI); the package is installed with the README's
# command. Needs python3 >= 3.10 (PYTHON=... to choose another interpreter).
header "Python: venv bindings/python/.venv and bindings/python/requirements-test.txt"
python="${PYTHON:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then
    echo "tests/run.sh: $python not found; install Python 3.10 or newer (or set PYTHON)" >&2
    exit 1
fi
"$python" -c 'import sys; assert sys.version_info >= (3, 10), sys.version' \
    || { echo "tests/run.sh: the Python bindings need Python 3.10 or newer" >&2; exit 1; }
venv=bindings/python/.venv
if ! "$venv/bin/python" -c 'import pip' >/dev/null 2>&1; then
    rm -rf "$venv"
    "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check --no-input)
"${pip[@]}" install --quiet -r bindings/python/requirements-test.txt
"$venv/bin/python" --version

# --- Rust ---------------------------------------------------------------------------------------
header "cargo fmt --all -- --check"
cargo fmt --all -- --check

header "cargo clippy --workspace --all-targets -- -D warnings (and the application without its features)"
cargo clippy --workspace --all-targets -- -D warnings
# trailmatch-cloudtrail's readers sit behind default-on features; each build without them must hold.
cargo clippy -p trailmatch-cloudtrail --no-default-features -- -D warnings
for feature in gzip toml cloudformation terraform; do
    cargo clippy -p trailmatch-cloudtrail --no-default-features --features "$feature" -- -D warnings
done

header "cargo test --workspace"
cargo test --workspace

header "cargo doc --workspace --no-deps (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

# Criterion's test mode: builds the benches with the bench profile and runs each one once.
header "cargo bench -p trailmatch-benches -- --test"
cargo bench -p trailmatch-benches -- --test

# A short run of every cargo-fuzz target from its seed corpus (nightly; installs cargo-fuzz when
# missing). FUZZ_SECONDS per target, 30 by default; core/fuzz/README.md has the long runs.
header "fuzz: every target for ${FUZZ_SECONDS:-30} s (core/fuzz/ci.sh)"
bash core/fuzz/ci.sh

# --- Python bindings (bindings/python) ----------------------------------------------------------
# The package is built once, as the wheel users install (`maturin build --release`: abi3, one
# wheel for Python 3.10+, manylinux), and that wheel goes into this venv and the Spark venv below.
header "Python: maturin build --release (the abi3 wheel), installed into bindings/python/.venv"
rm -rf target/wheels
(cd bindings/python && .venv/bin/maturin build --release --quiet --out ../../target/wheels)
wheels=(target/wheels/trailmatch-*-abi3-*manylinux*.whl)
if [ "${#wheels[@]}" -ne 1 ] || [ ! -f "${wheels[0]}" ]; then
    echo "tests/run.sh: expected one abi3 manylinux wheel in target/wheels, found: ${wheels[*]}" >&2
    exit 1
fi
wheel="${wheels[0]}"
echo "built ${wheel}"
"${pip[@]}" install --quiet --force-reinstall --no-deps "$wheel"
"$venv/bin/python" -c 'import trailmatch; print("trailmatch", trailmatch.__version__, "from", trailmatch.__file__)'

header "Python: pytest bindings/python/tests"
# Exit status 5 (no test collected) is a failure like any other non-zero status.
(cd bindings/python && .venv/bin/python -m pytest -p no:cacheprovider tests)

header "Python: mypy.stubtest trailmatch, mypy --strict"
# stubtest checks the installed package's stubs against the runtime; run it away from the source
# tree so that `trailmatch` is the installed package.
stubtest_dir="$(mktemp -d)"
(cd "$stubtest_dir" && "$OLDPWD/$venv/bin/python" -m mypy.stubtest trailmatch)
rm -rf "$stubtest_dir"
(cd bindings/python && .venv/bin/python -m mypy)

# --- trailmatch.spark on Apache Spark -----------------------------------------------------------
# The Spark tests (bindings/python/tests/test_spark.py) run from the wheel built above, installed
# into a venv of its own (bindings/python/.venv-spark, git-ignored) with the pinned pyspark, and
# with no Rust toolchain on PATH: what a Glue or EMR job has. Needs Java 17 (Debian's
# openjdk-17-jre-headless, installed when `java` is missing). One local[2] SparkSession serves
# every test.
header "Spark: pyspark (bindings/python/requirements-spark.txt), Java 17, the Spark tests from the wheel"
if ! command -v java >/dev/null 2>&1; then
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
    echo "installing Debian's openjdk-17-jre-headless"
    "${sudo[@]}" apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q openjdk-17-jre-headless
fi
java -version 2>&1 | head -1
spark_venv=bindings/python/.venv-spark
if ! "$spark_venv/bin/python" -c 'import pip' >/dev/null 2>&1; then
    rm -rf "$spark_venv"
    "$python" -m venv "$spark_venv"
fi
spark_pip=("$spark_venv/bin/python" -m pip --disable-pip-version-check --no-input)
"${spark_pip[@]}" install --quiet -r bindings/python/requirements-spark.txt
"${spark_pip[@]}" install --quiet --force-reinstall --no-deps "$wheel"
spark_python="$PWD/$spark_venv/bin/python"
# No cargo, rustc or rustup on this PATH: the wheel alone is what the tests use.
spark_path="$PWD/$spark_venv/bin:/usr/local/bin:/usr/bin:/bin"
if env PATH="$spark_path" sh -c 'command -v cargo || command -v rustc' >/dev/null 2>&1; then
    echo "tests/run.sh: a Rust toolchain is on the Spark tests' PATH ($spark_path)" >&2
    exit 1
fi
spark_start=$SECONDS
(cd bindings/python && env PATH="$spark_path" PYSPARK_PYTHON="$spark_python" \
    PYSPARK_DRIVER_PYTHON="$spark_python" TRAILMATCH_SPARK_REQUIRED=1 \
    "$spark_python" -m pytest -p no:cacheprovider -W ignore::DeprecationWarning tests/test_spark.py)
echo "Spark tests: $((SECONDS - spark_start))s"

# --- WebAssembly bindings (bindings/wasm) -------------------------------------------------------
# The in-browser pattern tester. Installs when missing: Debian's chromium (apt-get, as root or with
# sudo), the page tests' npm packages (npm ci, bindings/wasm/node_modules, git-ignored), and, through
# build.sh, the wasm32-unknown-unknown target and wasm-bindgen-cli at the crate's pinned version
# (a few minutes, once). Needs node and npm.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:${PATH}"

header "WebAssembly: Chromium, node and bindings/wasm's npm packages"
for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "tests/run.sh: $tool not found; the page tests need Node.js 20 or newer with npm" >&2
        exit 1
    fi
done
if [ ! -x /usr/bin/chromium ] && [ -z "${CHROMIUM:-}" ]; then
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
    echo "installing Debian's chromium"
    "${sudo[@]}" apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
fi
"${CHROMIUM:-/usr/bin/chromium}" --version
node --version
(cd bindings/wasm && npm ci --no-audit --no-fund)

header "WebAssembly: bindings/wasm/build.sh (the tester in bindings/wasm/dist)"
bash bindings/wasm/build.sh

header "WebAssembly: clippy for wasm32, and the conformance cases in Node (wasm-bindgen-test)"
cargo clippy --target wasm32-unknown-unknown -p trailmatch-wasm --all-targets -- -D warnings
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test --target wasm32-unknown-unknown -p trailmatch-wasm -- --nocapture

# report.test.mjs also opens `trailmatch scan --format html`'s page (made with the debug build,
# `cargo run -p trailmatch-cli`) in Chromium.
header "WebAssembly: the page's tests in Node and headless Chromium, and the HTML scan report (bindings/wasm: npm test)"
(cd bindings/wasm && npm test)

current="done"
echo
echo "tests/run.sh: all ${steps} steps passed in $((SECONDS - start))s"
