#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The YNL spec (Documentation/netlink/specs/ntcorral.yaml) against the
# kernel's own tools and against uapi/ntcorral.h, on the host:
#  1. the spec validates against the kernel's genetlink-legacy schema;
#  2. the kernel's generator (tools/net/ynl/ynl-gen-c.py --mode uapi) makes
#     a header from it whose every constant, attribute and command id
#     equals uapi/ntcorral.h's (both compiled, their values printed, diffed);
#  3. the run policy the spec implies (attribute, type, range) is written to
#     selftests/ynl-policy.txt, which the VM's ynl_test.sh compares with the
#     kernel's own policy dump (iproute2 genl ctrl policy).
# The schema and the generator come from Debian's linux-source-6.12
# (scripts/ynl-tools.sh extracts them once); Debian's /usr/bin/python3 with python3-yaml
# and python3-jsonschema runs them. Prints "ynl-check: ok" or what differs;
# exits non-zero on any difference.
set -euo pipefail
cd "$(dirname "$0")/.."

spec=Documentation/netlink/specs/ntcorral.yaml
py=/usr/bin/python3
ynl=$(scripts/ynl-tools.sh)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. the schema
"$py" - "$ynl/Documentation/netlink/genetlink-legacy.yaml" "$spec" <<'PY'
import sys, yaml, jsonschema
schema = yaml.safe_load(open(sys.argv[1]))
jsonschema.validate(yaml.safe_load(open(sys.argv[2])), schema)
PY

# 2. the generator, in a tree of its own: it looks for MAINTAINERS above the
# spec and for the schema beside specs/.
mkdir -p "$tmp/tree/Documentation/netlink/specs"
cp "$ynl"/Documentation/netlink/*.yaml "$tmp/tree/Documentation/netlink/"
cp "$spec" "$tmp/tree/$spec"
touch "$tmp/tree/MAINTAINERS"
(cd "$tmp/tree" && timeout 120 "$py" "$ynl/tools/net/ynl/ynl-gen-c.py" \
	--spec "$spec" --mode uapi --header -o "$tmp/gen.h") >/dev/null

# Every "#define NTCORRAL_..." number and every enumerator, printed by a C
# program built against a header.
"$py" - "$tmp/gen.h" >"$tmp/names" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
names = re.findall(r'^#define\s+(NTCORRAL_\w+)\s+\d', text, re.M)
names += re.findall(r'^\s+(_*NTCORRAL_\w+)\s*,?\s*$', text, re.M)
print("\n".join(n for n in names if not n.startswith("__")))
PY
dump() {
	{
		echo "#include <stdio.h>"
		echo "#include \"$1\""
		echo "int main(void) {"
		while read -r n; do
			echo "printf(\"%s %lld\\n\", \"$n\", (long long)($n));"
		done <"$tmp/names"
		echo "return 0; }"
	} >"$tmp/dump.c"
	cc -o "$tmp/dump" "$tmp/dump.c"
	"$tmp/dump"
}
dump "$tmp/gen.h" >"$tmp/from-spec"
if ! dump "$PWD/uapi/ntcorral.h" >"$tmp/from-uapi" 2>"$tmp/cc.err"; then
	echo "ynl-check: uapi/ntcorral.h lacks what the spec names:" >&2
	grep -o "'NTCORRAL_[A-Z0-9_]*' undeclared" "$tmp/cc.err" | sort -u >&2
	exit 1
fi
if ! diff -u "$tmp/from-spec" "$tmp/from-uapi" >"$tmp/diff"; then
	echo "ynl-check: the spec and uapi/ntcorral.h differ (- spec, + header):" >&2
	grep '^[-+]N' "$tmp/diff" >&2
	exit 1
fi

# 3. the run policy the spec implies, for the kernel's dump in the VM
"$py" - "$spec" >"$tmp/policy" <<'PY'
import sys, yaml
spec = yaml.safe_load(open(sys.argv[1]))
consts = {d["name"]: d["value"] for d in spec["definitions"] if d["type"] == "const"}
attrs = spec["attribute-sets"][0]["attributes"]
ids, n = {}, 0
for a in attrs:
    n = a.get("value", n)
    ids[a["name"]] = n
    n += 1
run = next(o for o in spec["operations"]["list"] if o["name"] == "run")
print("# RUN's request policy, from the spec: attribute id, name, type, bounds")
for name in run["do"]["request"]["attributes"]:
    a = next(x for x in attrs if x["name"] == name)
    c = {k: consts.get(v, v) for k, v in a.get("checks", {}).items()}
    if a["type"] == "u32":
        print(ids[name], name, "u32", c["min"], c["max"])
    elif a["type"] == "string":
        print(ids[name], name, "string", 0, c["max-len"])
    else:
        print(ids[name], name, a["type"], 0, c["max-len"])
PY
if ! cmp -s "$tmp/policy" selftests/ynl-policy.txt; then
	cp "$tmp/policy" selftests/ynl-policy.txt
	echo "ynl-check: selftests/ynl-policy.txt was not the spec's: rewritten; commit it" >&2
	exit 1
fi
echo "ynl-check: ok ($(wc -l <"$tmp/from-spec") constants and ids agree; the schema validates)"
