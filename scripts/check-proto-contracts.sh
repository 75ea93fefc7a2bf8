#!/usr/bin/env bash
# The wire contracts under proto/ (buf.yaml): `buf lint`, then `buf breaking` against the
# proto/ of an earlier commit, by default the previous one (HEAD~1: in CI, on main, the
# previous commit of main). On a branch, compare with where it started:
#   scripts/check-proto-contracts.sh main
# The earlier proto/ comes out of git with `git archive`, so buf needs no remote and no
# network; a breaking change fails (exit 100) with one line per break.
set -euo pipefail
cd "$(dirname "$0")/.."
against=${1:-HEAD~1}

npx --no-install buf lint
echo "proto: buf lint passed"

if ! git rev-parse -q --verify "$against^{commit}" >/dev/null; then
  # Only a repository with a single commit (or a depth-1 clone) lands here: say so loudly.
  echo "proto: WARNING no commit $against here (first commit or shallow clone): buf breaking not run" >&2
  exit 0
fi
previous=$(mktemp -d)
trap 'rm -rf "$previous"' EXIT
if git cat-file -e "$against:proto" 2>/dev/null; then
  git archive "$against" proto | tar -x -C "$previous"
  npx --no-install buf breaking --against "$previous/proto"
  echo "proto: buf breaking against $(git rev-parse --short "$against") passed (WIRE_JSON)"
else
  echo "proto: $against has no proto/: nothing to break"
fi
