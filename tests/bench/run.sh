#!/bin/sh
# tests/bench/run.sh: the benchmark suite (`make bench`; doc/DESIGN.md section 10).
#
# Builds a deterministic benchmark repository with git fast-import and
# measures policy-check against git itself and the tools people use
# instead, side by side in the same run: each pair of cases is timed in
# one loop, one run of each in turn (tests/bench/bench-time), and the
# medians are compared.  Prints one table and writes it, with the machine
# it ran on, to $PC_BUILD_DIR/bench-results.md.
#
# Environment: PC_BUILD_DIR, PC_SRC_DIR (set by `make bench`);
# PC_BENCH_ONLY="1 3 ..." runs only those scenarios; PC_BENCH_REUSE=1
# keeps the repositories of a previous run (same sources) instead of
# building them again; PC_BENCH_OLD_BUILD=DIR (a build tree of an older
# version) adds its concurrent appends (6b) and its hooks (11b) to the
# same loops; PC_BENCH_PUSHERS, PC_BENCH_PUSHES, PC_BENCH_ROUNDS11 size
# scenario 11 (16, 15, 3).
set -eu

B=${PC_BUILD_DIR:?run through make bench}
S=${PC_SRC_DIR:?run through make bench}
W=$B/bench-work
RESULTS=$B/bench-results.md
ONLY=${PC_BENCH_ONLY:-"1 2 3 4 5 6 7 8 9 10 11 12"}
BT=$B/tests/bench/bench-time
GEN=$B/tests/bench/bench-gen
HOOK=$B/hooks/pre-receive
APPEND=$B/tests/helpers/pc-audit-append
NOCA=$B/tests/bench/no-ca-bundle.so
ORIGIN=bench.example/policy-check
ZERO=0000000000000000000000000000000000000000
START=$(date +%s)

PATH=$B:$PATH
LC_ALL=C
export PATH LC_ALL
# A git that reads no user or system configuration, as in tests/t/test-lib.sh.
unset GIT_DIR GIT_WORK_TREE GL_USERNAME GL_USER GITEA_PUSHER_NAME REMOTE_USER GIT_QUARANTINE_PATH
GIT_CONFIG_NOSYSTEM=1
HOME=$W/home
GIT_CONFIG_GLOBAL=$HOME/.gitconfig
GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_AUTHOR_DATE="1700000000 +0000"
GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com GIT_COMMITTER_DATE="1700000000 +0000"
export GIT_CONFIG_NOSYSTEM HOME GIT_CONFIG_GLOBAL GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_AUTHOR_DATE \
	GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL GIT_COMMITTER_DATE
# fast-import frees and re-faults its pools all the time; a fixed heap
# top halves its time (only for the set-up, never for measurements).
GEN_MALLOC="MALLOC_TRIM_THRESHOLD_=1000000000 MALLOC_TOP_PAD_=100000000"

# Audit logs of the timed hooks live on tmpfs: fdatasync there costs
# nothing, so the hook is measured without the disk (scenarios 1-4); the
# cost of the disk is measured on its own (scenario 6, and one row each in
# scenarios 1 and 2).
SHM=$(mktemp -d /dev/shm/pc-bench.XXXXXX)
cleanup() { rm -rf "$SHM"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '%s [%4ss] %s\n' "bench:" "$(( $(date +%s) - START ))" "$*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }
want() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }

# ---- formatting -----------------------------------------------------------

TABLE=$W/table.md
NOTES=$W/notes.md

# fmt_ms MS: "8.42 ms", "1.23 s"
fmt_ms() { awk -v x="$1" 'BEGIN { if (x >= 1000) printf "%.2f s", x / 1000; else if (x >= 100) printf "%.0f ms", x; else if (x >= 10) printf "%.1f ms", x; else printf "%.2f ms", x }'; }
# ratio A B: A/B with two decimals
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
# le A B: A <= B
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
# row SCENARIO OURS BASELINE RATIO TARGET MET
row() { printf '| %s | %s | %s | %s | %s | %s |\n' "$@" >>"$TABLE"; }
note() { printf '%s\n' "$*" >>"$NOTES"; }
# verdict CONDITION-EXIT-STATUS: "yes" / "**no**"
verdict() { if "$@"; then echo yes; else echo "**no**"; fi; }

# ---- set-up -----------------------------------------------------------------

setup_keys_and_policy() {
	mkdir -p "$W/keys" "$W/audit" "$HOME"
	chmod 700 "$W/audit"
	git config --global init.defaultBranch main
	say "50 users with ed25519 keys, an audit key, a pattern2 policy"
	i=0
	while [ $i -lt 50 ]; do
		u=$(printf 'u%02d' $i)
		ssh-keygen -q -t ed25519 -N "" -C "$u" -f "$W/keys/$u"
		i=$((i + 1))
	done
	policy-check audit keygen --origin "$ORIGIN" "$W/audit/audit" >/dev/null
	{
		cat <<-EOF
		version: 1
		strategy: pattern2
		identity:
		  env: [REMOTE_USER]
		users:
		EOF
		i=0
		while [ $i -lt 50 ]; do
			u=$(printf 'u%02d' $i)
			printf '  %s: { email: %s@example.com, keys: ["%s"] }\n' "$u" "$u" "$(cat "$W/keys/$u.pub")"
			i=$((i + 1))
		done
		echo "groups:"
		echo "  sre: [u00, u01, u02]"
		for g in platform infra build qa docs-writers org/env-dev org/env-stg org/env-prd; do
			echo "  $g: [u00, u01, u03, u04]"
		done
		t=0
		while [ $t -lt 40 ]; do
			printf '  team%d: [u00, u01, u%02d, u%02d]\n' $t $((10 + t)) $((10 + (t + 20) % 40))
			t=$((t + 1))
		done
		cat <<-EOF
		admins: [sre]
		work_branches: ["feature/*", "hotfix/*"]
		tags: { pattern: "v*", create: [sre] }
		other_refs: deny
		approvals:
		  codeowners: [CODEOWNERS]
		  required: 1
		  self_approval: false
		  pusher_is_approval: true
		  unowned: allow
		rules:
		  commit_message: '^(feat|fix|docs|chore|refactor|revert)(\([\w./-]+\))?!?: \S'
		  work_branch_name: '^(feature|hotfix)/[a-z0-9._-]+$'
		  deny_paths: ['(^|/)\.env$', '\.pem$']
		  max_blob_size: 5MiB
		break_glass: { groups: [sre] }
		enforcement: enforce
		audit:
		  key: $W/audit/audit.key
		  origin: $ORIGIN
		EOF
	} >"$W/policy.common"
	# The same policy with the log on tmpfs (timed hooks) and on disk.
	{ cat "$W/policy.common"; echo "  log: $SHM/audit.log"; } >"$W/policy.yml"
	{ cat "$W/policy.common"; echo "  log: $W/audit/disk.log"; } >"$W/policy-disk.yml"
	# Without the two rules that need every new commit's changes.
	grep -v 'deny_paths\|max_blob_size' "$W/policy.yml" >"$W/policy-nopath.yml"
	policy-check lint --policy "$W/policy.yml" >/dev/null || die "the benchmark policy does not lint"
}

# build_repo DIR HISTORY CHAIN...: a bare repository from bench-gen; the
# history becomes main, develop and staging; each chain's tip is left in
# DIR.tips as NAME=ID (and the chain refs are deleted: their commits are
# new to the repository).
build_repo() {
	dir=$1 history=$2
	shift 2
	rm -rf "$dir"
	git init -q --bare "$dir"
	"$GEN" --history "$history" "$@" | env $GEN_MALLOC git -C "$dir" fast-import --quiet ||
		die "fast-import into $dir failed"
	git -C "$dir" for-each-ref --format='%(refname:lstrip=2)=%(objectname)' refs/bench/ >"$dir.tips"
	main=$(git -C "$dir" rev-parse refs/bench/main)
	for b in main develop staging; do
		git -C "$dir" update-ref "refs/heads/$b" "$main"
	done
	git -C "$dir" for-each-ref --format='delete %(refname)' refs/bench/ | git -C "$dir" update-ref --stdin
	git -C "$dir" config policycheck.policy "$W/policy.yml"
}

tip() { sed -n "s/^$2=//p" "$1.tips"; }

