#!/bin/sh
# logcorpus.sh - the real proxy and Zeek logs in ../shared/corpus through the
# log parsers: every line of every file must come out as a record, a reject
# or a header (records + rejected + headers == the file's lines, counted by
# wc -l, plus an unterminated last line), and the files listed below must
# give exactly the counts listed. .gz files are read through zcat. Exits 77
# when the corpus is absent.
#   BUILD=build sh tests/e2e/logcorpus.sh      (build-san: ASan+UBSan driver)
set -eu
# shellcheck source=SCRIPTDIR/tally.sh
. "$(dirname "$0")/tally.sh"
BUILD=${BUILD:-build}
CORPUS=${CORPUS:-../shared/corpus}
if [ ! -d "$CORPUS/proxylogs" ] && [ ! -d "$CORPUS/zeek-logs" ]; then
	skip_all logcorpus "$CORPUS absent"
fi

# elastic/integrations' extended Squid sample (see its README in the corpus
# INDEX): client port, request/reply header and body sizes, quoted headers.
EXTENDED='squid:%ts.%03tu %6tr %>a %>p %Ss/%03>Hs %<st %>st %<sh %>sh %<bs %rm %ru %rv %[un %Sh/%<a %<p %mt %ssl::bump_mode %ssl::>sni "%{Referer}>h" "%{User-Agent}>h" "%{Host}>h" "%{X-Forwarded-For}>h" %<tt %err_code'

# Exact expectations: path (under the corpus), records, rejected, headers.
# The Zeek btest baselines have their time stamps canonified to
# XXXXXXXXXX.XXXXXX: every data line is a bad_timestamp there.
EXPECT='
proxylogs/elastic-beats/access1.log 100 0 0
proxylogs/elastic-beats/access2.log 100 0 0
proxylogs/elastic-beats/access3.log 100 0 0
proxylogs/elastic-beats/access4.log 100 0 0
proxylogs/plaso/squid_access.log 8 0 0
proxylogs/elastic-integrations/squid/test-access-extensive.log 11 0 0
proxylogs/elastic-integrations/proxysg/proxy-main.log 0 17 0
proxylogs/bluecoat-elff-snippets/sgos5-2011-readme-excerpt.log 0 8 0
zeek-logs/testing/btest/Baseline/opt.basic/conn.log 0 34 10
zeek-logs/testing/btest/Baseline/opt.basic/http.log 0 14 10
zeek-logs/testing/btest/Baseline/opt.basic/dns.log 0 34 10
zeek-logs/testing/btest/Baseline/core.conn-size-flip/conn.log.ctu 0 2 1
zeek-logs/testing/btest/Baseline/core.conn-size-flip/conn.log.one-sided 0 3 1
slips/dataset/test9-mixed-zeek-dir/conn.log 576 0 0
slips/dataset/test9-mixed-zeek-dir/http.log 516 0 0
slips/dataset/test9-mixed-zeek-dir/ssl.log 0 205 0
slips/dataset/test10-mixed-zeek-dir/conn.log 141 1 8
slips/dataset/test14-malicious-zeek-dir/http.log 521 0 0
slips/dataset/test18-malicious-ctu-sme-11-win/zeek-labeled/conn.log.labeled 766 0 8
'

