# SPDX-License-Identifier: GPL-2.0
# lib.sh: the TAP helper of the ntcorral shell selftests (busybox sh).
#
# A test is begin NAME, then checks, then end:
#	begin list_names_shootdown
#	cl list                 # run the client: $out, $err files, $rc
#	expect_status 0
#	expect_out 'shootdown'  # extended regex, some line of stdout
#	end                     # "ok N PREFIX.NAME" or "not ok ..." with why
# Checks never stop the test: every failed one is reported under it.
# skip NAME REASON prints "ok N PREFIX.NAME # SKIP REASON".
# plan N prints the plan "1..N" up front (before the first result): finish
# then fails the program unless exactly N results came. Without it finish
# prints the plan at the end. run_tests.sh fails a program whose results do
# not match its plan, or that printed none (it ended early).
# finish exits non-zero if anything failed.
#
# Shell tests read the client's JSON with json_paths (busybox awk), other
# JSON with jq (vm.sh puts it in the VM).

ntc_n=0
ntc_failed=0
ntc_prefix=${ntc_prefix:-sh}
ntc_tmp=$(mktemp -d /tmp/ntcorral-test.XXXXXX) || exit 1
out=$ntc_tmp/out
err=$ntc_tmp/err
rc=0
ntc_cmd=
ntc_why=
ntc_name=
ntc_nobody=
ntc_nobody_client=
ntc_planned=

client=${NTCORRAL_CLIENT:-$(command -v ntcorral)}

# Runs that must be clean take the longest deadline and run budget: under
# QEMU TCG on a busy host a vCPU stalls, and runs take long.
# shellcheck disable=SC2034
slack="--deadline-us 1000000 --max-runtime-ms 30000"

# cl ARGS...: run the client, stdout to $out, stderr to $err, status in $rc
cl() {
	ntc_cmd="ntcorral $*"
	"$client" "$@" >"$out" 2>"$err" </dev/null
	rc=$?
}

# as_nobody ARGS...: the same, as uid/gid 65534 (needs ntc_nobody set up).
# The client runs from a copy anyone may execute: a build tree under a home
# directory of mode 0700 (Debian's default since bookworm) is not.
as_nobody() {
	ntc_cmd="(as $ntc_nobody) ntcorral $*"
	if [ -z "$ntc_nobody_client" ]; then
		ntc_nobody_dir=$(mktemp -d /tmp/ntcorral-nobody.XXXXXX) &&
			chmod 755 "$ntc_nobody_dir" &&
			cp "$client" "$ntc_nobody_dir/ntcorral" &&
			chmod 755 "$ntc_nobody_dir/ntcorral" &&
			ntc_nobody_client=$ntc_nobody_dir/ntcorral
	fi
	su -s /bin/sh "$ntc_nobody" -c "exec \"${ntc_nobody_client:-$client}\" $*" \
		>"$out" 2>"$err" </dev/null
	rc=$?
}

begin() {
	ntc_name=$1
	ntc_why=
	ntc_cmd=
}

fail() {
	ntc_why="$ntc_why
after '$ntc_cmd': $*"
}

expect_status() {
	[ "$rc" = "$1" ] || fail "exit status $rc, expected $1"
}

expect_out() {
	grep -Eq -- "$1" "$out" || fail "stdout has no line matching /$1/"
}

expect_no_out() {
	! grep -Eq -- "$1" "$out" || fail "stdout has a line matching /$1/"
}

expect_err() {
	grep -Eq -- "$1" "$err" || fail "stderr has no line matching /$1/"
}

expect_err_empty() {
	[ ! -s "$err" ] || fail "stderr is not empty"
}

expect_out_empty() {
	[ ! -s "$out" ] || fail "stdout is not empty"
}

# expect_one_error_line: stderr is exactly one line "ntcorral: ..."
expect_one_error_line() {
	[ "$(wc -l <"$err")" -eq 1 ] || fail "stderr has $(wc -l <"$err") lines, expected 1"
	grep -q '^ntcorral: ' "$err" || fail "stderr does not start with 'ntcorral: '"
}

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1 is '$2', expected '$3'"
}

