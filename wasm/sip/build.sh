#!/bin/sh
# Builds the SIP header scanner (header_scan.c, our own code) to WebAssembly and embeds it in
# packages/sip/src/header-scan-wasm-binary.ts as base64 (see wasm/embed.sh). The output is
# committed; rebuild after editing the C.   Toolchain: Debian clang 14 + lld; no libc.
# Usage: wasm/sip/build.sh [--check]   (--check: rebuild and compare with the committed file)
set -eu
DIR=$(cd "$(dirname "$0")" && pwd)
mode=build
[ "${1:-}" = "--check" ] && mode=check

# -msimd128: 16-byte lanes for line ends and token checks (every current browser, Node ≥ 16).
# A small stack (the scanner has a few locals): the module must stay under the 4 KB browsers
# compile synchronously on the main thread.
exec "$DIR/../embed.sh" wasm/sip/build.sh "sip header scanner" wasm/sip/header_scan.c \
  packages/sip/src/header-scan-wasm-binary.ts HEADER_SCAN_WASM_BASE64 "-O3 -msimd128" "$mode" \
  -O3 -msimd128 -Wl,--no-entry -Wl,--strip-all -Wl,-z,stack-size=4096
