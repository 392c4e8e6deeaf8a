#!/usr/bin/env bash
# Builds the in-browser pattern tester into bindings/wasm/dist/: `bash bindings/wasm/build.sh`.
#
# Installs what it needs when it is missing (safe to run again, non-interactive): the
# wasm32-unknown-unknown target (rustup) and wasm-bindgen-cli at exactly the version of the
# `wasm-bindgen` dependency pinned in bindings/wasm/Cargo.toml (cargo install). Then it builds the
# crate for wasm32 with the `wasm-release` profile (root Cargo.toml), generates the JavaScript glue and TypeScript
# definitions with `wasm-bindgen --target web`, copies the page (www/) beside them, and fails when
# the .wasm is over its budget.
#
# Serve dist/ with any static server, for example: python3 -m http.server -d bindings/wasm/dist
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/../.." && pwd)"
dist="${here}/dist"
crate="trailmatch-wasm"
profile="wasm-release"
budget=$((1500 * 1000)) # bytes: 1.5 MB

# A fresh rustup install puts cargo in ~/.cargo/bin without always adding it to PATH.
if ! command -v cargo >/dev/null 2>&1 && [ -f "${CARGO_HOME:-$HOME/.cargo}/env" ]; then
    # shellcheck disable=SC1091
    . "${CARGO_HOME:-$HOME/.cargo}/env"
fi
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:${PATH}"

# The pinned version: `wasm-bindgen = "=X.Y.Z"` in the crate's manifest.
version="$(sed -n 's/^wasm-bindgen = "=\([0-9][0-9.]*\)".*/\1/p' "${here}/Cargo.toml")"
if [ -z "${version}" ]; then
    echo "build.sh: no exact wasm-bindgen version (wasm-bindgen = \"=X.Y.Z\") in ${here}/Cargo.toml" >&2
    exit 1
fi

# --- tools ----------------------------------------------------------------------------------------
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    echo "build.sh: installing the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
fi

installed="$(wasm-bindgen --version 2>/dev/null || true)"
if [ "${installed}" != "wasm-bindgen ${version}" ]; then
    echo "build.sh: installing wasm-bindgen-cli ${version} (found: ${installed:-none}); this takes a few minutes once"
    cargo install wasm-bindgen-cli --version "${version}"
fi

# --- build ----------------------------------------------------------------------------------------
cd "${root}"
cargo build --target wasm32-unknown-unknown --profile "${profile}" -p "${crate}"
target_dir="${CARGO_TARGET_DIR:-${root}/target}"
wasm_in="${target_dir}/wasm32-unknown-unknown/${profile}/${crate//-/_}.wasm"

rm -rf "${dist}"
mkdir -p "${dist}"
# The name section (function names for stack traces) is a fifth of the module; panics still
# print their message and source location.
wasm-bindgen --target web --remove-name-section --remove-producers-section --out-dir "${dist}" "${wasm_in}"
cp -R "${here}/www/." "${dist}/"

wasm_out="${dist}/${crate//-/_}_bg.wasm"
size="$(wc -c <"${wasm_out}")"
echo "build.sh: ${wasm_out#"${root}/"} is ${size} bytes (budget ${budget})"
if [ "${size}" -gt "${budget}" ]; then
    echo "build.sh: the .wasm is over its budget of ${budget} bytes" >&2
    exit 1
fi
echo "build.sh: the tester is in ${dist#"${root}/"}/; serve it with: python3 -m http.server -d ${dist#"${root}/"}"