end() {
	ntc_n=$((ntc_n + 1))
	if [ -z "$ntc_why" ]; then
		echo "ok $ntc_n $ntc_prefix.$ntc_name"
		return 0
	fi
	ntc_failed=$((ntc_failed + 1))
	echo "not ok $ntc_n $ntc_prefix.$ntc_name"
	echo "$ntc_why" | sed '/^$/d; s/^/# /'
	if [ -n "$ntc_cmd" ]; then
		echo "# last stdout:"
		head -n 40 "$out" 2>/dev/null | sed 's/^/#   /'
		echo "# last stderr:"
		head -n 10 "$err" 2>/dev/null | sed 's/^/#   /'
	fi
	return 1
}

skip() {
	ntc_n=$((ntc_n + 1))
	echo "ok $ntc_n $ntc_prefix.$1 # SKIP $2"
}

plan() {
	ntc_planned=$1
	echo "1..$1"
}

finish() {
	if [ -z "$ntc_planned" ]; then
		echo "1..$ntc_n"
	elif [ "$ntc_n" -ne "$ntc_planned" ]; then
		echo "# $ntc_prefix: planned $ntc_planned results, printed $ntc_n"
		ntc_failed=$((ntc_failed + 1))
	fi
	rm -rf "$ntc_tmp" ${ntc_nobody_dir:+"$ntc_nobody_dir"}
	[ "$ntc_failed" -eq 0 ]
	exit $?
}

# json_objects FILE: the top-level objects of a JSON array, one a line, with
# only their own scalar members: nested objects and arrays are left out, so
# ',"samples":20,' is the object's "samples" and nothing deeper. Compact
# (no whitespace outside strings); each line starts and ends with a comma.
json_objects() {
	jq -r '.[] | with_entries(select(.value | type != "object" and
		type != "array")) | tojson | "," + .[1:-1] + ","' "$1"
}

# json_paths FILE: every scalar of a JSON document as "PATH<TAB>VALUE",
# PATH the keys and array indexes from the top, joined by dots:
# "0.metrics.window.histogram.3.count<TAB>17"; strings unescaped, null as
# "null", numbers as written. Read a listing with json_path. The document
# must be laid out as the client prints it (nlohmann's dump(2): one key,
# scalar or bracket a line, empty containers as [] and {}); anything else
# is an error (exit 1, a message on stderr, nothing listed). One
# busybox awk, not jq: jq takes ~250 ms to start in the TCG VM (it compiles
# its builtins), busybox awk ~8 ms, and the tests list thousands of
# replies. json_paths_jq lists the same with jq, for a document of any
# layout (client_test.sh checks that the two agree).
json_paths() {
	awk '
	function fail(why) {
		printf "json_paths: %s line %d: %s\n", FILENAME, NR, why > "/dev/stderr"
		bad = 1
		exit 1
	}
	# the inside of a JSON string, unescaped as jq -r prints it
	function unq(s,   r, i, c, n) {
		if (index(s, "\\") == 0)
			return s
		r = ""
		n = length(s)
		for (i = 1; i <= n; i++) {
			c = substr(s, i, 1)
			if (c == "\\") {
				c = substr(s, ++i, 1)
				if (c == "n") c = "\n"
				else if (c == "t") c = "\t"
				else if (c == "r") c = "\r"
				else if (c == "b") c = "\b"
				else if (c == "f") c = "\f"
				else if (c == "u") { c = "\\u" substr(s, i + 1, 4); i += 4 }
			}
			r = r c
		}
		return r
	}
	{
		l = $0
		sub(/^[ \t]+/, "", l)
		sub(/,[ \t]*$/, "", l)
		if (l == "")
			next
		if (l == "]" || l == "}") {
			if (!depth)
				fail("a closing bracket with nothing open")
			depth--
			next
		}
		if (!depth) {
			if (l == "[]" || l == "{}")
				next
			if (l != "[" && l != "{")
				fail("not JSON indented one value a line: " l)
			depth = 1; kind[1] = l; pre[1] = ""; idx[1] = 0
			next
		}
		if (kind[depth] == "{") {
			if (!match(l, /^"([^"\\]|\\.)*": /))
				fail("no key: " l)
			k = unq(substr(l, 2, RLENGTH - 4))
			v = substr(l, RLENGTH + 1)
		} else {
			k = idx[depth]++
			v = l
		}
		p = depth == 1 ? k : pre[depth] "." k
		if (v == "[" || v == "{") {
			depth++; kind[depth] = v; pre[depth] = p; idx[depth] = 0
			next
		}
		if (v == "[]" || v == "{}")
			next
		if (v ~ /^"/) {
			if (v !~ /^"([^"\\]|\\.)*"$/)
				fail("not one string: " v)
			v = unq(substr(v, 2, length(v) - 2))
		} else if (v !~ /^(-?[0-9][0-9.eE+-]*|true|false|null)$/)
			fail("not a scalar: " v)
		line[++n] = p "\t" v
	}
	END {
		if (bad)
			exit 1
		if (depth)
			fail("the document ends inside a bracket")
		for (i = 1; i <= n; i++)
			print line[i]
	}
	' "$1"
}

