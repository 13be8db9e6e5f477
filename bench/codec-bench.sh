#!/usr/bin/env bash
# Throughput of our payload codecs (LZF, CRC-32, SHA-256) on 1 MiB blocks of text-like and of
# random data, next to common command-line tools on the same files:
#   lzf-compress   vs  gzip -1            lzf-decompress  vs  gzip -d (of the gzip -1 output)
#   crc32          vs  cksum (POSIX CRC)  sha256          vs  sha256sum
#
#   bench/codec-bench.sh [MIB] [SECONDS]
#
# MIB: size of each data file (default 64); SECONDS: measuring time per Java figure (default 2).
# Figures are MB/s with 1 MB = 10^6 bytes. Tool figures are whole-file, single process, best of
# three, reading from the page cache (start-up included); ratio = ours / tool's. The LZF line
# "lzf-size" is compressed/original (gzip's is printed beside it).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
mib=${1:-64}
seconds=${2:-2}

classes="$here/common/target/classes"
test_classes="$here/common/target/test-classes"
bench_class="$test_classes/org/hast/codec/CodecBench.class"
if [[ ! -f "$bench_class" \
      || -n "$(find "$here/common/src" -name '*.java' -newer "$bench_class" -print -quit)" ]]; then
    echo "building common test classes..." >&2
    (cd "$here" && mvn -B -q -pl common test-compile) >&2
fi
cp="$classes:$test_classes"   # common's main code needs no runtime dependency for this

work=$(mktemp -d "${TMPDIR:-/tmp}/codec-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
java -cp "$cp" org.hast.codec.CodecBench generate "$work" "$mib"
bytes=$((mib * 1048576))

# MB/s of a command over $bytes of input, best of three runs.
tool_rate() {
    local best=0 t0 t1 rate
    for _ in 1 2 3; do
        t0=$(date +%s%N)
        "$@" > /dev/null
        t1=$(date +%s%N)
        rate=$(awk -v b="$bytes" -v ns="$((t1 - t0))" 'BEGIN { printf "%.1f", b / (ns / 1e9) / 1e6 }')
        best=$(awk -v a="$best" -v b="$rate" 'BEGIN { print (b > a) ? b : a }')
    done
    echo "$best"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }

echo "java: $(java -version 2>&1 | head -1); cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') x $(nproc)"
printf '%-22s %9s   %-12s %9s %8s\n' "figure" "MB/s" "tool" "MB/s" "ratio"
for kind in text random; do
    file="$work/$kind.bin"
    gzip -1 -c "$file" > "$work/$kind.gz"
    gz_size=$(awk -v a="$(stat -c %s "$work/$kind.gz")" -v b="$bytes" 'BEGIN { printf "%.3f", a / b }')
    gzip_c=$(tool_rate gzip -1 -c "$file")
    gzip_d=$(tool_rate gzip -d -c "$work/$kind.gz")
    cksum_r=$(tool_rate cksum "$file")
    sha_r=$(tool_rate sha256sum "$file")
    java -cp "$cp" org.hast.codec.CodecBench run "$file" "$seconds" | while read -r name op value; do
        case "$op" in
            lzf-ratio) printf '%-22s %9s   %-12s %9s\n' "$name lzf-size" "$value" "gzip-1 size" "$gz_size" ;;
            lzf-compress) printf '%-22s %9s   %-12s %9s %8s\n' "$name $op" "$value" "gzip -1" "$gzip_c" "$(ratio "$value" "$gzip_c")" ;;
            lzf-decompress) printf '%-22s %9s   %-12s %9s %8s\n' "$name $op" "$value" "gzip -d" "$gzip_d" "$(ratio "$value" "$gzip_d")" ;;
            crc32) printf '%-22s %9s   %-12s %9s %8s\n' "$name $op" "$value" "cksum" "$cksum_r" "$(ratio "$value" "$cksum_r")" ;;
            sha256) printf '%-22s %9s   %-12s %9s %8s\n' "$name $op" "$value" "sha256sum" "$sha_r" "$(ratio "$value" "$sha_r")" ;;
        esac
    done
done
