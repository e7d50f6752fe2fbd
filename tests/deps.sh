#!/bin/sh
# Installs what exfild needs to build and test, when it is missing.
# Debian/Ubuntu: apt-get (as root, or through sudo). Elsewhere: says what to install.
# "deps.sh check" adds the tools of the end-to-end tests (live capture in a
# network namespace with tcpreplay; the systemd unit checks).
set -u
what=${1:-build}
need_pkgs=""
have_pc() { pkg-config --exists "$1" 2>/dev/null; }
have_cmd() { command -v "$1" >/dev/null 2>&1; }

command -v pkg-config >/dev/null 2>&1 || need_pkgs="$need_pkgs pkg-config"
have_cmd cc || need_pkgs="$need_pkgs gcc"
have_cmd make || need_pkgs="$need_pkgs make"
have_pc libpcap || need_pkgs="$need_pkgs libpcap-dev"
have_pc libevent || need_pkgs="$need_pkgs libevent-dev"
have_pc zlib || need_pkgs="$need_pkgs zlib1g-dev"
have_pc yaml-0.1 || need_pkgs="$need_pkgs libyaml-dev"
have_pc libmaxminddb || need_pkgs="$need_pkgs libmaxminddb-dev"
have_pc libpsl || need_pkgs="$need_pkgs libpsl-dev"
# the Public Suffix List libpsl reads (registered domains: baseline.familiar_by)
[ -e /usr/share/publicsuffix/public_suffix_list.dafsa ] ||
    need_pkgs="$need_pkgs publicsuffix"
have_pc cmocka || need_pkgs="$need_pkgs libcmocka-dev"
have_cmd jq || need_pkgs="$need_pkgs jq"
have_cmd python3 || need_pkgs="$need_pkgs python3"
# the off-hours rule reads its zone from the system's tzdata
[ -e /usr/share/zoneinfo/Asia/Tokyo ] || need_pkgs="$need_pkgs tzdata"
if [ "$what" = check ]; then
	have_cmd tcpreplay || need_pkgs="$need_pkgs tcpreplay"
	have_cmd ip || need_pkgs="$need_pkgs iproute2"
	have_cmd systemd-analyze || need_pkgs="$need_pkgs systemd"
	have_cmd mandoc || need_pkgs="$need_pkgs mandoc"
	have_cmd rsyslogd || need_pkgs="$need_pkgs rsyslog"
	have_cmd squid || need_pkgs="$need_pkgs squid"
	have_cmd curl || need_pkgs="$need_pkgs curl"
	# tests/e2e/startup.sh and fresh.sh: namespaces and another user
	# (util-linux), a terminal (bsdutils: script), make install's user
	# (passwd: useradd)
	have_cmd unshare && have_cmd setpriv || need_pkgs="$need_pkgs util-linux"
	have_cmd script || need_pkgs="$need_pkgs bsdutils"
	have_cmd useradd || need_pkgs="$need_pkgs passwd"
	# tests/e2e/report.sh loads the HTML report in a headless browser
	have_cmd chromium || need_pkgs="$need_pkgs chromium"
fi
# the tests and make bench write MaxMind DB files (tests/mkmmdb.pl)
if [ "$what" = check ] || [ "$what" = bench ]; then
	perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null ||
	    need_pkgs="$need_pkgs libmaxmind-db-writer-perl"
	have_cmd mmdblookup || need_pkgs="$need_pkgs mmdb-bin"
fi

[ -z "$need_pkgs" ] && exit 0
echo "deps: missing:$need_pkgs"
if command -v apt-get >/dev/null 2>&1; then
	if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else SUDO="none"; fi
	if [ "$SUDO" != "none" ]; then
		export DEBIAN_FRONTEND=noninteractive
		$SUDO apt-get update -qq >/dev/null &&
		$SUDO apt-get install -y -qq --no-install-recommends $need_pkgs >/dev/null &&
		{ echo "deps: installed:$need_pkgs"; exit 0; }
		echo "deps: apt-get install failed" >&2
		exit 1
	fi
fi
echo "deps: please install:$need_pkgs (Debian package names; on other systems the equivalent libpcap, libevent, zlib, libyaml, libmaxminddb, libpsl and cmocka development packages)" >&2
exit 1