# json_paths_jq FILE: json_paths by jq (which prints integers past 2^53
# rounded)
json_paths_jq() {
	jq -r 'path(.. | select(type != "object" and type != "array")) as $p |
		[($p | map(tostring) | join(".")), (getpath($p) | tostring)] |
		join("\t")' "$1"
}

# json_path LISTING PATH: the value at PATH in a json_paths listing; empty
# when it is missing or null
json_path() {
	awk -F '\t' -v k="$2" '$1 == k { if ($2 != "null") print $2; exit }' "$1"
}

# result PATH: PATH in the first result of the last --json output ($out):
# "violations", "counters.lost"; empty when missing or null. $out is
# listed again only when it differs from the copy listed last (files, not
# variables: result runs in command substitutions, whose variables do not
# come back).
result() {
	if ! cmp -s "$out" "$ntc_tmp/result.src"; then
		cp "$out" "$ntc_tmp/result.src"
		json_paths "$out" >"$ntc_tmp/result.paths" 2>/dev/null
	fi
	json_path "$ntc_tmp/result.paths" "0.$1"
}

# json_valid_array FILE: the whole file parses as one JSON array
json_valid_array() {
	jq -e 'type == "array"' "$1" >/dev/null 2>&1
}

# online_cpus: how many CPUs are online
online_cpus() {
	awk -F, '{
		for (i = 1; i <= NF; i++) {
			if (split($i, r, "-") == 2) n += r[2] - r[1] + 1
			else n++
		}
		print n
	}' /sys/devices/system/cpu/online
}

module_loaded() {
	grep -q '^ntcorral ' /proc/modules
}

# load_module: insmod $NTCORRAL_KO; status in $rc, its stderr in $err
load_module() {
	ntc_cmd="insmod $NTCORRAL_KO"
	insmod "$NTCORRAL_KO" 2>"$err"
	rc=$?
}

# unload_module: rmmod, retried for up to 10 s while the module is briefly
# in use (a client's socket closing); status in $rc, its stderr in $err
unload_module() {
	ntc_cmd="rmmod ntcorral"
	ntc_tries=0
	while :; do
		rmmod ntcorral 2>"$err" && { rc=0; return; }
		rc=$?
		ntc_tries=$((ntc_tries + 1))
		[ $ntc_tries -lt 100 ] || return
		sleep 0.1
	done
}

# expect_unloaded: gone from /proc/modules, its debugfs directory too
expect_unloaded() {
	! module_loaded || fail "still in /proc/modules"
	[ ! -e "$ntc_debugfs" ] || fail "$ntc_debugfs is still there"
}

# reload_module: unload (gone whole), load again; each must succeed
reload_module() {
	unload_module
	expect_status 0
	expect_unloaded
	load_module
	expect_status 0
}

# require_root_client_module [ko]: the common preconditions of a test that
# runs the client as root against the loaded module (loading $NTCORRAL_KO
# if it is not); with "ko", the module file too (a test that unloads and
# reloads it); otherwise a whole-program SKIP with the reason, exit 4
require_root_client_module() {
	if [ "$(id -u)" != 0 ]; then
		echo "1..0 # SKIP needs root"
		exit 4
	fi
	if [ -z "$client" ] || [ ! -x "$client" ]; then
		echo "1..0 # SKIP the client (ntcorral) is not on PATH"
		exit 4
	fi
	if [ "$1" = ko ] && { [ -z "$NTCORRAL_KO" ] || [ ! -f "$NTCORRAL_KO" ]; }; then
		echo "1..0 # SKIP no module file in \$NTCORRAL_KO"
		exit 4
	fi
	if ! module_loaded; then
		if [ -z "$NTCORRAL_KO" ] || ! insmod "$NTCORRAL_KO"; then
			echo "1..0 # SKIP the module is not loaded and \$NTCORRAL_KO does not load"
			exit 4
		fi
	fi
}

# ---- what the module's variants are ----------------------------------------

