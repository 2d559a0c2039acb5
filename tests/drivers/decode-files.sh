#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# storectl decode against the reference reader on files made by real tools.
#
#   decode-files.sh STORECTL
#
# qrencode renders QR codes (a GS1 Digital Link with a signature-like
# base64url tail, a member code, UTF-8 text; several module sizes and
# margins); ImageMagick converts them to JPEG, PGM and PPM and rotates,
# blurs and scales some. Every file goes through `storectl decode --json`
# and through ZXingReader (zxing-cpp-tools, QR only): storectl must read
# every file ZXingReader reads, with the same payload. Also checks the JSON
# shape, the tab-separated output and the exit codes. Needs qrencode,
# ImageMagick's convert, ZXingReader and jq.
set -euo pipefail

storectl=${1:?usage: decode-files.sh STORECTL}
for tool in qrencode convert ZXingReader jq; do
  command -v "$tool" >/dev/null || { echo "decode-files: $tool is not installed" >&2; exit 1; }
done
# /usr/bin/convert is ImageMagick itself; a shim earlier on PATH may forward to it.
convert=convert
[[ -x /usr/bin/convert ]] && convert=/usr/bin/convert

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

gs1='https://id.gs1.org/01/09506000134352/21/ABC123?s=MEUCIQDxq9Vb-7n_Hk3GZ0sN5lYt2cWq1aPZ8uR4fXo0jKqB'
member='MEMBER:2:000123456:1767225600:Zm9vYmFyLWJhei1xdXV4'
utf8='Kaffee café € 咖啡'
qrencode -o gs1-s4-m4.png -s 4 -m 4 "$gs1"
qrencode -o gs1-s2-m2.png -s 2 -m 2 "$gs1"
qrencode -o gs1-s8-m10.png -s 8 -m 10 -l H "$gs1"
qrencode -o member-s3-m4.png -s 3 -m 4 "$member"
qrencode -o utf8-s5-m4.png -s 5 -m 4 "$utf8"
qrencode -o short-s6-m1.png -s 6 -m 1 '0123456789'

"$convert" gs1-s4-m4.png -quality 85 gs1-q85.jpg
"$convert" gs1-s4-m4.png -quality 30 gs1-q30.jpg
"$convert" member-s3-m4.png member.pgm
"$convert" gs1-s4-m4.png -colorspace sRGB -type TrueColor gs1.ppm
"$convert" gs1-s8-m10.png -background white -rotate 30 gs1-rot30.png
"$convert" gs1-s4-m4.png -rotate 90 gs1-rot90.png
"$convert" gs1-s8-m10.png -blur 0x2 gs1-blur.png
"$convert" gs1-s8-m10.png -resize 40% gs1-small.png
"$convert" utf8-s5-m4.png -fill gray60 -opaque black -fill gray85 -opaque white utf8-lowcontrast.png
# Two codes side by side, and a file with none.
"$convert" gs1-s4-m4.png member-s3-m4.png +append two-codes.png
"$convert" -size 320x240 xc:gray70 +noise Gaussian blank.png

files=(*.png *.jpg *.pgm *.ppm)

# The reference: ZXingReader's default (thorough) search, QR only, one file
# at a time (it stops at the first file it cannot read). One payload a line.
reference() {
  ZXingReader -format QRCode "$1" 2>/dev/null | sed -n 's/^Text: *"\(.*\)"$/\1/p' | sort
}

json=$("$storectl" decode --json "${files[@]}") || { fail "storectl decode exited $?"; json='[]'; }
jq -e 'type == "array" and all(.[]; (keys == ["file", "format", "payload"]) and .format == "QRCode")' \
  <<<"$json" >/dev/null || fail "storectl decode --json is not [{file,format,payload}]: $json"

