# Sourced by scripts/run, scripts/test and scripts/bench: installs what a
# fresh Debian machine lacks, each step guarded so a second run is instant.
# Nothing here downloads from GitHub (it is unreachable on our build hosts).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CARGO_LEPTOS_VERSION=0.3.10

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  say "installing Debian packages: $*"
  as_root apt-get install -y "$@" >/dev/null 2>&1 || {
    as_root apt-get update >/dev/null
    as_root apt-get install -y "$@" >/dev/null
  }
}

# The wasm target, cargo-leptos, and a wasm-bindgen CLI of exactly the
# version in Cargo.lock (cargo-leptos would otherwise download one).
ensure_rust_tools() {
  command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup first (https://rustup.rs)" >&2; exit 1; }
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if ! command -v cargo-leptos >/dev/null; then
    say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 17 minutes on 2 cores, once)"
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
  fi
  local want
  want="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' "$ROOT/Cargo.lock")"
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
    say "installing wasm-bindgen-cli $want (must match Cargo.lock)"
    # Not --locked: its locked webpki-roots is no longer in the registry.
    cargo install wasm-bindgen-cli --version "$want" --force
  fi
}

# Node packages of end2end/: Playwright and binaryen's wasm-opt (Debian's
# binaryen is too old and produces a wasm that breaks in the browser).
ensure_node_packages() {
  command -v npm >/dev/null || apt_install nodejs npm
  if [ ! -x "$ROOT/end2end/node_modules/.bin/wasm-opt" ] || [ "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]; then
    say "installing node packages in end2end/"
    (cd "$ROOT/end2end" && npm ci --no-audit --no-fund >/dev/null)
  fi
  export PATH="$ROOT/end2end/node_modules/.bin:$PATH"
}

ensure_chromium() {
  command -v chromium >/dev/null || apt_install chromium
}

# Debian's own distro-info library (the code behind debian-distro-info and
# ubuntu-distro-info), for the test that compares its answers from our
# export with its answers from the source tables. It is a Debian package
# for the system Python, not on PyPI.
# promtool, for the alert rules' tests: Debian's prometheus package
# unpacked under target/tools, never installed (installing it would start a
# Prometheus server).
ensure_promtool() {
  command -v promtool >/dev/null && return 0
  local dir="$ROOT/target/tools/prometheus"
  [ -x "$dir/usr/bin/promtool" ] && return 0
  say "fetching promtool (Debian's prometheus package, unpacked under target/tools)"
  local tmp
  tmp=$(mktemp -d)
  if ! (cd "$tmp" && apt-get download prometheus >/dev/null 2>&1); then
    as_root apt-get update >/dev/null
    (cd "$tmp" && apt-get download prometheus >/dev/null 2>&1) || { rm -rf "$tmp"; return 1; }
  fi
  mkdir -p "$dir" && dpkg -x "$tmp"/prometheus_*.deb "$dir"
  rm -rf "$tmp"
}

ensure_distro_info() {
  [ -f /usr/lib/python3/dist-packages/distro_info.py ] || apt_install python3-distro-info
}

# AppStream's own validator (`appstreamcli validate`), which the AppStream
# export's test runs over our metainfo files.
ensure_appstream() {
  command -v appstreamcli >/dev/null || apt_install appstream
}
