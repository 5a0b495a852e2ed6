# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2154 # the caller sets the variables listed below
# What building a cached kernel takes, for the scripts that build one
# (debug-kernel.sh: the x86 debug, debug RT and KCSAN kernels;
# arm64-kernel.sh: the arm64 one), sourced by them. Not run on its own.
#
# The caller sets, before calling anything here:
#   name          the prefix of its messages (debug-kernel, arm64-kernel)
#   self          its own path (its build steps are hashed into the key)
#   root          the repository (for --module)
#   fragments     the config fragments, applied on tinyconfig in order
#   flavour       the cache's subdirectory (debug-kernel, arm64-kernel, ...)
#   karch         ARCH= for the kernel's make (x86_64, arm64)
#   cross         CROSS_COMPILE= ('' for the host's compiler)
#   image         the kernel image the build makes (bzImage, Image)
#   tools         the Debian packages the build needs, besides $pkg
#   jobs, module_dir, config_only, prune   from its options
# and defines, between its own "# ==== build steps" markers, build(): make
# the image and the modules in $src and copy the image to $dir; and
# print_paths(): its key=value lines.
#
# Then: kc_install_deps; kc_open_cache; kc_build; print_paths; kc_module.

pkg=linux-source-6.12
tarball=/usr/src/$pkg.tar.xz

say() {
	echo "$name: $*" >&2
}
die() {
	say "$*"
	exit 1
}

# kc_install_deps: $pkg and $tools, with apt-get (root) where missing.
kc_install_deps() {
	local p missing=()
	for p in "$pkg" "${tools[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		[ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]}; run as root or install them"
		say "installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
			apt-get update -qq >/dev/null
			apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
		fi
	fi
	[ -f "$tarball" ] || die "$tarball not found (is $pkg installed?)"
}

# kc_open_cache: the key, the cache's paths ($key, $dir, $src, $log), the
# other keys pruned with --prune, and this key's lock held (fd 9).
kc_open_cache() {
	local version steps hash cache old
	version=$(dpkg-query -W -f='${Version}' "$pkg")
	# What the kernel depends on: the fragments, the build steps (the
	# caller's and these, between their markers), the compiler
	# (external modules must be built with it).
	steps=$(sed -n '/^# ==== build steps/,/^# ==== end of build steps/p' "$self" "${BASH_SOURCE[0]}")
	hash=$( { cat "${fragments[@]}"; echo "$steps"; "${cross}gcc" --version | head -n 1; } |
		sha256sum | cut -c1-12)
	key="$(tr -c 'A-Za-z0-9.+\n-' _ <<<"$version")-$hash"

	if [ -n "${NTCORRAL_DEBUG_KERNEL_CACHE:-}" ]; then
		cache=$NTCORRAL_DEBUG_KERNEL_CACHE/$flavour
	elif [ "$(id -u)" -eq 0 ]; then
		cache=/var/cache/ntcorral/$flavour
	else
		cache=${XDG_CACHE_HOME:-$HOME/.cache}/ntcorral/$flavour
	fi
	mkdir -p "$cache"
	kc_cache=$(cd "$cache" && pwd)
	dir=$kc_cache/$key
	src=$dir/src
	log=$dir/build.log

	if [ "$prune" -eq 1 ]; then
		for old in "$kc_cache"/*/; do
			old=${old%/}
			[ "$old" != "$dir" ] || continue
			say "pruning $old ($(du -sh "$old" | cut -f1))"
			rm -rf "$old" "$kc_cache/.lock-$(basename "$old")"
		done
	fi

	# One build per key at a time; a second caller waits, then finds
	# the cache.
	exec 9>"$kc_cache/.lock-$key"
	if ! flock -n 9; then
		say "another build of $key is running; waiting for it"
		flock 9
	fi
}

# ==== build steps (hashed into the cache key: edit and the kernels rebuild)
kmake() {
	make -C "$src" ARCH="$karch" CROSS_COMPILE="$cross" "$@"
}

# wanted: the fragments' lines as merge_config.sh applies them (a symbol a
# later fragment sets again takes that setting), in their order
wanted() {
	awk '/^CONFIG_[A-Za-z0-9_]+=/ { s = $0; sub(/=.*/, "", s) }
	     /^# CONFIG_[A-Za-z0-9_]+ is not set/ { s = $2 }
	     s != "" { if (!(s in line)) order[n++] = s; line[s] = $0; s = "" }
	     END { for (i = 0; i < n; i++) print line[order[i]] }' "${fragments[@]}"
}

# check_fragment CONFIG: every wanted line, as set (or as unset) in
# CONFIG; prints the lines that are not, with what CONFIG has instead.
check_fragment() {
	local config=$1 line sym have bad=0
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			sym=${line%%=*}
			grep -qxF -- "$line" "$config" && continue
			;;
		'# CONFIG_'*' is not set')
			sym=${line#\# } sym=${sym%% *}
			grep -q "^$sym=" "$config" || continue
			;;
		*) continue ;;
		esac
		have=$(grep -E "^$sym=|^# $sym is not set" "$config" || true)
		echo "  $line   (got: ${have:-absent: not visible with this config})"
		bad=1
	done < <(wanted)
	return "$bad"
}

