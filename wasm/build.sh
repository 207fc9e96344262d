#!/bin/sh
# Reproducible WebAssembly build of the codec libraries (`npm run build:wasm`).
#
# Sources are Debian bookworm's source packages (upstream tarballs, sha256-pinned below);
# the toolchain is Debian's clang 14 with wasi-libc:
#   apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32
# Outputs (committed, so `npm install` needs no C toolchain):
#   packages/codecs/wasm/{opus,speex,resampler}.wasm + SHA256SUMS
#   packages/codec-g729/wasm/g729.wasm + SHA256SUMS
#
# Usage: wasm/build.sh [--check] [--variant NAME] [--out DIR]
#   --check         build into a temporary directory and compare with the committed files
#   --variant NAME  O3 | O3-simd | O3-lto | O3-lto-simd | O3-simd-ext (default: the committed one)
#   --out DIR       write all .wasm files into DIR instead of the package folders
set -eu

# The variant the committed files are built with (fastest correct one; see BUILD-NOTES.md).
DEFAULT_VARIANT=O3-simd-ext

WASM_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$WASM_DIR/.." && pwd)
SRC="$WASM_DIR/src"
BUILD="$WASM_DIR/build"
CC=${CC_WASM:-clang}
JOBS=$(nproc 2>/dev/null || echo 2)

variant=$DEFAULT_VARIANT
out=""
check=0
while [ $# -gt 0 ]; do
  case "$1" in
    --check) check=1 ;;
    --variant) variant=$2; shift ;;
    --out) out=$2; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

# package version orig-tarball sha256 (Debian bookworm pool)
SOURCES="
opus 1.3.1-3 opus_1.3.1.orig.tar.gz 65b58e1e25b2a114157014736a3d9dfeaad8d41be1c8179866f144a2fb44ff9d
speex 1.2.1-2 speex_1.2.1.orig.tar.gz 4b44d4f2b38a370a2d98a78329fefc56a0cf93d1c1be70029217baae6628feea
speexdsp 1.2.1-1 speexdsp_1.2.1.orig.tar.gz 8c777343e4a6399569c72abc38a95b24db56882c83dbdb6c6424a5f4aeb54d3d
bcg729 1.1.1-2 bcg729_1.1.1.orig.tar.gz 68599a850535d1b182932b3f86558ac8a76d4b899a548183b062956c5fdc916d
"
POOL=${DEBIAN_POOL:-http://deb.debian.org/debian/pool/main}

fail() { echo "build.sh: $*" >&2; exit 1; }

command -v "$CC" >/dev/null || fail "$CC not found (apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32)"
[ -f /usr/lib/wasm32-wasi/libc.a ] || fail "wasi-libc not found (apt-get install wasi-libc)"

# --- fetch and verify ------------------------------------------------------------------
mkdir -p "$SRC"
echo "$SOURCES" | while read -r pkg version tarball sha; do
  [ -n "$pkg" ] || continue
  if [ ! -f "$SRC/$tarball" ]; then
    # `apt-get source` when deb-src is configured (apt checks the signed index), else the pool.
    if ! (cd "$SRC" && apt-get source --download-only "$pkg=$version" >/dev/null 2>&1 && [ -f "$tarball" ]); then
      first=$(printf %s "$pkg" | cut -c1)
      curl -fsSL -o "$SRC/$tarball.part" "$POOL/$first/$pkg/$tarball" || fail "cannot download $tarball"
      mv "$SRC/$tarball.part" "$SRC/$tarball"
    fi
  fi
  actual=$(sha256sum "$SRC/$tarball" | cut -d' ' -f1)
  [ "$actual" = "$sha" ] || fail "$tarball: sha256 $actual, expected $sha"
done

# --- extract -------------------------------------------------------------------------------
# A private work directory per run, so concurrent builds (e.g. two test runs) never collide.
WORK="$BUILD/$variant.$$"
trap 'rm -rf "$WORK"' EXIT
rm -rf "$WORK"
mkdir -p "$WORK/src"
for tarball in opus_1.3.1 speex_1.2.1 speexdsp_1.2.1 bcg729_1.1.1; do
  tar -xzf "$SRC/$tarball.orig.tar.gz" -C "$WORK/src"
done
S="$WORK/src"
O="$WORK/obj"

case "$variant" in
  O3) VFLAGS="-O3" ;;
  O3-simd) VFLAGS="-O3 -msimd128" ;;
  O3-lto) VFLAGS="-O3 -flto" ;;
  O3-lto-simd) VFLAGS="-O3 -flto -msimd128" ;;
  O3-simd-ext) VFLAGS="-O3 -msimd128 -mbulk-memory -mnontrapping-fptoint -msign-ext" ;;
  *) fail "unknown variant $variant" ;;