read_by_ref=0
for f in "${files[@]}"; do
  want=$(reference "$f")
  got=$(jq -r --arg f "$f" '.[] | select(.file == $f) | .payload' <<<"$json" | sort)
  if [[ -n "$want" ]]; then
    read_by_ref=$((read_by_ref + 1))
    [[ "$got" == "$want" ]] || fail "$f: ZXingReader read [$want], storectl read [$got]"
  elif [[ -n "$got" ]]; then
    echo "note: $f: storectl read [$got], ZXingReader nothing" >&2
  fi
  echo "$f: ${got:-(no code)}"
done
# Every file but blank.png holds a code ZXingReader reads; fewer means the
# corpus is broken (ZXingReader 1.4 cannot even load some palette PNGs that
# ImageMagick writes: the comparison would pass on nothing).
[[ $read_by_ref -eq $((${#files[@]} - 1)) ]] ||
  fail "ZXingReader read only $read_by_ref of ${#files[@]} files: the corpus is broken"
[[ -z $(reference blank.png) ]] || fail "ZXingReader found a code in blank.png"
[[ $(jq '[.[] | select(.file == "two-codes.png")] | length' <<<"$json") -eq 2 ]] ||
  fail "two-codes.png: expected two codes"
[[ $(jq '[.[] | select(.file == "blank.png")] | length' <<<"$json") -eq 0 ]] ||
  fail "blank.png: expected no code"

# Plain output: FILE<TAB>FORMAT<TAB>PAYLOAD, one line per code.
plain=$("$storectl" decode gs1-s4-m4.png blank.png utf8-s5-m4.png) || fail "plain decode exited $?"
[[ "$plain" == "gs1-s4-m4.png"$'\t'"QRCode"$'\t'"$gs1"$'\n'"utf8-s5-m4.png"$'\t'"QRCode"$'\t'"$utf8" ]] ||
  fail "plain output: $plain"
# No code at all: an empty array, exit 0.
[[ $("$storectl" decode --json blank.png) == "[]" ]] || fail "blank.png alone is not []"

# Refusals: exit 3 with one line on stderr (or the error object on stdout).
expect_exit() {  # CODE DESCRIPTION COMMAND...
  local want=$1 what=$2
  shift 2
  local rc=0
  "$@" >out.txt 2>err.txt || rc=$?
  [[ $rc -eq $want ]] || fail "$what: exit $rc, want $want"
  echo "$what: exit $rc: $(cat err.txt out.txt)"
}
head -c 3000 /dev/urandom >garbage.png
expect_exit 3 "missing file" "$storectl" decode gs1-s4-m4.png missing.png
[[ $(wc -l <err.txt) -eq 1 && -s err.txt && ! -s out.txt ]] || fail "missing file: want one line on stderr, nothing on stdout"
grep -q 'missing.png' err.txt || fail "missing file: the reason does not name the file"
expect_exit 3 "missing file, json" "$storectl" decode --json missing.png
jq -e '.error.code == "not_found" and (.error.message | contains("missing.png"))' out.txt >/dev/null ||
  fail "missing file --json: $(cat out.txt)"
expect_exit 3 "not an image" "$storectl" decode garbage.png
[[ $(wc -l <err.txt) -eq 1 ]] || fail "not an image: want one line on stderr"
expect_exit 3 "not an image, json" "$storectl" decode --json garbage.png
jq -e '.error.code == "not_an_image"' out.txt >/dev/null || fail "garbage --json: $(cat out.txt)"
expect_exit 1 "unknown format" "$storectl" decode --format NoSuchFormat gs1-s4-m4.png
expect_exit 1 "no file" "$storectl" decode
expect_exit 0 "other format" "$storectl" decode --json --format DataMatrix gs1-s4-m4.png
[[ $(cat out.txt) == "[]" ]] || fail "--format DataMatrix found a QR code"

if [[ $failures -gt 0 ]]; then
  echo "decode-files: $failures failure(s)" >&2
  exit 1
fi
echo "decode-files: ${#files[@]} files, $read_by_ref read by ZXingReader, all read alike by storectl"