# approve REPO COMMIT TARGET USER: a signed approval object, stored as
# policy-check approve would push it.
approve() {
	git -C "$1" -c gpg.format=ssh -c user.signingkey="$W/keys/$4" -c user.name="$4" \
		-c user.email="$4@example.com" tag -s -m "policy-check approval v1" -m "target: $3" \
		bench-approval "$2"
	git -C "$1" update-ref "refs/approvals/$2/$4" refs/tags/bench-approval
	git -C "$1" tag -d bench-approval >/dev/null
}

setup() {
	rm -rf "$W"
	mkdir -p "$W"
	setup_keys_and_policy
	say "benchmark repository: 20,000 files, 5,000 commits, CODEOWNERS of 1,000 rules, and the pushes (fast-import)"
	# Chains are dated in this order.  The new branches of scenario 3 come
	# last: a walk of NEW --not <every ref> (git's and ours) also reads the
	# hidden commits newer than NEW's, and those are other pushes' cost.
	build_repo "$W/bench.git" 5000 small:small:3 dev-1k:develop:1000 dev-10k:develop:10000 \
		big-1k:linear:1000 big-10k:linear:10000 big-100k:linear:100000
	say "the same files with 50,000 commits of history, and a 1,000-commit push"
	build_repo "$W/hist50k.git" 50000 big-1k:linear:1000
	R=$W/bench.git
	git -C "$R" update-ref refs/heads/feature/small "$(tip "$R" small)"
	say "signed approvals (u00, u01) for the small push and the promotions"
	for u in u00 u01; do
		approve "$R" "$(tip "$R" small)" refs/heads/develop $u
		approve "$R" "$(tip "$R" dev-1k)" refs/heads/staging $u
		approve "$R" "$(tip "$R" dev-10k)" refs/heads/staging $u
	done
	# The hooks are installed last: nothing above went through them.
	policy-check install --policy "$W/policy.yml" "$R" >/dev/null
	touch "$W/setup.done"
}

# ---- the machine ------------------------------------------------------------