esac

# Deterministic output: no paths of this machine in the objects, no debug info, names stripped.
CFLAGS="--target=wasm32-wasi --sysroot=/usr $VFLAGS -mexec-model=reactor -DNDEBUG -DHAVE_CONFIG_H \
  -ffile-prefix-map=$WORK=. -ffile-prefix-map=$WASM_DIR=wasm -fno-ident -Wno-everything"
LDFLAGS="-Wl,--strip-all -Wl,-z,stack-size=262144 -Wl,--no-entry"

# Make-variable source lists (e.g. CELT_SOURCES in celt_sources.mk), one path per line.
mk_list() {
  awk -v var="$2" '
    !on && $0 ~ ("^" var "[ \t]*=") { on = 1; sub(/^[^=]*=/, "") }
    on { line = $0; cont = sub(/\\$/, "", line); n = split(line, w, " "); for (i = 1; i <= n; i++) print w[i]; if (!cont) on = 0 }
  ' "$1"
}

# compile LIBRARY INCLUDE-FLAGS FILE... : objects into $O/LIBRARY, in parallel.
compile() {
  lib=$1; includes=$2; shift 2
  mkdir -p "$O/$lib"
  for f in "$@"; do echo "$f"; done | xargs -P "$JOBS" -I{} sh -c '
    f={}; o="$0/$(echo "$f" | tr / _).o"
    cd "$1" && '"$CC"' '"$CFLAGS"' '"$includes"' -c "$f" -o "$o"' "$O/$lib" "$S" || fail "compiling $lib failed"
}

objects() { for f in "$@"; do printf '%s ' "$O/$lib/$(echo "$f" | tr / _).o"; done; }

link() {
  output=$1; shift
  # shellcheck disable=SC2086
  $CC $CFLAGS $LDFLAGS -o "$output" "$@"
}

echo "toolchain: $($CC --version | head -n1)"
echo "variant:   $variant ($VFLAGS)"

# --- opus ------------------------------------------------------------------------------------
OPUS="opus-1.3.1"
opus_files=$(
  cd "$S/$OPUS" && {
    mk_list celt_sources.mk CELT_SOURCES
    mk_list silk_sources.mk SILK_SOURCES
    mk_list silk_sources.mk SILK_SOURCES_FLOAT
    mk_list opus_sources.mk OPUS_SOURCES
    mk_list opus_sources.mk OPUS_SOURCES_FLOAT
  } | sed "s|^|$OPUS/|"
)
OPUS_INC="-I$WASM_DIR/config/opus -I$OPUS/include -I$OPUS/celt -I$OPUS/silk -I$OPUS/silk/float"
lib=opus
# shellcheck disable=SC2086
compile opus "$OPUS_INC" $opus_files
cp "$WASM_DIR/opus_glue.c" "$S/opus_glue.c"
compile opus "$OPUS_INC" opus_glue.c
# shellcheck disable=SC2046,SC2086
opus_objs="$(objects $opus_files opus_glue.c)"

# --- speex -----------------------------------------------------------------------------------
SPEEX="speex-1.2.1"
speex_files=$(cd "$S/$SPEEX/libspeex" && mk_list Makefile.am libspeex_la_SOURCES | grep '\.c$' | sed "s|^|$SPEEX/libspeex/|")
SPEEX_INC="-I$WASM_DIR/config/speex -I$SPEEX/include -I$SPEEX/include/speex"
lib=speex
case "$variant" in
  *simd*)
    # libspeex's own SSE code paths (_USE_SSE) in ltp.c, cb_search.c and vq.c, over an
    # SSE-to-WebAssembly-SIMD header: the same choice as Debian's build, bit for bit (the
    # interop test compares bitstreams). filters.c keeps its scalar loops, as Debian's does.
    sse_files=""
    plain_files=""
    for f in $speex_files; do
      case "$f" in
        */ltp.c | */cb_search.c | */vq.c) sse_files="$sse_files $f" ;;
        *) plain_files="$plain_files $f" ;;
      esac
    done
    # shellcheck disable=SC2086
    compile speex "-I$WASM_DIR/config/speex-simd -D_USE_SSE $SPEEX_INC" $sse_files
    # shellcheck disable=SC2086
    compile speex "$SPEEX_INC" $plain_files
    ;;
  *)
    # shellcheck disable=SC2086
    compile speex "$SPEEX_INC" $speex_files
    ;;