# What each variant is on this kernel is the module's to say, in LIST:
# - wrong: deliberately wrong (its hazard is the lesson: violations and
#   IRQL assertions are what it is for);
# - defect: a literal port with a documented, counted defect
#   (ipi_barrier/lockflag's phase 1 before every CPU arrived;
#   exclusivity/seed's offline-CPU defect);
# - baseline: the experiment's correct reference (spinlock's is irqsave,
#   or raw on PREEMPT_RT);
# - refused: not run on this kernel, with the sentence why (spinlock/irqsave
#   on PREEMPT_RT, where a spinlock_t sleeps).
# `ntcorral list --json` shows them; variants_from reads them once, then
# is_wrong, has_hazard, waits_in_irq, is_refused, baseline_of and
# list_variants answer.
# Until then no variant is any of them.
ntc_wrong_variants=
ntc_hazard_variants=
ntc_irq_waiter_variants=
ntc_refused_variants=
ntc_baselines=
ntc_list_json=

# variants_from [LIST_JSON]: read the module's flags from LIST_JSON (kept
# as $ntc_tmp/list.json), or from `ntcorral list --json` when none is given;
# fails (and says so) when the list has none, e.g. an older module
variants_from() {
	if [ $# -eq 0 ]; then
		"$client" list --json >"$ntc_tmp/list.json" 2>"$ntc_tmp/list.err" || {
			echo "# ntcorral list --json failed: $(cat "$ntc_tmp/list.err")" >&2
			return 1
		}
	elif [ "$1" != "$ntc_tmp/list.json" ]; then
		# kept: the caller's file may be $out, which the next cl overwrites
		cp "$1" "$ntc_tmp/list.json" || return 1
	fi
	set -- "$ntc_tmp/list.json"
	variant_table "$1" >"$ntc_tmp/variants" 2>"$ntc_tmp/variants.err" || {
		echo "# $1: cannot read the variants: $(head -n 1 "$ntc_tmp/variants.err")" >&2
		return 1
	}
	if [ ! -s "$ntc_tmp/variants" ] || grep -q ' -' "$ntc_tmp/variants"; then
		echo "# $1: the variants have no wrong/defect/baseline/waits_in_irq/refused flags" >&2
		return 1
	fi
	ntc_list_json=$1
	ntc_wrong_variants=$(awk '$3 == "true" { printf "%s/%s ", $1, $2 }' "$ntc_tmp/variants")
	ntc_hazard_variants=$(awk '$4 == "true" { printf "%s/%s ", $1, $2 }' "$ntc_tmp/variants")
	ntc_baselines=$(awk '$5 == "true" { printf "%s/%s ", $1, $2 }' "$ntc_tmp/variants")
	ntc_irq_waiter_variants=$(awk '$6 == "true" { printf "%s/%s ", $1, $2 }' "$ntc_tmp/variants")
	ntc_refused_variants=$(awk '$7 == "yes" { printf "%s/%s ", $1, $2 }' "$ntc_tmp/variants")
}

# variant_table [LIST_JSON]: a line a listed variant, in LIST's order:
# "EXPERIMENT VARIANT WRONG DEFECT BASELINE WAITS_IN_IRQ REFUSED", the
# flags true or false, REFUSED yes or no, any of them "-" when LIST does
# not say (one json_paths and one awk: no jq, see json_paths)
variant_table() {
	json_paths "${1:-$ntc_list_json}" >"$ntc_tmp/variant_table.paths" || return 1
	awk -F '\t' '
		{ n = split($1, p, ".") }
		n == 2 && p[2] == "name" {
			name[p[1]] = $2
			if (p[1] + 1 > ne)
				ne = p[1] + 1
		}
		n == 4 && p[2] == "variants" {
			if (p[3] + 1 > nv[p[1]])
				nv[p[1]] = p[3] + 1
			val[p[1], p[3], p[4]] = $2
			has[p[1], p[3], p[4]] = 1
		}
		END {
			for (e = 0; e < ne; e++)
				for (v = 0; v < nv[e]; v++) {
					line = name[e] " " val[e, v, "name"]
					split("wrong defect baseline waits_in_irq", f, " ")
					for (i = 1; i <= 4; i++)
						line = line " " (has[e, v, f[i]] ? val[e, v, f[i]] : "-")
					if (!has[e, v, "refused"])
						line = line " -"
					else
						line = line (val[e, v, "refused"] == "null" ? " no" : " yes")
					print line
				}
		}' "$ntc_tmp/variant_table.paths"
}

# is_wrong EXPERIMENT VARIANT: deliberately wrong
is_wrong() {
	case " $ntc_wrong_variants " in
	*" $1/$2 "*) return 0 ;;
	esac
	return 1
}

