#!/usr/bin/env bash
# Installs what the real-VS-Code tests need, offline-friendly and idempotent:
#   - Debian packages: chromium (the browser playwright-core drives), ripgrep (pre-seeds @vscode/ripgrep),
#     libkrb5-dev (kerberos native module of code-server), plus build headers
#   - code-server@4.100.3 from npm (VS Code 1.100.3 server), with --no-save (never a runtime dependency)
# Each step is skipped when its result is already there. See docs/real-vscode-testing.md (shared).
set -euo pipefail

cd "$(dirname "$0")/.."

CODE_SERVER_VERSION=4.100.3
RG_CACHE_NAME=vscode-ripgrep-cache-1.15.11
RG_TARBALL=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz

log() { printf '[install-test-deps] %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else "$@"; fi
}

# 1. Debian packages ---------------------------------------------------------------------------------
APT_PACKAGES=(chromium ripgrep libkrb5-dev pkg-config libsecret-1-dev libxkbfile-dev libx11-dev make g++ python3)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -q
  as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  log "Debian packages already installed"
fi

# 2. code-server -------------------------------------------------------------------------------------
installed_version() {
  node -p 'try { require("code-server/package.json").version } catch { "" }' 2>/dev/null || true
}

code_server_works() {
  [ -x node_modules/.bin/code-server ] || return 1
  # The native modules it needs at start-up must load.
  node -e '
    const path = require("path");
    const root = path.dirname(require.resolve("code-server/package.json"));
    const vs = path.join(root, "lib/vscode/node_modules");
    for (const m of ["@vscode/spdlog", "node-pty", "kerberos"]) {
      try { require(path.join(vs, m)); } catch (e) { console.error("cannot load " + m + ": " + e.message); process.exit(1); }
    }' || return 1
  timeout 60 node_modules/.bin/code-server --version >/dev/null 2>&1 || return 1
}

if [ "$(installed_version)" = "$CODE_SERVER_VERSION" ] && code_server_works; then
  log "code-server $CODE_SERVER_VERSION already installed and working"
else
  # @vscode/ripgrep downloads rg from the internet in its postinstall; pre-seed its cache with Debian's rg.
  # The cache folder follows os.tmpdir(), so it is computed by node with the same TMPDIR as npm install.
  tmp="$(node -p 'require("os").tmpdir()')"
  cache="$tmp/$RG_CACHE_NAME"
  if [ ! -s "$cache/$RG_TARBALL" ]; then
    log "pre-seeding the ripgrep cache in $cache"
    stage="$(mktemp -d)"
    mkdir -p "$cache"
    cp "$(command -v rg)" "$stage/rg"
    tar czf "$cache/$RG_TARBALL" -C "$stage" rg
    rm -rf "$stage"
  fi
  log "npm install --no-save code-server@$CODE_SERVER_VERSION"
  # code-server's postinstall refuses to run as root without unsafe-perm (npm 11 no longer knows the
  # option and warns, but passes it on in the environment), builds lib/vscode's native modules and runs
  # `npx node-gyp` (npm_config_yes answers npx).
  npm_config_unsafe_perm=true npm_config_yes=true npm_config_ignore_scripts=false \
    npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false \
    npm install --no-save "code-server@$CODE_SERVER_VERSION"
  if ! code_server_works; then
    # A npm that held back the install scripts: run code-server's postinstall (it installs and builds
    # lib/vscode's native modules) explicitly.
    log "code-server's native modules are missing; running its install script (npm rebuild)"
    npm_config_unsafe_perm=true npm_config_yes=true npm_config_ignore_scripts=false npm rebuild code-server --foreground-scripts
  fi
  code_server_works || { log "code-server does not start"; exit 1; }
  log "code-server $(installed_version) ready"
fi

# 3. playwright-core is a devDependency (npm ci installs it); it only drives the system chromium.
if ! node -e 'require("playwright-core")' 2>/dev/null; then
  log "playwright-core missing: npm install --no-save playwright-core"
  npm install --no-save playwright-core
fi

log "done"
