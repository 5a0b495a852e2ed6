#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# After the suite: kmemleak finds nothing of ntcorral's unreferenced. Runs
# last; on kernels without kmemleak it skips.
km=/sys/kernel/debug/kmemleak
if [ ! -w $km ]; then
	echo "1..0 # SKIP no kmemleak in this kernel"
	exit 4
fi
echo "TAP version 13"
echo "1..1"
# An object must be older than kmemleak's minimum age to be reported.
echo scan >$km
sleep 6
echo scan >$km
leaks=$(awk '/^unreferenced object/ { if (obj != "" && hit) n++; obj = $0; hit = 0 }
	/ntcorral/ { hit = 1 }
	END { if (obj != "" && hit) n++; print n + 0 }' $km)
total=$(grep -c '^unreferenced object' $km)
echo "# kmemleak: $total unreferenced objects in all, $leaks with ntcorral in their trace"
if [ "$leaks" -eq 0 ]; then
	echo "ok 1 kmemleak.nothing_of_ntcorral_leaked"
else
	grep -A20 ntcorral $km | sed 's/^/# /' | head -60
	echo "not ok 1 kmemleak.nothing_of_ntcorral_leaked"
fi