configure() {
	# tinyconfig, then the fragments on top with allnoconfig semantics
	# (merge_config.sh -n): every symbol none of them sets is off, not
	# at its default, so no driver comes in that a fragment did not ask
	# for (olddefconfig would add VT, input, Intel MEI, cpufreq, ...).
	kmake tinyconfig >>"$log" 2>&1 || return 1
	cp "$src/.config" "$dir/tiny.config" || return 1
	(cd "$src" && ARCH=$karch CROSS_COMPILE=$cross scripts/kconfig/merge_config.sh -n \
		"$dir/tiny.config" "${fragments[@]}") >>"$log" 2>&1 || return 1
	local dropped
	if ! dropped=$(check_fragment "$src/.config"); then
		say "the configuration lost lines of ${fragments[*]##*/} (missing dependencies?):"
		echo "$dropped" >&2
		say "fix the fragment; the generated config is $src/.config"
		exit 1
	fi
}
# ==== end of build steps

# progress PID: a line every minute while PID runs: elapsed, files compiled.
progress() {
	local pid=$1 ticks=0 n
	while kill -0 "$pid" 2>/dev/null; do
		sleep 5
		ticks=$((ticks + 1))
		[ $((ticks % 12)) -eq 0 ] || continue
		n=$(grep -c '^  CC ' "$log" 2>/dev/null || true)
		say "  ... $((ticks / 12)) min, ${n:-0} files compiled"
	done
}

fail_log() {
	say "$1 failed; the end of $log:"
	grep -v '^  [A-Z]' "$log" | tail -n 40 | sed 's/^/  | /' >&2
	exit 1
}

# kc_build: extract, configure and build unless the cache has this key
# complete (an interrupted build resumes at the step it stopped in); with
# --config-only, print key= and config= and exit after the configuration.
kc_build() {
	local t_start t rc build_pid progress_pid others
	if [ ! -f "$dir/.complete" ]; then
		t_start=$SECONDS
		mkdir -p "$dir"
		if [ ! -f "$dir/.extracted" ]; then
			say "extracting $pkg $(dpkg-query -W -f='${Version}' "$pkg") into $dir"
			rm -rf "$src" "$dir/.configured"
			mkdir -p "$dir/tmp"
			tar -C "$dir/tmp" -xf "$tarball"
			mv "$dir/tmp/$pkg" "$src"
			rmdir "$dir/tmp"
			touch "$dir/.extracted"
		fi
		if [ ! -f "$dir/.configured" ]; then
			say "configuring: ARCH=$karch tinyconfig + ${fragments[*]##*/} (log: $log)"
			: >"$log"
			configure || fail_log "the configuration"
			touch "$dir/.configured"
		fi
		if [ "$config_only" -eq 0 ]; then
			say "building $image and modules with make -j$jobs (log: $log)"
			build &
			build_pid=$!
			progress "$build_pid" &
			progress_pid=$!
			rc=0
			wait "$build_pid" || rc=$?
			kill "$progress_pid" 2>/dev/null || true
			wait "$progress_pid" 2>/dev/null || true
			[ "$rc" -eq 0 ] || fail_log "the build"
			touch "$dir/.complete"
			t=$((SECONDS - t_start))
			say "built $key in $((t / 60))m$((t % 60))s; $(du -sh "$dir" | cut -f1) in $dir"
		fi
	else
		say "cached: $dir"
	fi
	if [ "$config_only" -eq 1 ]; then
		echo "key=$key"
		echo "config=$src/.config"
		exit 0
	fi
	others=$(find "$kc_cache" -mindepth 1 -maxdepth 1 -type d ! -name "$key" | wc -l)
	[ "$others" -eq 0 ] || say "note: $others other key(s) in $kc_cache (--prune deletes them)"
}

# kc_module: with --module DIR, ntcorral.ko built in DIR against $src
# (prints ko=); the repository's own ntcorral.ko is left alone.
kc_module() {
	[ -n "$module_dir" ] || return 0
	mkdir -p "$module_dir"
	module_dir=$(cd "$module_dir" && pwd)
	# Emptied first: only a directory that is empty or that an earlier
	# --module filled (its marker file), never the repository.
	if [ "$module_dir" = "$root" ] || { [ -n "$(ls -A "$module_dir")" ] &&
		[ ! -f "$module_dir/.ntcorral-debug-module" ]; }; then
		die "--module wants an empty directory of its own (or one an earlier --module made), not $module_dir"
	fi
	find "$module_dir" -mindepth 1 -delete
	touch "$module_dir/.ntcorral-debug-module"
	cp "$root/Kbuild" "$module_dir/"
	cp -r "$root/module" "$root/uapi" "$module_dir/"
	find "$module_dir" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod*' \) -delete
	say "building ntcorral.ko against $src in $module_dir"
	if ! kmake M="$module_dir" -j"$jobs" modules >"$module_dir/build.log" 2>&1; then
		say "the module did not build against $(cat "$src/include/config/kernel.release"):"
		grep -E 'error|warning|Error' "$module_dir/build.log" | head -n 60 >&2 || true
		say "whole log: $module_dir/build.log"
		exit 1
	fi
	if grep -q 'warning:' "$module_dir/build.log"; then
		say "compiler warnings:"
		grep -A3 'warning:' "$module_dir/build.log" | head -n 60 >&2
	fi
	echo "ko=$module_dir/ntcorral.ko"
}