DRIVER=$BUILD/loglines
SAN=
[ "$BUILD" = build-san ] && SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
mkdir -p "$BUILD"
# shellcheck disable=SC2086
${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror $SAN -Iinclude \
    -o "$DRIVER" tests/bench/loglines.c src/logs/logparse_squid.c \
    src/logs/logparse_zeek.c src/util/netaddr.c src/util/util.c src/util/log.c

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
fail=0
files=0
# one line per check in a file: the loops below run in subshells
: >"$TMP/tally"
ok() { echo ok >>"$TMP/tally"; }
bad() { echo fail >>"$TMP/tally"; }

format_of() {
	case $1 in
	*/elastic-integrations/squid/*) printf '%s' "$EXTENDED" ;;
	proxylogs/*) printf 'squid' ;;
	*) printf 'zeek' ;;
	esac
}

# Lines as wc -l counts them, plus one for an unterminated last line.
line_count() {
	case $1 in
	*.gz) zcat "$1" >"$TMP/plain" ;;
	*) cat "$1" >"$TMP/plain" ;;
	esac
	n=$(wc -l <"$TMP/plain")
	if [ -s "$TMP/plain" ] && [ "$(tail -c 1 "$TMP/plain" | od -An -c | tr -d ' ')" != '\n' ]; then
		n=$((n + 1))
	fi
	echo "$n"
}

check_file() {
	rel=$1
	path=$CORPUS/$rel
	fmt=$(format_of "$rel")
	case $path in
	*.gz) zcat "$path" | "$DRIVER" count "$fmt" - >"$TMP/out" ;;
	*) "$DRIVER" count "$fmt" "$path" >"$TMP/out" ;;
	esac
	lines=$(line_count "$path")
	# shellcheck disable=SC2046 # the counts, split into words on purpose
	set -- $(sed -n '1s/[a-z]*=//gp' "$TMP/out")
	records=$2 rejected=$3 headers=$4
	sum=$((records + rejected + headers))
	status=ok
	if [ "$sum" -ne "$lines" ]; then
		status="FAIL (records+rejected+headers=$sum, wc -l=$lines)"
	fi
	want=$(printf '%s\n' "$EXPECT" | awk -v p="$rel" '$1 == p { print $2, $3, $4 }')
	if [ -n "$want" ] && [ "$want" != "$records $rejected $headers" ]; then
		status="FAIL (expected records/rejected/headers $want)"
	fi
	printf '%-80s lines=%-5s records=%-5s rejected=%-5s headers=%-3s %s\n' \
	    "$rel" "$lines" "$records" "$rejected" "$headers" "$status"
	sed -n '2,$p' "$TMP/out"
	case $status in ok) ok ;; *) fail=1; bad ;; esac
	files=$((files + 1))
}

cd_corpus_list() {
	(cd "$CORPUS" && find proxylogs zeek-logs slips/dataset -type f \
	    \( -name '*.log' -o -name '*.log.*' -o -name '*.gz' \) 2>/dev/null |
	    grep -v '\.pcap' | LC_ALL=C sort)
}

for rel in $(cd_corpus_list); do
	check_file "$rel"
done

# The btest baselines again with a real time stamp in place of the
# canonified one: then every data line is a record.
RESTORED='
zeek-logs/testing/btest/Baseline/opt.basic/conn.log 34
zeek-logs/testing/btest/Baseline/opt.basic/http.log 14
zeek-logs/testing/btest/Baseline/scripts.base.protocols.http.http-methods/http.log 49
zeek-logs/testing/btest/Baseline/scripts.base.protocols.http.http-connect/conn.log 1
zeek-logs/testing/btest/Baseline/scripts.base.protocols.http.http-connect/http.log 1
zeek-logs/testing/btest/Baseline/scripts.base.protocols.http.http-connect-with-header/conn.log 1
zeek-logs/testing/btest/Baseline/scripts.base.protocols.http.http-connect-with-header/http.log 1
'
printf '%s\n' "$RESTORED" | while read -r rel want; do
	if [ -z "$rel" ] || [ ! -f "$CORPUS/$rel" ]; then continue; fi
	got=$(sed 's/XXXXXXXXXX\.XXXXXX/1300000000.000000/' "$CORPUS/$rel" |
	    "$DRIVER" count zeek - | sed -n '1s/.* records=\([0-9]*\) rejected=\([0-9]*\).*/\1 \2/p')
	if [ "$got" = "$want 0" ]; then
		echo "restored ts: $rel: $want records"; ok
	else
		echo "restored ts: $rel: FAIL: records/rejected $got, expected $want 0"
		echo fail >"$TMP/failed"; bad
	fi
done

# A few records compared field by field: line number, format, record.
SPOT='
proxylogs/elastic-beats/access4.log 5 squid squid-log ts=1431966888.037000000 dur_ns=226448000000 client=::1 user="" method="CONNECT" host="drive.google.com" port=443 server=173.194.123.97 up=?0 down=907245 status=200 mime="" uid=""
proxylogs/elastic-beats/access2.log 1 squid squid-log ts=1035368729.430000000 dur_ns=371000000 client=210.8.79.228 user="" method="GET" host="www.fas.harvard.edu" port=80 server=- up=?0 down=2136 status=200 mime="image/jpeg" uid=""
slips/dataset/test14-malicious-zeek-dir/http.log 3 zeek zeek-http ts=75.391373000 dur_ns=0 client=10.0.2.15 user="" method="GET" host="relay.felk.cvut.cz" port=80 server=147.32.80.7 up=0 down=593 status=200 mime="" uid="C7PV2MIAhIMN249Sd"
slips/dataset/test18-malicious-ctu-sme-11-win/zeek-labeled/conn.log.labeled 9 zeek zeek-conn ts=1677024003.714845000 dur_ns=37629000 client=192.168.1.107 user="" method="" host="" port=5888 server=66.63.168.35 up=0 down=0 status=0 mime="" uid="C6SgKom3WB2KEL2ae"
'
printf '%s\n' "$SPOT" | while read -r rel n fmt want; do
	if [ -z "$rel" ] || [ ! -f "$CORPUS/$rel" ]; then continue; fi
	got=$("$DRIVER" dump "$fmt" "$CORPUS/$rel" | sed -n "${n}p")
	if [ "$got" = "$want" ]; then
		echo "record: $rel:$n ok"; ok
	else
		printf 'record: %s:%s: FAIL\n  got  %s\n  want %s\n' "$rel" "$n" "$got" "$want"
		echo fail >"$TMP/failed"; bad
	fi
done
[ ! -f "$TMP/failed" ] || fail=1

# The same log gzipped must give the same counts.
if [ -f "$CORPUS/proxylogs/elastic-beats/access1.log" ]; then
	gzip -c "$CORPUS/proxylogs/elastic-beats/access1.log" >"$TMP/access1.log.gz"
	a=$("$DRIVER" count squid "$CORPUS/proxylogs/elastic-beats/access1.log" | head -1)
	b=$(zcat "$TMP/access1.log.gz" | "$DRIVER" count squid - | head -1)
	if [ "$a" = "$b" ]; then
		echo "gzip: access1.log.gz counts as the plain file: $b"; ok
	else
		echo "gzip: FAIL: plain '$a' gz '$b'"
		fail=1; bad
	fi
fi

# Every expected file must have been seen.
for rel in $(printf '%s\n' "$EXPECT" | awk 'NF { print $1 }'); do
	if [ ! -f "$CORPUS/$rel" ]; then
		echo "missing from the corpus: $rel"
		fail=1; bad
	fi
done

tally logcorpus "$(awk '$1 == "ok" { n++ } END { print n + 0 }' "$TMP/tally")" \
    "$(awk '$1 == "fail" { n++ } END { print n + 0 }' "$TMP/tally")" "$files files"
if [ "$fail" -ne 0 ]; then
	echo "logcorpus: FAILED ($files files)"
	exit 1
fi
echo "logcorpus: $files files, every line accounted for"
