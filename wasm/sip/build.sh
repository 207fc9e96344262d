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
# -fno-unroll-loops: the loops run a few times per line; unrolled, V8 runs about 29% more
# instructions per INVITE header section (and the module grows by a quarter). Small stack.
# Browsers compile it synchronously on the main thread (Chrome before 114 only up to 4 KB).
exec "$DIR/../embed.sh" wasm/sip/build.sh "sip header scanner" wasm/sip/header_scan.c \
  packages/sip/src/header-scan-wasm-binary.ts HEADER_SCAN_WASM_BASE64 "-O3 -fno-unroll-loops -msimd128" "$mode" \
  -O3 -fno-unroll-loops -msimd128 -Wl,--no-entry -Wl,--strip-all -Wl,-z,stack-size=4096
