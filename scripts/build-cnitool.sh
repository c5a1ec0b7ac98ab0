#!/usr/bin/env bash
# Builds dist/tools/mini-cnitool (a libcni-based CNI client used by the CNI tests) offline with
# Debian's golang-go and golang-github-appc-cni-dev (GOPATH mode, no module downloads).
# Idempotent: does nothing when the binary is newer than its source.
set -euo pipefail
cd "$(dirname "$0")/.."
src=tools/mini-cnitool/main.go
out=dist/tools/mini-cnitool
if [ -x "$out" ] && [ "$out" -nt "$src" ]; then exit 0; fi
if ! command -v go >/dev/null 2>&1 || [ ! -d /usr/share/gocode/src/github.com/containernetworking/cni ]; then
  echo "build-cnitool: needs Debian packages golang-go and golang-github-appc-cni-dev (run scripts/bootstrap)" >&2
  exit 1
fi
mkdir -p dist/tools
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$src" "$work/main.go"
gocache=${GOCACHE:-$PWD/dist/tools/.gocache}
( cd "$work" && GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off GOFLAGS= GOCACHE="$gocache" CGO_ENABLED=0 \
    go build -o "$work/mini-cnitool" main.go )
mv "$work/mini-cnitool" "$out"
echo "build-cnitool: built $out"