machine() {
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
	libgit2=$(pkg-config --modversion libgit2 2>/dev/null || echo unknown)
	echo "- machine: $(nproc) CPUs, ${cpu:-unknown CPU}, $mem memory, Linux $(uname -r)"
	echo "- $(git --version), libgit2 $libgit2, $(policy-check --version 2>/dev/null | head -n 1)"
	echo "- load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# ---- scenarios --------------------------------------------------------------

# hook_stdin FILE OLD NEW REF
hook_stdin() { printf '%s %s %s\n' "$2" "$3" "$4" >"$1"; }

# run_hook: run the pre-receive hook as git would, for a check outside the timings
check_accepts() {
	(cd "$R" && GIT_DIR=. REMOTE_USER=u02 "$HOOK" <"$1" >/dev/null 2>"$W/hook.err") ||
		{ cat "$W/hook.err" >&2; die "the hook rejected $(cat "$1")"; }
}

scenario1() {
	say "1. small push: hook vs git rev-list + git diff-tree"
	H=$(git -C "$R" rev-parse main) SMALL=$(tip "$R" small)
	hook_stdin "$W/small.in" "$H" "$SMALL" refs/heads/develop
	check_accepts "$W/small.in"
	[ "$(git -C "$R" diff-tree -r --name-only "$H" "$SMALL" | wc -l)" = 20 ] || die "the small push does not change 20 paths"
	# Row 1c in the same loop as row 1: rows of different loops do not
	# compare on a shared machine (the baseline itself moves by 2x).
	set -- $(cd "$R" && GIT_DIR=. REMOTE_USER=u02 "$BT" -n 21 -w 3 -i "$W/small.in" "$HOOK" \
		--vs git rev-list "$H..$SMALL" --then git diff-tree -r --name-only "$H" "$SMALL" \
		--vs --env "LD_PRELOAD=$NOCA" "$HOOK" \
		--vs --env "LD_PRELOAD=$NOCA" git rev-list "$H..$SMALL" --then git diff-tree -r --name-only "$H" "$SMALL")
	ours=$1 ours_cpu=$2 base=$6 base_cpu=$7 noca=${11} noca_cpu=${12} noca_base=${16}
	r=$(ratio "$ours" "$base")
	row "1. small push (3 commits, 20 paths, 2 signed approvals), audit log on tmpfs" \
		"$(fmt_ms "$ours") (cpu $(fmt_ms "$ours_cpu"))" \
		"$(fmt_ms "$base") (cpu $(fmt_ms "$base_cpu")) git rev-list + diff-tree" \
		"$r" "<= 2x; < 10 ms" "$(verdict le "$r" 2) / $(verdict le "$ours" 10)"
	row "1c. diagnostic: 1 with libgit2's CA-bundle parse stubbed out (LD_PRELOAD no-ca-bundle.so, both sides; same loop as 1)" \
		"$(fmt_ms "$noca") (cpu $(fmt_ms "$noca_cpu"))" "$(fmt_ms "$noca_base") git rev-list + diff-tree" \
		"$(ratio "$noca" "$noca_base")" "(what a libgit2 without mbedTLS start-up would give; ours $(ratio "$noca" "$ours")x row 1)" "-"
	# The reference-transaction hook records what git did, without libgit2.
	printf '%s %s %s\n' "$H" "$SMALL" refs/heads/bench-rt >"$W/rt.in"
	set -- $(cd "$R" && GIT_DIR=. REMOTE_USER=u02 "$BT" -n 21 -w 3 -i "$W/rt.in" \
		"$B/hooks/reference-transaction" committed \
		--vs git rev-list "$H..$SMALL" --then git diff-tree -r --name-only "$H" "$SMALL" \
		--vs --stdin "$W/small.in" "$HOOK")
	r=$(ratio "$1" "$6")
	row "1d. reference-transaction hook (committed, 1 record) vs git rev-list + diff-tree" \
		"$(fmt_ms "$1") (cpu $(fmt_ms "$2"))" "$(fmt_ms "$6") git rev-list + diff-tree" \
		"$r" "<= 2x (pre-receive of row 1 in the same loop: $(fmt_ms "${11}"))" "$(verdict le "$r" 2)"
	ca=$("$B/tests/bench/bench-git-init" 31) noca_init=$(LD_PRELOAD=$NOCA "$B/tests/bench/bench-git-init" 31)
	row "1e. git_libgit2_init() alone (median of 31 processes), with vs without the CA-bundle parse" \
		"$(fmt_ms "$ca")" "$(fmt_ms "$noca_init") CA parse stubbed" "$(ratio "$ca" "$noca_init")" \
		"(what a libgit2 without HTTPS saves per process)" "-"
	git -C "$R" config policycheck.policy "$W/policy-disk.yml"
	set -- $(cd "$R" && GIT_DIR=. REMOTE_USER=u02 "$BT" -n 11 -w 2 -i "$W/small.in" "$HOOK" \
		--vs git rev-list "$H..$SMALL" --then git diff-tree -r --name-only "$H" "$SMALL")
	git -C "$R" config policycheck.policy "$W/policy.yml"
	row "1b. the same, audit log on disk (fdatasync + checkpoint rename + directory fsync)" \
		"$(fmt_ms "$1") (cpu $(fmt_ms "$2"))" "$(fmt_ms "$6") git rev-list + diff-tree" \
		"$(ratio "$1" "$6")" "(information)" "-"
}

scenario2() {
	say "2. whole git push: no hook vs our hooks vs a shell hook running rev-list + diff-tree"
	H=$(git -C "$R" rev-parse main) SMALL=$(tip "$R" small)
	mkdir -p "$W/hooks-none" "$W/hooks-shell"
	cat >"$W/hooks-shell/pre-receive" <<-\EOF
	#!/bin/sh
	# The floor a hand-written hook pays: read the range and its paths.
	while read old new ref; do
		git rev-list "$old..$new" >/dev/null || exit 1
		git diff-tree -r --name-only "$old" "$new" >/dev/null || exit 1
	done
	EOF
	chmod +x "$W/hooks-shell/pre-receive"
	rm -rf "$W/client.git"
	git clone -q --bare --shared "$R" "$W/client.git"
	reset="git -C '$R' -c core.hooksPath='$W/hooks-none' update-ref refs/heads/develop $H"
	push="git -C $W/client.git push -q $R $SMALL:refs/heads/develop"
	set -- $(REMOTE_USER=u02 "$BT" -n 15 -w 2 \
		--before "$reset && git -C '$R' config core.hooksPath '$W/hooks-none'" $push \
		--vs --before "$reset && git -C '$R' config core.hooksPath '$R/hooks'" $push \
		--vs --before "$reset && git -C '$R' config core.hooksPath '$W/hooks-shell'" $push)
	none=$1 ours=$6 shell=${11}
	r=$(ratio "$ours" "$none")
	row "2. git push of the small push: our hooks (pre-receive + reference-transaction) vs no hook" \
		"$(fmt_ms "$ours")" "$(fmt_ms "$none") no hook" "$r" "<= 1.5x" "$(verdict le "$r" 1.5)"
	row "2b. the same: a shell pre-receive running git rev-list + diff-tree vs no hook" \
		"$(fmt_ms "$shell")" "$(fmt_ms "$none") no hook" "$(ratio "$shell" "$none")" "(the floor of a hand-written hook)" "-"
	row "2c. the same: our hooks vs the shell hook" \
		"$(fmt_ms "$ours")" "$(fmt_ms "$shell") shell hook" "$(ratio "$ours" "$shell")" "(information)" "-"
	git -C "$R" config policycheck.policy "$W/policy-disk.yml"
	set -- $(REMOTE_USER=u02 "$BT" -n 9 -w 1 \
		--before "$reset && git -C '$R' config core.hooksPath '$W/hooks-none'" $push \
		--vs --before "$reset && git -C '$R' config core.hooksPath '$R/hooks'" $push)
	git -C "$R" config policycheck.policy "$W/policy.yml"
	row "2d. the same with the audit log on disk (fsync included) vs no hook" \
		"$(fmt_ms "$6")" "$(fmt_ms "$1") no hook" "$(ratio "$6" "$1")" "(information)" "-"
	set -- $(REMOTE_USER=u02 "$BT" -n 15 -w 2 \
		--before "$reset && git -C '$R' config core.hooksPath '$W/hooks-none'" --env "LD_PRELOAD=$NOCA" $push \
		--vs --before "$reset && git -C '$R' config core.hooksPath '$R/hooks'" --env "LD_PRELOAD=$NOCA" $push)
	row "2e. diagnostic: 2 with libgit2's CA-bundle parse stubbed out (LD_PRELOAD no-ca-bundle.so, both sides)" \
		"$(fmt_ms "$6")" "$(fmt_ms "$1") no hook" "$(ratio "$6" "$1")" "(what a libgit2 without mbedTLS start-up would give)" "-"
	git -C "$R" -c core.hooksPath="$W/hooks-none" update-ref refs/heads/develop "$H"
	git -C "$R" config --unset core.hooksPath
}

# new_branch REPO NAME RUNS: time the creation of feature/NAME with its
# chain of new commits, against git log reading the same commits and
# their changes (what a hook checking messages and paths per commit needs).
new_branch() {
	repo=$1 name=$2 runs=$3 id=$(tip "$1" "$2")
	hook_stdin "$W/$name.in" "$ZERO" "$id" "refs/heads/feature/$name"
	(R=$repo; check_accepts "$W/$name.in")
	warm=1
	[ "$runs" -gt 3 ] || warm=0
	(cd "$repo" && GIT_DIR=. REMOTE_USER=u02 "$BT" -n "$runs" -w $warm -i "$W/$name.in" "$HOOK" \
		--vs git log --raw --no-renames --format=%H%n%B "$id" --not --all)
}

# big_branch NAME ID RUNS: time the creation of feature/NAME at ID (new
# commits: ID --not --all) against git rev-list --objects over the same
# range, the work of reading every new commit and tree once, and git log
# --raw (every commit's changes), in one loop.
big_branch() {
	name=$1 id=$2 runs=$3
	hook_stdin "$W/$name.in" "$ZERO" "$id" "refs/heads/feature/$name"
	check_accepts "$W/$name.in"
	(cd "$R" && GIT_DIR=. REMOTE_USER=u02 "$BT" -n "$runs" -w 1 -i "$W/$name.in" "$HOOK" \
		--vs git rev-list --objects "$id" --not --all \
		--vs git log --raw --no-renames --format=%H%n%B "$id" --not --all)
}

# The 20,000-commit branch: the first 20,000 commits of the 100,000 chain.
tip20k() { git -C "$R" rev-parse "$(tip "$R" big-100k)~80000"; }

scenario3() {
	say "3. new branches of 1,000 / 10,000 commits"
	for spec in 1k:1,000:9 10k:10,000:5; do
		n=${spec%%:*} rest=${spec#*:}
		label=${rest%%:*} runs=${rest#*:}
		set -- $(new_branch "$R" "big-$n" "$runs")
		eval "ours_$n=\$1"
		row "3. new branch with $label new commits (5,000-commit history)" \
			"$(fmt_ms "$1") (cpu $(fmt_ms "$2"))" "$(fmt_ms "$6") git log --raw" \
			"$(ratio "$1" "$6")" "(linear in new commits)" -
	done
	say "3. new branches of 20,000 / 100,000 commits vs git rev-list --objects"
	for spec in 20k:20,000:5 100k:100,000:3; do
		n=${spec%%:*} rest=${spec#*:}
		label=${rest%%:*} runs=${rest#*:}
		if [ $n = 20k ]; then id=$(tip20k); else id=$(tip "$R" big-100k); fi
		set -- $(big_branch "big-$n" "$id" "$runs")
		eval "ours_$n=\$1"
		r=$(ratio "$1" "$6")
		row "3. new branch with $label new commits (5,000-commit history), rules.deny_paths and max_blob_size on" \
			"$(fmt_ms "$1") (cpu $(fmt_ms "$2"))" \
			"$(fmt_ms "$6") (cpu $(fmt_ms "$7")) git rev-list --objects; git log --raw $(fmt_ms "${11}")" \
			"$r" "<= 1.5x" "$(verdict le "$r" 1.5)"
	done
	git -C "$R" config policycheck.policy "$W/policy-nopath.yml"
	set -- $(new_branch "$R" big-100k 3)
	git -C "$R" config policycheck.policy "$W/policy.yml"
	row "3d. new branch with 100,000 new commits, policy without rules.deny_paths and max_blob_size" \
		"$(fmt_ms "$1") (cpu $(fmt_ms "$2"))" "$(fmt_ms "$6") git log --raw" \
		"$(ratio "$1" "$6")" "< 2 s" "$(verdict le "$1" 2000)"
	note "- Scenario 3, cost per new commit: $(awk -v a="$ours_1k" -v b="$ours_10k" -v d="$ours_20k" -v c="$ours_100k" \
		'BEGIN { printf "%.1f / %.1f / %.1f / %.1f us", a * 1000 / 1000, b * 1000 / 10000, d * 1000 / 20000, c * 1000 / 100000 }') for 1,000 / 10,000 / 20,000 / 100,000 commits."
	say "3. the same 1,000-commit branch into 5,000 and 50,000 commits of history"
	H50=$W/hist50k.git
	id5=$(tip "$R" big-1k) id50=$(tip "$H50" big-1k)
	hook_stdin "$W/h5.in" "$ZERO" "$id5" refs/heads/feature/big-1k
	hook_stdin "$W/h50.in" "$ZERO" "$id50" refs/heads/feature/big-1k
	(R=$H50; check_accepts "$W/h50.in")
	set -- $(REMOTE_USER=u02 "$BT" -n 9 -w 1 \
		--stdin "$W/h5.in" --env "GIT_DIR=$R" "$HOOK" \
		--vs --stdin "$W/h50.in" --env "GIT_DIR=$H50" "$HOOK" \
		--vs --env "GIT_DIR=$R" git log --raw --no-renames --format=%H%n%B "$id5" --not --all \
		--vs --env "GIT_DIR=$H50" git log --raw --no-renames --format=%H%n%B "$id50" --not --all)
	r=$(ratio "$6" "$1") g=$(ratio "${16}" "${11}")
	row "3b. the same 1,000-commit branch into 50,000 commits of history" \
		"$(fmt_ms "$6") (cpu $(fmt_ms "$7"))" "$(fmt_ms "${16}") git log --raw" "$(ratio "$6" "${16}")" "-" "-"
	# Both repositories hold the same files; the larger one has 2.5 times
	# the objects, which every object lookup (ours and git's) pays a little for.
	row "3c. history 5,000 -> 50,000 commits, same 1,000-commit push: ours 50k vs ours 5k" \
		"$(fmt_ms "$6")" "$(fmt_ms "$1") ours, 5k history" "$r" \
		"flat: <= 1.25x, or no more than git log's growth (${g}x)" \
		"$(verdict awk -v r="$r" -v g="$g" 'BEGIN { exit !(r <= 1.25 || r <= g * 1.1) }')"
}

scenario4() {
	say "4. promotions develop -> staging of 1,000 and 10,000 commits"
	H=$(git -C "$R" rev-parse main)
	for spec in 1k:1,000:5 10k:10,000:3; do
		n=${spec%%:*} rest=${spec#*:}
		label=${rest%%:*} runs=${rest#*:}
		id=$(tip "$R" "dev-$n")
		git -C "$R" -c core.hooksPath="$W/hooks-none" update-ref refs/heads/develop "$id"
		hook_stdin "$W/dev-$n.in" "$H" "$id" refs/heads/staging
		check_accepts "$W/dev-$n.in"
		merges=$(git -C "$R" rev-list --merges --count "$H..$id")
		set -- $(cd "$R" && GIT_DIR=. REMOTE_USER=u02 "$BT" -n "$runs" -w 1 -i "$W/dev-$n.in" "$HOOK" \
			--vs git rev-list "$H..$id" --then git diff-tree -r --name-only "$H" "$id")
		row "4. promotion develop -> staging, $label commits ($merges clean merges)" \
			"$(fmt_ms "$1") (cpu $(fmt_ms "$2"))" "$(fmt_ms "$6") git rev-list + diff-tree" \
			"$(ratio "$1" "$6")" "-" "-"
	done
	git -C "$R" -c core.hooksPath="$W/hooks-none" update-ref refs/heads/develop "$H"
	scenario4_oldfork
}

# Promotions of features all branched from one old point (main's tip
# before them): each merge's base lies below every merge before it, so a
# merge base computed per merge walks the whole promotion again.  git's
# own work per merge is a `git merge-base --all` of its parents.
scenario4_oldfork() {
	P=$W/promo.git
	if [ ! -f "$W/promo.done" ] || [ ! "$W/promo.done" -nt "$GEN" ]; then
		say "4. the old-fork promotions: 200 x 30 and 300 x 50 commits (fast-import)"
		build_repo "$P" 5000 old200:oldfork:200:30 old300:oldfork:300:50
		for n in 200 300; do
			for u in u00 u01; do
				approve "$P" "$(tip "$P" "old$n")" refs/heads/staging $u
			done
		done
		policy-check install --policy "$W/policy.yml" "$P" >/dev/null
		touch "$W/promo.done"
	fi
	say "4. promotions develop -> staging of 200 x 30 and 300 x 50 commits forked from one old point"
	H=$(git -C "$P" rev-parse main)
	for spec in 200:30:5 300:50:3; do
		n=${spec%%:*} rest=${spec#*:}
		per=${rest%%:*} runs=${rest#*:}
		id=$(tip "$P" "old$n")
		git -C "$P" -c core.hooksPath="$W/hooks-none" update-ref refs/heads/develop "$id"
		hook_stdin "$W/old$n.in" "$H" "$id" refs/heads/staging
		(cd "$P" && GIT_DIR=. REMOTE_USER=u02 "$HOOK" <"$W/old$n.in" >/dev/null 2>"$W/hook.err") ||
			{ cat "$W/hook.err" >&2; die "the hook rejected the old-fork promotion $n"; }
		git -C "$P" rev-list --merges --parents "$H..$id" >"$W/old$n.merges"
		merges=$(wc -l <"$W/old$n.merges")
		set -- $(cd "$P" && GIT_DIR=. REMOTE_USER=u02 "$BT" -n "$runs" -w 1 -i "$W/old$n.in" "$HOOK" \
			--vs --stdin "$W/old$n.merges" git rev-list "$H..$id" --then git diff-tree -r --name-only "$H" "$id" \
			--then sh -c 'while read m a b; do git merge-base --all "$a" "$b" || exit; done')
		row "4. promotion develop -> staging, $n features x $per commits forked from one old point ($merges clean merges)" \
			"$(fmt_ms "$1") (cpu $(fmt_ms "$2"))" "$(fmt_ms "$6") git rev-list + diff-tree + merge-base per merge" \
			"$(ratio "$1" "$6")" "<= 0.50" "$(verdict le "$(ratio "$1" "$6")" 0.50)"
	done
	git -C "$P" -c core.hooksPath="$W/hooks-none" update-ref refs/heads/develop "$H"
}

# mirror NAME: a repository sharing the benchmark's objects and refs
# (alternates), with the same policy, for a variant of its ref set.
mirror() {
	m=$W/$1.git
	rm -rf "$m"
	git init -q --bare "$m"
	echo "$R/objects" >"$m/objects/info/alternates"
	git -C "$R" for-each-ref --format='create %(refname) %(objectname)' | git -C "$m" update-ref --stdin
	git -C "$m" config policycheck.policy "$W/policy.yml"
	echo "$m"
}

scenario9() {
	say "9. a develop promotion (a merge of feature/small) with 300 feature branches, and with a 20,000-commit one"
	H=$(git -C "$R" rev-parse main) SMALL=$(tip "$R" small)
	# The merge of feature/small into develop, as a promotion pushes it:
	# made now, after every commit of the repository (a merge dated before
	# the hidden branches makes every walk that hides them read them).
	now=$(( $(git -C "$R" log -1 --format=%ct "$(tip "$R" big-100k)") + 60 ))
	MERGE=$(GIT_COMMITTER_DATE="$now +0000" git -C "$R" commit-tree -p "$H" -p "$SMALL" \
		-m "Merge feature/small" "$SMALL^{tree}")
	MOVED=$(GIT_COMMITTER_DATE="$now +0000" git -C "$R" commit-tree -p "$SMALL" \
		-m "feat: small moved on" "$SMALL^{tree}")
	hook_stdin "$W/promo.in" "$H" "$MERGE" refs/heads/develop
	M1=$(mirror one)
	M300=$(mirror many)
	i=0
	while [ $i -lt 300 ]; do
		i=$((i + 1))
		printf 'commit refs/heads/feature/f%03d\ncommitter bench <bench@example.com> 1700000000 +0000\n' $i
		printf 'data <<END\nfeat: f%03d\nEND\nfrom %s\nM 644 inline bench/f%03d.txt\ndata <<END\n%d\nEND\n\n' \
			$i "$H" $i $i
	done | git -C "$M300" fast-import --quiet || die "fast-import of 300 branches failed"
	# The first 20,000 commits of the 100,000-commit chain: none on develop.
	MLONG=$(mirror long)
	git -C "$MLONG" update-ref refs/heads/feature/long "$(git -C "$R" rev-parse "$(tip "$R" big-100k)~80000")"
	[ "$(git -C "$MLONG" rev-list --count refs/heads/feature/long --not main)" = 20000 ] ||
		die "feature/long is not 20,000 commits ahead of main"
	# The same, with feature/small one commit past what develop merges:
	# its tip is not in the update, so the merge bases are needed.
	MMOVED=$(mirror moved)
	git -C "$MMOVED" update-ref refs/heads/feature/long "$(git -C "$MLONG" rev-parse feature/long)"
	git -C "$MMOVED" update-ref refs/heads/feature/small "$MOVED"
	for m in "$M1" "$M300" "$MLONG" "$MMOVED"; do
		for u in u00 u01; do
			approve "$m" "$MERGE" refs/heads/develop $u
		done
		(R=$m; check_accepts "$W/promo.in")
	done
	set -- $(REMOTE_USER=u02 "$BT" -n 15 -w 2 -i "$W/promo.in" \
		--env "GIT_DIR=$M1" "$HOOK" \
		--vs --env "GIT_DIR=$M300" "$HOOK" \
		--vs --env "GIT_DIR=$MLONG" "$HOOK" \
		--vs --env "GIT_DIR=$MMOVED" "$HOOK" \
		--vs --env "GIT_DIR=$M1" git rev-list "$H..$MERGE")
	one=$1 many=$6 long=${11} moved=${16} git=${21}
	r=$(ratio "$many" "$one")
	row "9. promotion to develop (merge of feature/small, 3 commits) with 300 feature branches vs with 1" \
		"$(fmt_ms "$many") (cpu $(fmt_ms "$7"))" "$(fmt_ms "$one") ours, 1 feature branch" "$r" \
		"<= 1.5x" "$(verdict le "$r" 1.5)"
	r=$(ratio "$long" "$one")
	row "9b. the same with a 20,000-commit feature branch not on develop vs without" \
		"$(fmt_ms "$long") (cpu $(fmt_ms "${12}"))" "$(fmt_ms "$one") ours, 1 feature branch" "$r" \
		"<= 1.25x (the branch is not read)" "$(verdict le "$r" 1.25)"
	row "9c. the same, feature/small moved on past the merge (merge bases read the 20,000 commits once) vs without" \
		"$(fmt_ms "$moved") (cpu $(fmt_ms "${17}"))" "$(fmt_ms "$one") ours, 1 feature branch" \
		"$(ratio "$moved" "$one")" "(information: no limit counts them)" "-"
	row "9d. the promotion with 1 feature branch vs git rev-list of the range" \
		"$(fmt_ms "$one") (cpu $(fmt_ms "$2"))" "$(fmt_ms "$git") git rev-list" "$(ratio "$one" "$git")" "(information)" "-"
	rm -rf "$M1" "$M300" "$MLONG" "$MMOVED"
}

npm_codeowners() {
	NPM_DIR=$B/bench-npm
	if [ -f "$NPM_DIR/node_modules/codeowners/package.json" ]; then
		return 0
	fi
	if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
		if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
			say "installing nodejs and npm"
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null ||
				return 1
		else
			return 1
		fi
	fi
	say "installing the npm codeowners package into $NPM_DIR"
	mkdir -p "$NPM_DIR"
	npm install --prefix "$NPM_DIR" --cache "$NPM_DIR/.npm" --no-audit --no-fund --silent \
		codeowners@5.1.1 >/dev/null 2>&1
}

scenario5() {
	say "5. CODEOWNERS: 100,000 paths x 2,000 rules, ours vs the npm codeowners package"
	mkdir -p "$W/co"
	out=$("$B/tests/bench/bench-codeowners" 2000 100000 "$W/co")
	wall=$(echo "$out" | sed -n 's/.* total \([0-9.]*\) ms wall, \([0-9.]*\) ms CPU.*/\1/p')
	cpu=$(echo "$out" | sed -n 's/.* total \([0-9.]*\) ms wall, \([0-9.]*\) ms CPU.*/\2/p')
	[ -n "$wall" ] || die "bench-codeowners printed no result: $out"
	if npm_codeowners; then
		set -- $(NODE_PATH="$NPM_DIR/node_modules" node "$S/tests/bench/codeowners-npm.js" "$W/co")
		npm=$1
		r=$(ratio "$npm" "$wall")
		row "5. CODEOWNERS: 100,000 paths x 2,000 rules (parse + match, median of 5)" \
			"$(fmt_ms "$wall") (cpu $(fmt_ms "$cpu"))" "$(fmt_ms "$npm") npm codeowners 5.1.1 (one run)" \
			"1/$(awk -v x="$r" 'BEGIN { printf "%.0f", x }') (npm ${r}x slower)" "< 100 ms; npm >= 20x slower" \
			"$(verdict le "$wall" 100) / $(verdict le 20 "$r")"
	else
		row "5. CODEOWNERS: 100,000 paths x 2,000 rules (parse + match, median of 5)" \
			"$(fmt_ms "$wall") (cpu $(fmt_ms "$cpu"))" "npm not available" "-" "< 100 ms" "$(verdict le "$wall" 100)"
	fi
	note "- Scenario 5: the npm package reads GitLab section headers as patterns; on this file it does less work than ours, which matches every path once per section (8 sections)."
}

# audit_fill LOG COUNT BATCH [--no-sync]: COUNT appends of BATCH pre-receive records each.
audit_fill() {
	log=$1 count=$2 batch=$3
	shift 3
	"$APPEND" --log "$log" --key "$W/audit/audit.key" --origin "$ORIGIN" --count "$count" --batch "$batch" \
		--timing --repo /srv/git/k8s.git --push 0123456789abcdef0123456789abcdef --pusher u02 \
		--identity REMOTE_USER --policy sha256:5d41402abc4b2a76b9719d911017c592ae7c4b5b5d41402abc4b2a76b9719d91 \
		--ref refs/heads/develop --number-refs --old 1111111111111111111111111111111111111111 \
		--new 2222222222222222222222222222222222222222 \
		--approval u00,signature,SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU,3333333333333333333333333333333333333333 \
		--approval u02,pusher --codeowners 4444444444444444444444444444444444444444 "$@"
}

us_per_record() { sed -n 's/.*us_per_record=\([0-9.]*\).*/\1/p'; }
us_per_append() { sed -n 's/.*us_per_append=\([0-9.]*\).*/\1/p'; }

scenario6() {
	say "6. audit: appends with fdatasync (1 and 8 writers), verify, proofs"
	[ -f "$W/audit/audit.key" ] || setup_keys_and_policy	# alone, scenario 6 needs no repository
	A=$W/audit6
	rm -rf "$A"
	mkdir -p "$A"
	one=$(audit_fill "$A/one.log" 200 1 | us_per_append)
	row "6. audit append, 1 writer, fdatasync, log on disk (per record)" \
		"$(awk -v x="$one" 'BEGIN { printf "%.2f ms", x / 1000 }')" "-" "-" "-" "-"
	# 8 writers at once: their appends share fdatasyncs and checkpoints
	# (group commit); with PC_BENCH_OLD_BUILD, also that build's appends
	# in turn, for the figures of before
	app0=$APPEND
	for round in 1 2 3; do
		for build in new ${PC_BENCH_OLD_BUILD:+old}; do
			APPEND=$app0
			[ $build = new ] || APPEND=$PC_BENCH_OLD_BUILD/tests/helpers/pc-audit-append
			rm -rf "$A"/eight.log*
			t0=$(date +%s%N)
			for w in 1 2 3 4 5 6 7 8; do
				audit_fill "$A/eight.log" 100 1 >"$A/w$w.out" &
			done
			wait
			t1=$(date +%s%N)
			policy-check audit verify --vkey "$W/audit/audit.vkey" "$A/eight.log" >"$A/eight.verify" 2>&1 ||
				die "the log of 8 concurrent writers does not verify: $(cat "$A/eight.verify")"
			lines=$(wc -l <"$A/eight.log")
			[ "$lines" = 800 ] || die "8 concurrent writers: $lines records, not 800"
			awk -v t0="$t0" -v t1="$t1" -v n="$lines" 'BEGIN { printf "%.3f\n", (t1 - t0) / 1e6 / n }' >>"$A/per.$build"
		done
	done
	APPEND=$app0
	per=$(median "$A/per.new")
	row "6b. audit append, 8 concurrent writers, fdatasync, group commit: wall time / records (median of 3)" \
		"$per ms per record, 800 records" "-" "-" "every record kept, tree valid" "yes"
	if [ -n "${PC_BENCH_OLD_BUILD:-}" ]; then
		old=$(median "$A/per.old")
		row "6b. the same with the appends of $PC_BENCH_OLD_BUILD (same loop)" \
			"$old ms per record" "$per ms per record, this build" "$(ratio "$old" "$per")" "(information)" "-"
	fi
	for spec in 100000:100,000 1000000:1,000,000; do
		n=${spec%%:*} label=${spec#*:}
		log=$SHM/audit-$n.log
		if [ "$n" = 1000000 ]; then
			# an auditor's checkpoint at 700,000 records, for the consistency proof (6f)
			audit_fill "$log" 700 1000 --no-sync >/dev/null
			cp "$log.checkpoint" "$A/old.checkpoint"
			audit_fill "$log" 300 1000 --no-sync >/dev/null
		else
			audit_fill "$log" 1000 $((n / 1000)) --no-sync >/dev/null
		fi
		runs=5
		[ "$n" -lt 1000000 ] || runs=3
		set -- $("$BT" -n $runs -w 0 policy-check audit verify --vkey "$W/audit/audit.vkey" "$log")
		rate=$(awk -v n="$n" -v ms="$1" 'BEGIN { printf "%.0f", n / (ms / 1000) }')
		row "6c. audit verify, $label records ($(du -m "$log" | cut -f1) MB)" \
			"$(fmt_ms "$1") (cpu $(fmt_ms "$2")) = $rate records/s" "-" "-" ">= 200,000 records/s" \
			"$(verdict le 200000 "$rate")"
	done
	log=$SHM/audit-1000000.log
	# proofs from the tiles (LOG.tiles) vs from the whole log (the tiles moved away)
	policy-check audit proof --index 765432 "$log" >"$A/proof" 2>"$A/proof.err"
	test ! -s "$A/proof.err" || die "audit proof did not use the tiles: $(cat "$A/proof.err")"
	set -- $("$BT" -n 9 -w 1 policy-check audit proof --index 765432 "$log")
	tiles_wall=$1 tiles_cpu=$2
	mv "$log.tiles" "$log.tiles.away"
	policy-check audit proof --index 765432 "$log" >"$A/proof.log"
	set -- $("$BT" -n 3 -w 0 policy-check audit proof --index 765432 "$log")
	mv "$log.tiles.away" "$log.tiles"
	cmp -s "$A/proof" "$A/proof.log" || die "the proofs from the tiles and from the log differ"
	row "6d. audit proof of record 765,432 of 1,000,000 from the tiles vs from the whole log (same bytes)" \
		"$(fmt_ms "$tiles_wall") (cpu $(fmt_ms "$tiles_cpu")), $(wc -c <"$A/proof") bytes" \
		"$(fmt_ms "$1") (cpu $(fmt_ms "$2")) whole log" "$(ratio "$tiles_wall" "$1")" "< 10 ms" \
		"$(verdict le "$tiles_wall" 10)"
	set -- $("$BT" -n 9 -w 1 policy-check audit verify --vkey "$W/audit/audit.vkey" \
		--checkpoint "$A/old.checkpoint" --consistency-only "$log")
	cons_wall=$1 cons_cpu=$2
	set -- $("$BT" -n 3 -w 0 policy-check audit verify --vkey "$W/audit/audit.vkey" \
		--checkpoint "$A/old.checkpoint" "$log")
	row "6f. consistency 700,000 -> 1,000,000: verify --consistency-only (tiles) vs full verify --checkpoint" \
		"$(fmt_ms "$cons_wall") (cpu $(fmt_ms "$cons_cpu"))" "$(fmt_ms "$1") (cpu $(fmt_ms "$2")) full" \
		"$(ratio "$cons_wall" "$1")" "< 10 ms" "$(verdict le "$cons_wall" 10)"
	# O(log n): an append to a log of a million records costs what one to an empty log does.
	small=$(audit_fill "$SHM/empty.log" 200 1 --no-sync | us_per_append)
	big=$(audit_fill "$log" 200 1 --no-sync | us_per_append)
	r=$(ratio "$big" "$small")
	row "6e. audit append without fsync: log of 1,000,000 records vs empty log" \
		"$(awk -v x="$big" 'BEGIN { printf "%.0f us", x }')" "$(awk -v x="$small" 'BEGIN { printf "%.0f us", x }') empty log" \
		"$r" "O(log n): flat (<= 1.5x)" "$(verdict le "$r" 1.5)"
	# the same at 10,000 records: the tiles an append writes do not grow with the log
	audit_fill "$SHM/ten.log" 10 1000 --no-sync >/dev/null
	ten=$(audit_fill "$SHM/ten.log" 200 1 --no-sync | us_per_append)
	big=$(audit_fill "$log" 200 1 --no-sync | us_per_append)
	r=$(ratio "$big" "$ten")
	row "6g. audit append without fsync (tiles included): log of 1,000,000 records vs 10,000" \
		"$(awk -v x="$big" 'BEGIN { printf "%.0f us", x }')" "$(awk -v x="$ten" 'BEGIN { printf "%.0f us", x }') at 10,000" \
		"$r" "O(log n): flat (<= 1.5x)" "$(verdict le "$r" 1.5)"
	rm -rf "$SHM"/audit-*.log* "$SHM"/empty.log* "$SHM"/ten.log*
}

# peak KiB of one run of a command, by /usr/bin/time
peak_rss() {
	/usr/bin/time -f %M -o "$W/rss" "$@" >/dev/null 2>&1 || die "failed: $*"
	cat "$W/rss"
}

scenario7() {
	say "7. peak RSS of the hook (scenarios 1 and 3)"
	[ -x /usr/bin/time ] || { row "7. peak RSS" "/usr/bin/time missing (package time)" "-" "-" "-" "-"; return 0; }
	H=$(git -C "$R" rev-parse main) SMALL=$(tip "$R" small)
	hook_stdin "$W/small.in" "$H" "$SMALL" refs/heads/develop
	ours=$(cd "$R" && export GIT_DIR=. REMOTE_USER=u02 && peak_rss "$HOOK" <"$W/small.in")
	a=$(cd "$R" && peak_rss git rev-list "$H..$SMALL")
	b=$(cd "$R" && peak_rss git diff-tree -r --name-only "$H" "$SMALL")
	[ "$a" -gt "$b" ] || a=$b
	row "7. peak RSS, small push" "$((ours / 1024)) MiB" "$((a / 1024)) MiB git rev-list / diff-tree" \
		"$(ratio "$ours" "$a")" "-" "-"
	for n in 1k 10k; do
		id=$(tip "$R" "big-$n")
		hook_stdin "$W/big-$n.in" "$ZERO" "$id" "refs/heads/feature/big-$n"
		ours=$(cd "$R" && export GIT_DIR=. REMOTE_USER=u02 && peak_rss "$HOOK" <"$W/big-$n.in")
		base=$(cd "$R" && peak_rss git log --raw --no-renames --format=%H%n%B "$id" --not --all)
		row "7. peak RSS, new branch with $n commits" "$((ours / 1024)) MiB" "$((base / 1024)) MiB git log --raw" \
			"$(ratio "$ours" "$base")" "-" "-"
	done
	for n in 20k 100k; do
		if [ $n = 20k ]; then id=$(tip20k); else id=$(tip "$R" big-100k); fi
		hook_stdin "$W/big-$n.in" "$ZERO" "$id" "refs/heads/feature/big-$n"
		ours=$(cd "$R" && export GIT_DIR=. REMOTE_USER=u02 && peak_rss "$HOOK" <"$W/big-$n.in")
		base=$(cd "$R" && peak_rss git rev-list --objects "$id" --not --all)
		r=$(ratio "$ours" "$base")
		row "7. peak RSS, new branch with $n commits, rules.deny_paths and max_blob_size on" "$((ours / 1024)) MiB" \
			"$((base / 1024)) MiB git rev-list --objects" "$r" "<= 1.5x" "$(verdict le "$r" 1.5)"
	done
}

scenario8() {
	say "8. glob: pathological patterns vs 4 KiB names, ours vs fnmatch(3) scanning the name once"
	"$B/tests/bench/bench-glob" >"$W/glob.out" || die "bench-glob failed"
	while read -r name ours base; do
		row "8. glob: pathological pattern vs 4 KiB name: ${name%%:*} \`${name#*:}\`" \
			"$ours us" "$base us fnmatch(3) \`*b\`, one scan" "$(ratio "$ours" "$base")" \
			"O(pattern x name), never exponential; < 10 ms" "$(verdict le "$ours" 10000)"
	done <"$W/glob.out"
	note "- Scenario 8: with the matcher of before (backtracking at every star) \`feature/*-*-*-*z\` took 2.6 s against a 400-byte ref name, and grows as the name length to the power of the number of stars."
}

scenario10() {
	n=${PC_BENCH_REPORT_RECORDS:-1000000}
	label=$(printf "%d" "$n" | sed -e :a -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/;ta')
	say "10. audit report of a log of $label records: html, csv, json"
	A=$SHM/report10
	rm -rf "$A"
	mkdir -p "$A"
	policy-check audit keygen --origin "$ORIGIN" "$A/k" >/dev/null 2>&1
	# the records of audit_fill, in three environments: $n changes to report
	for env in prd stg dev; do
		"$APPEND" --log "$A/audit.log" --key "$A/k.key" --origin "$ORIGIN" --no-sync \
			--count $(((n + 2999) / 3000)) --batch 1000 --repo /srv/git/k8s.git \
			--push 0123456789abcdef0123456789abcdef --pusher u02 --identity REMOTE_USER \
			--ref refs/heads/$env --old 1111111111111111111111111111111111111111 \
			--new 2222222222222222222222222222222222222222 \
			--approval u00,signature,SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU,3333333333333333333333333333333333333333 \
			--approval u02,pusher >/dev/null || die "filling the log failed"
	done
	records=$(wc -l <"$A/audit.log")
	label=$(printf "%d" "$records" | sed -e :a -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/;ta')
	for format in html csv json; do
		set -- $("$BT" -n 1 -w 0 sh -c 'policy-check audit report --vkey "$1.vkey" --format "$2" "$3" >"$4"' \
			report "$A/k" "$format" "$A/audit.log" "$A/report.$format")
		size=$(du -m "$A/report.$format" | cut -f1)
		rate=$(awk -v n="$records" -v ms="$1" 'BEGIN { printf "%.0f", n / (ms / 1000) }')
		row "10. audit report --format $format, $label records in 3 environments ($(du -m "$A/audit.log" | cut -f1) MB log, no --repo)" \
			"$(fmt_ms "$1") (cpu $(fmt_ms "$2")) = $rate records/s, $size MB out, peak RSS $(($3 / 1024)) MB" \
			"-" "-" "-" "-"
		rm -f "$A/report.$format"
	done
	note "- Scenario 10: every record of the log is a change the report cites, each with its inclusion proof (verified) and its row; the log is read three times (verify, select and hash, render) and never held in memory: one hash per record (two with the tree) and the cited records' offsets."
	rm -rf "$A"
}

# gitolite3 on the small push of scenario 2: its own update hook (what a
# gitolite server pays today), and ours installed beside it in the same
# repository as t8711 does (pre-receive and reference-transaction).  The
# push reaches gitolite-shell as sshd would hand it over (SSH_CONNECTION,
# SSH_ORIGINAL_COMMAND, the key's user), through a stand-in for ssh: the
# transport is left out, gitolite's whole work is in.
scenario12() {
	say "12. gitolite3: its update hook, and ours chained beside it, on the push of scenario 2"
	if ! [ -x /usr/share/gitolite3/gitolite-shell ] || ! command -v gitolite >/dev/null; then
		row "12. gitolite3's own update hook on the push of scenario 2" "skipped: gitolite3 is not installed" \
			"-" "-" "(information)" "-"
		return 0
	fi
	H=$(git -C "$R" rev-parse main) SMALL=$(tip "$R" small)
	GL=$W/gitolite
	rm -rf "$GL"
	mkdir -p "$GL/home" "$W/hooks-none"
	# gitolite globs its paths: no spaces (W has none)
	env GIT_CONFIG_GLOBAL="$GL/home/.gitconfig" USER=bench HOME="$GL/home" \
		gitolite setup -pk "$W/keys/u00.pub" >"$GL/setup.out" 2>&1 || die "gitolite setup failed: $GL/setup.out"
	printf '\nrepo bench\n    RW+     =   u02\n\nrepo bench-pc\n    RW+     =   u02\n' \
		>>"$GL/home/.gitolite/conf/gitolite.conf"
	for name in bench bench-pc; do
		git clone -q --mirror --shared "$R" "$GL/home/repositories/$name.git"
	done
	env GIT_CONFIG_GLOBAL="$GL/home/.gitconfig" USER=bench HOME="$GL/home" gitolite compile &&
	env GIT_CONFIG_GLOBAL="$GL/home/.gitconfig" USER=bench HOME="$GL/home" \
		gitolite setup >>"$GL/setup.out" 2>&1 || die "gitolite setup failed: $GL/setup.out"
	policy-check install --policy "$W/policy.yml" --hook pre-receive --hook reference-transaction \
		"$GL/home/repositories/bench-pc.git" >/dev/null
	[ -L "$GL/home/repositories/bench-pc.git/hooks/update" ] || die "gitolite did not install its update hook"
	cat >"$GL/ssh" <<-EOF
	#!/bin/sh
	# ssh HOST COMMAND: what sshd hands gitolite-shell for the key of u02
	shift
	SSH_CONNECTION="127.0.0.1 50000 127.0.0.1 22" HOME="$GL/home" SSH_ORIGINAL_COMMAND="\$*" \\
		exec /usr/share/gitolite3/gitolite-shell u02
	EOF
	chmod +x "$GL/ssh"
	rm -rf "$W/client.git"
	git clone -q --bare --shared "$R" "$W/client.git"
	reset() { echo "git -C '$1' -c core.hooksPath='$W/hooks-none' update-ref refs/heads/develop $H"; }
	plain="git -C $W/client.git push -q $R $SMALL:refs/heads/develop"
	glpush() { echo "git -C $W/client.git push -q ssh://gitolite/$1 $SMALL:refs/heads/develop"; }
	git -C "$R" config core.hooksPath "$W/hooks-none"
	set -- $(REMOTE_USER=u02 GIT_SSH_COMMAND="$GL/ssh" "$BT" -n 15 -w 2 \
		--before "$(reset "$R") && git -C '$R' config core.hooksPath '$W/hooks-none'" $plain \
		--vs --before "$(reset "$GL/home/repositories/bench.git")" $(glpush bench) \
		--vs --before "$(reset "$GL/home/repositories/bench-pc.git")" $(glpush bench-pc) \
		--vs --before "$(reset "$R") && git -C '$R' config core.hooksPath '$R/hooks'" $plain)
	none=$1 gl=$6 glpc=${11} ours=${16}
	[ "$(git -C "$GL/home/repositories/bench-pc.git" rev-parse develop)" = "$SMALL" ] ||
		die "the push through gitolite and policy-check did not land"
	row "12. gitolite3 (gitolite-shell and its update hook) on the push of scenario 2 vs no hook" \
		"$(fmt_ms "$gl")" "$(fmt_ms "$none") no hook" "$(ratio "$gl" "$none")" "(information)" "-"
	row "12b. the same push: our hooks alone (row 2) vs gitolite3's own" \
		"$(fmt_ms "$ours")" "$(fmt_ms "$gl") gitolite3" "$(ratio "$ours" "$gl")" "(information)" "-"
	row "12c. gitolite3 with ours beside it (pre-receive, reference-transaction) vs gitolite3 alone" \
		"$(fmt_ms "$glpc")" "$(fmt_ms "$gl") gitolite3" "$(ratio "$glpc" "$gl")" "(what adding policy-check costs a gitolite server)" "-"
	git -C "$R" -c core.hooksPath="$W/hooks-none" update-ref refs/heads/develop "$H"
	git -C "$R" config --unset core.hooksPath
}

# scenario 11: many pushers at once (group commit of the audit appends)
s11_round() {	# MODE ROUND: one round of P pushers x K pushes; wall ms in $A/wall.MODE
	mode=$1 round=$2 srv=$A/srv.git
	rm -rf "$srv"
	git clone -q --bare "$A/template.git" "$srv"
	case $mode in
	none) git -C "$srv" config core.hooksPath "$A/hooks-none" ;;
	ours) policy-check install --policy "$A/policy.yml" "$srv" >/dev/null ;;
	tmpfs) policy-check install --policy "$A/policy-tmpfs.yml" "$srv" >/dev/null ;;
	old) "$PC_BENCH_OLD_BUILD/policy-check" install --policy "$A/policy.yml" "$srv" >/dev/null ;;
	esac
	log=$A/audit/audit.log
	[ $mode != tmpfs ] || log=$SHM/audit11/audit.log
	t0=$(date +%s%N)
	p=1
	while [ $p -le $P ]; do
		(
			cd "$A/c$p"
			while read -r id; do
				s=$(date +%s%N)
				REMOTE_USER=dev git push -q "file://$srv" "$id:refs/heads/feature/p$p" 2>>"$A/push.err" ||
					echo fail >>"$A/fail.$mode"
				echo $((($(date +%s%N) - s) / 1000)) >>"$A/lat.$mode"
			done <ids
		) &
		p=$((p + 1))
	done
	wait
	echo $((($(date +%s%N) - t0) / 1000000)) >>"$A/wall.$mode"
	if [ "$mode" != none ]; then
		policy-check audit verify --vkey "$A/audit/audit.vkey" "$log" >"$A/verify.out" 2>&1 ||
			die "scenario 11: the log does not verify after round $round ($mode): $(cat "$A/verify.out")"
		n=$(grep -c "\"decision\":\"accept\"" "$log")
		[ "$n" = $((P * K)) ] || die "scenario 11: $n accept records after $((P * K)) pushes ($mode)"
		rm -rf "$log"*
	fi
}

# median of the numbers in FILE
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

scenario11() {
	P=${PC_BENCH_PUSHERS:-16} K=${PC_BENCH_PUSHES:-15} rounds=${PC_BENCH_ROUNDS11:-3}
	say "11. $P pushers x $K pushes at once into one repository and one audit log on disk: our hooks vs no hook"
	A=$W/concurrent11
	rm -rf "$A"
	mkdir -p "$A/audit" "$A/hooks-none" "$A/keys" "$HOME"
	chmod 700 "$A/audit"
	policy-check audit keygen --origin "$ORIGIN" "$A/audit/audit" >/dev/null 2>&1
	ssh-keygen -q -t ed25519 -N "" -C dev -f "$A/keys/dev"
	cat >"$A/policy.yml" <<-EOF
	version: 1
	strategy: pattern2
	identity:
	  env: [REMOTE_USER]
	users:
	  dev: { email: dev@example.com, keys: ["$(cat "$A/keys/dev.pub")"] }
	groups:
	  sre: [dev]
	admins: [sre]
	work_branches: ["feature/*", "hotfix/*"]
	audit:
	  log: $A/audit/audit.log
	  key: $A/audit/audit.key
	  origin: $ORIGIN
	EOF
	policy-check lint --policy "$A/policy.yml" >/dev/null || die "the policy of scenario 11 does not lint"
	mkdir -p "$SHM/audit11"
	sed "s|log: .*|log: $SHM/audit11/audit.log|" "$A/policy.yml" >"$A/policy-tmpfs.yml"
	git init -q "$A/seed"
	(cd "$A/seed" && mkdir -p app && echo "kind: Deployment" >app/app.yaml && git add . &&
		git commit -q -m "chore: initial layout" && git branch -q develop)
	git clone -q --bare "$A/seed" "$A/template.git"
	# each pusher its clone, its branch and its K commits, made once
	p=1
	while [ $p -le $P ]; do
		git clone -q "$A/template.git" "$A/c$p"
		(
			cd "$A/c$p" && git checkout -q -b feature/p$p origin/develop
			j=1
			while [ $j -le $K ]; do
				echo "n: $p-$j" >"app/p$p.yaml" && git add app && git commit -q -m "feat: pusher $p push $j" &&
					git rev-parse HEAD >>ids
				j=$((j + 1))
			done
		) || die "scenario 11: cannot make the commits of pusher $p"
		p=$((p + 1))
	done
	modes="none ours tmpfs"
	[ -z "${PC_BENCH_OLD_BUILD:-}" ] || modes="$modes old"
	rm -f "$A"/wall.* "$A"/lat.* "$A"/fail.*
	r=1
	while [ $r -le $rounds ]; do
		for m in $modes; do
			s11_round $m $r
		done
		r=$((r + 1))
	done
	! ls "$A"/fail.* >/dev/null 2>&1 || die "scenario 11: pushes failed: $(tail -n 5 "$A/push.err")"
	none=$(median "$A/wall.none") ours=$(median "$A/wall.ours")
	lnone=$(median "$A/lat.none") lours=$(median "$A/lat.ours")
	r=$(ratio "$ours" "$none")
	row "11. $P pushers x $K pushes at once (git push over file://, one repository, audit log on disk): wall time, our hooks vs no hook (median of $rounds rounds, in turn)" \
		"$(fmt_ms "$ours"), p50 latency $(fmt_ms "$(awk -v x="$lours" 'BEGIN { print x / 1000 }')")" \
		"$(fmt_ms "$none"), p50 latency $(fmt_ms "$(awk -v x="$lnone" 'BEGIN { print x / 1000 }')") no hook" \
		"$r" "<= 1.5x; every push kept and verified" "$(verdict le "$r" 1.5)"
	tmp=$(median "$A/wall.tmpfs") ltmp=$(median "$A/lat.tmpfs")
	row "11c. the same with the audit log on tmpfs (no disk; same loop)" \
		"$(fmt_ms "$tmp"), p50 latency $(fmt_ms "$(awk -v x="$ltmp" 'BEGIN { print x / 1000 }')")" \
		"$(fmt_ms "$none") no hook" "$(ratio "$tmp" "$none")" "(what the disk costs: row 11 against this)" "-"
	if [ -n "${PC_BENCH_OLD_BUILD:-}" ]; then
		old=$(median "$A/wall.old") lold=$(median "$A/lat.old")
		row "11b. the same with the hooks of $PC_BENCH_OLD_BUILD (same loop)" \
			"$(fmt_ms "$old"), p50 latency $(fmt_ms "$(awk -v x="$lold" 'BEGIN { print x / 1000 }')")" \
			"$(fmt_ms "$none") no hook" "$(ratio "$old" "$none")" "(information)" "-"
	fi
	note "- Scenario 11: every round starts from a fresh clone of the same repository and an empty log; each push runs pre-receive and reference-transaction, so two appends per push; appends that find the audit lock taken queue their records for the append that holds it (group commit, doc/DESIGN.md section 11)."
	rm -rf "$A"
}

# ---- main -------------------------------------------------------------------

[ -x "$BT" ] && [ -x "$GEN" ] && [ -x "$HOOK" ] && [ -x "$APPEND" ] && [ -x "$B/tests/bench/bench-glob" ] || die "build first (make bench does)"
if [ "$ONLY" = 8 ] || [ "$ONLY" = 10 ] || [ "$ONLY" = "8 10" ] || [ "$ONLY" = 11 ] || [ "$ONLY" = 6 ] || [ "$ONLY" = "6 11" ]; then
	mkdir -p "$W"	# the glob, report and many-pushers scenarios need no benchmark repository
elif [ "${PC_BENCH_REUSE:-}" = 1 ] && [ -f "$W/setup.done" ] && [ "$W/setup.done" -nt "$GEN" ]; then
	say "reusing the repositories in $W"
	# The policy names the tmpfs log of the previous run.
	{ cat "$W/policy.common"; echo "  log: $SHM/audit.log"; } >"$W/policy.yml"
	grep -v 'deny_paths\|max_blob_size' "$W/policy.yml" >"$W/policy-nopath.yml"
else
	setup
fi
R=$W/bench.git
: >"$TABLE"
: >"$NOTES"
# The short CPU-bound measurements first: after the pushes of 100,000
# commits (close to 1 GiB of memory) the machine is slower for a while.
for s in 8 1 2 12 5 6 10 11 9 3 4 7; do
	if want $s; then
		"scenario$s"
	fi
done

{
	echo "policy-check benchmarks ($(date -u +%Y-%m-%d), \`make bench\`, $(( $(date +%s) - START )) s):"
	echo
	machine
	echo
	echo "| Scenario | Ours | Baseline | Ratio | Target | Met |"
	echo "|---|---|---|---|---|---|"
	# in scenario order (1, 1b, 1c, 2, ...), rows of one label as they came
	awk -F'|' '{ l = $2; sub(/^ */, "", l); match(l, /^[0-9]+[a-z]?/); k = substr(l, 1, RLENGTH)
		n = k + 0; x = substr(k, length(n "") + 1); printf "%03d%s\t%s\n", n, x == "" ? "_" : x, $0 }' \
		"$TABLE" | sort -s -t"$(printf '\t')" -k1,1 | cut -f2-
	echo
	echo "Times are medians of repeated runs, measured in turn with their baseline in the same loop"
	echo "(wall clock; cpu = user + system). The hook runs as git runs it (GIT_DIR=., REMOTE_USER,"
	echo "the pre-receive line on stdin) with its audit log on tmpfs (/dev/shm), so the disk is measured"
	echo "only where a row says so."
	cat "$NOTES"
} >"$RESULTS"
cat "$RESULTS"
say "results in $RESULTS"
