#!/bin/sh
# Builds the SRTP packet core (srtp_core.c, our own code) to WebAssembly and embeds it in
# packages/srtp/src/wasm-binary.ts as base64, so the package loads it synchronously in Node and
# browsers alike without fetching a file. The output is committed; rebuild after editing the C.
#   Toolchain: Debian clang 14 + lld (apt-get install clang lld); no libc needed.
# Usage: wasm/srtp/build.sh [--check]   (--check: rebuild and compare with the committed file)
set -eu
DIR=$(cd "$(dirname "$0")" && pwd)
mode=build
[ "${1:-}" = "--check" ] && mode=check

# -msimd128: 128-bit lanes for GHASH table entries and the keystream XOR (every current browser
# and Node ≥ 16); -mbulk-memory: memcpy/memset become memory.copy/fill (no libc).
exec "$DIR/../embed.sh" wasm/srtp/build.sh "srtp core" wasm/srtp/srtp_core.c \
  packages/srtp/src/wasm-binary.ts SRTP_CORE_WASM_BASE64 "-O3 -msimd128 -mbulk-memory" "$mode" \
  -O3 -msimd128 -mbulk-memory -Wl,--no-entry -Wl,--export=__heap_base -Wl,--strip-all