esac
cp "$WASM_DIR/speex_glue.c" "$S/speex_glue.c"
compile speex "$SPEEX_INC" speex_glue.c
# shellcheck disable=SC2086
speex_objs="$(objects $speex_files speex_glue.c)"

# --- speexdsp resampler ----------------------------------------------------------------------
DSP="speexdsp-1.2.1"
DSP_INC="-I$WASM_DIR/config/speexdsp -I$DSP/include -I$DSP/include/speex"
lib=resampler
resample_c="$DSP/libspeexdsp/resample.c"
case "$variant" in
  *simd*)
    # speexdsp selects its SIMD inner products with USE_SSE/USE_NEON and a header next to
    # resample.c; compile a copy of resample.c beside the WebAssembly SIMD version of that header.
    mkdir -p "$S/speexdsp-wasm-simd"
    cp "$S/$resample_c" "$S/speexdsp-wasm-simd/resample.c"
    cp "$WASM_DIR/resample_wasm_simd.h" "$S/speexdsp-wasm-simd/resample_sse.h"
    resample_c="speexdsp-wasm-simd/resample.c"
    DSP_INC="$DSP_INC -I$DSP/libspeexdsp -DUSE_SSE"
    ;;
esac
compile resampler "$DSP_INC" "$resample_c"
cp "$WASM_DIR/resampler_glue.c" "$S/resampler_glue.c"
compile resampler "$DSP_INC" resampler_glue.c
resampler_objs="$(objects "$resample_c" resampler_glue.c)"

# --- bcg729 ----------------------------------------------------------------------------------
BCG="bcg729-1.1.1"
bcg_files=$(cd "$S/$BCG/src" && mk_list Makefile.am libbcg729_la_SOURCES | grep '\.c$' | sed "s|^|$BCG/src/|")
BCG_INC="-I$WASM_DIR/config/bcg729 -I$BCG/include -I$BCG/src"
lib=g729
# shellcheck disable=SC2086
compile g729 "$BCG_INC" $bcg_files
cp "$WASM_DIR/g729_glue.c" "$S/g729_glue.c"
compile g729 "$BCG_INC" g729_glue.c
# shellcheck disable=SC2086
g729_objs="$(objects $bcg_files g729_glue.c)"

# --- link and install ------------------------------------------------------------------------
if [ $check -eq 1 ]; then
  out="$WORK/check"
fi
if [ -n "$out" ]; then
  codecs_out=$out
  g729_out=$out
else
  codecs_out="$ROOT/packages/codecs/wasm"
  g729_out="$ROOT/packages/codec-g729/wasm"
fi
mkdir -p "$codecs_out" "$g729_out"
# shellcheck disable=SC2086
link "$codecs_out/opus.wasm" $opus_objs
# shellcheck disable=SC2086
link "$codecs_out/speex.wasm" $speex_objs
# shellcheck disable=SC2086
link "$codecs_out/resampler.wasm" $resampler_objs
# shellcheck disable=SC2086
link "$g729_out/g729.wasm" $g729_objs

if [ $check -eq 1 ]; then
  status=0
  for pair in "$ROOT/packages/codecs/wasm:opus.wasm speex.wasm resampler.wasm" "$ROOT/packages/codec-g729/wasm:g729.wasm"; do
    dir=${pair%%:*}
    for f in ${pair#*:}; do
      if cmp -s "$dir/$f" "$out/$f"; then echo "reproduced $f: $(sha256sum "$out/$f" | cut -d' ' -f1)"
      else echo "DIFFERS    $f" >&2; status=1; fi
    done
  done
  exit $status
fi

if [ -z "$out" ]; then
  (cd "$codecs_out" && sha256sum opus.wasm speex.wasm resampler.wasm > SHA256SUMS)
  (cd "$g729_out" && sha256sum g729.wasm > SHA256SUMS)
fi
echo "built:"
for f in "$codecs_out/opus.wasm" "$codecs_out/speex.wasm" "$codecs_out/resampler.wasm" "$g729_out/g729.wasm"; do
  printf '  %-60s %8d bytes  sha256 %s\n' "${f#"$ROOT"/}" "$(wc -c < "$f")" "$(sha256sum "$f" | cut -d' ' -f1)"
done