# waits_in_irq EXPERIMENT VARIANT: its CPUs wait for one another inside an
# interrupt (LIST's flag): under fork and exit load it can catch a lock
# holder and wait for its deadline (README, "A corral that waits in an
# interrupt")
waits_in_irq() {
	case " $ntc_irq_waiter_variants " in
	*" $1/$2 "*) return 0 ;;
	esac
	return 1
}

# has_hazard EXPERIMENT VARIANT: deliberately wrong, or a documented defect
has_hazard() {
	is_wrong "$1" "$2" && return 0
	case " $ntc_hazard_variants " in
	*" $1/$2 "*) return 0 ;;
	esac
	return 1
}

# is_refused EXPERIMENT VARIANT: not run on this kernel
is_refused() {
	case " $ntc_refused_variants " in
	*" $1/$2 "*) return 0 ;;
	esac
	return 1
}

# expect_err_refused_only EXPERIMENT...|all: stderr holds --variant all's
# note for each variant of these experiments this kernel refuses
# ("ntcorral: E/V is not run on this kernel: WHY") and nothing else
expect_err_refused_only() {
	_want=0
	for _ev in $ntc_refused_variants; do
		for _e in "$@"; do
			[ "$_e" = all ] || [ "${_ev%/*}" = "$_e" ] || continue
			_want=$((_want + 1))
			grep -q "^ntcorral: $_ev is not run on this kernel: ." "$err" ||
				fail "stderr does not say that $_ev is not run on this kernel"
			break
		done
	done
	[ "$(grep -c . "$err")" = "$_want" ] ||
		fail "stderr has $(grep -c . "$err") lines, expected $_want (a note per refused variant)"
}

# baseline_of EXPERIMENT: its baseline variant on this kernel
baseline_of() {
	for _ev in $ntc_baselines; do
		[ "${_ev%/*}" = "$1" ] && { echo "${_ev#*/}"; return 0; }
	done
	echo "# no baseline of $1 listed" >&2
	return 1
}

# list_variants [LIST_JSON]: "EXPERIMENT:VARIANT", one a line, as listed,
# every variant this kernel runs (the refused ones left out)
list_variants() {
	variant_table "$@" | awk '$7 != "yes" { print $1 ":" $2 }'
}

# The shootdown's variants: dpc ipi stop_machine, and dpc_bh on kernels
# with BH workqueues (6.9 on); after variants_from.
shootdown_variants() {
	list_variants | sed -n 's/^shootdown://p' | tr '\n' ' '
}

# ---- what the kernel says ----------------------------------------------------

ntc_debugfs=/sys/kernel/debug/ntcorral

# irql_count: the module's IRQL assertion counter (Driver Verifier's count
# of calls at the wrong IRQL since load); empty when it cannot be read
irql_count() {
	cat "$ntc_debugfs/irql_violations" 2>/dev/null
}

# expect_irql_unchanged COUNT WHEN: the IRQL assertion (debugfs
# irql_violations) has not fired since irql_count read COUNT
expect_irql_unchanged() {
	ntc_irql_now=$(irql_count)
	if [ -n "$1" ] && [ -n "$ntc_irql_now" ]; then
		expect_eq "IRQL assertions $2" "$((ntc_irql_now - $1))" 0
	else
		fail "cannot read $ntc_debugfs/irql_violations"
	fi
}

# kmsg TEXT: a line in the kernel log, "ntcorral-test: TEXT"
kmsg() {
	echo "ntcorral-test: $*" >/dev/kmsg 2>/dev/null || true
}

# bangs_expected WHY ... bangs_unexpected: the module's "!!!" lines between
# the two are provoked on purpose (a fault, a hazard, a CPU taken away).
# vm.sh fails a selftest run on a "!!!" line anywhere else; run_tests.sh
# closes a section its program left open.
bangs_expected() {
	kmsg "expect !!! begin: $ntc_prefix: $*"
}

bangs_unexpected() {
	kmsg "expect !!! end"
}

# dmesg_since MARK: the kernel log after the last line "ntcorral-test: MARK"
dmesg_since() {
	dmesg 2>/dev/null | awk -v m="ntcorral-test: $1" '
		{ l[NR] = $0 }
		index($0, m) && substr($0, index($0, m)) == m { start = NR }
		END { for (i = start + 1; i <= NR; i++) print l[i] }'
}
