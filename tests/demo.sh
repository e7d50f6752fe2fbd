#!/bin/sh
# make demo: replay the bundled sample captures with the demo configuration
# and show what exfild finds.
set -u
EXFILD=${1:-build/exfild}
for cap in jal-day benign-day egress-xff; do
	echo "== pcaps/$cap.pcap: $(sed -n "s/^- \`$cap.pcap\`: //p" pcaps/README.md | head -1)"
	"$EXFILD" -c conf/demo.yaml -r "pcaps/$cap.pcap" 2>"${TMPDIR:-/tmp}/exfild-demo.err"
	rc=$?
	grep -E 'alerts=' "${TMPDIR:-/tmp}/exfild-demo.err"
	[ $rc -eq 0 ] || { cat "${TMPDIR:-/tmp}/exfild-demo.err"; exit $rc; }
	echo
done
echo "The forensic table (who sent what to whom) of the JAL-like day:"
echo "  $EXFILD -c conf/demo.yaml --pairs -r pcaps/jal-day.pcap"
