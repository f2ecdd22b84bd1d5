#!/bin/sh
# contrib/quickstart.sh: install what is missing, build, and run the demo.
#
# usage: contrib/quickstart.sh [--dir DIR] [--no-build]
#
# The demo lives in DIR (default ./demo), which is wiped and recreated on
# every run: a bare server repository with the hooks installed, a Pattern2
# policy derived from policy/pattern2.yml, the example repository
# policy/examples/pattern2, and clones for alice, bob (sre) and carol (app).
# Each step checks its own verdict, so a non-zero exit means the program
# did not behave as documented: the demo doubles as a smoke test.
#
# --no-build skips the package installation and the build and uses the
# programs already built in $PC_BUILD (default _build).
set -eu

usage() {
	echo "usage: contrib/quickstart.sh [--dir DIR] [--no-build]" >&2
	exit 2
}

demo_dir=./demo
build_it=1
while [ $# -gt 0 ]; do
	case $1 in
	--dir) [ $# -ge 2 ] || usage; demo_dir=$2; shift 2 ;;
	--dir=*) demo_dir=${1#--dir=}; shift ;;
	--no-build) build_it=; shift ;;
	-h|--help) echo "usage: contrib/quickstart.sh [--dir DIR] [--no-build]"; exit 0 ;;
	*) usage ;;
	esac
done

top=$(cd "$(dirname "$0")/.." && pwd)
build=${PC_BUILD:-$top/_build}
case $build in /*) ;; *) build=$(pwd)/$build ;; esac

if [ -n "$build_it" ]; then
	# A subshell: deps.sh's functions set variables of their own.
	(
		. "$top/contrib/deps.sh"
		pc_need_packages $PC_BUILD_PACKAGES
		echo "building policy-check in $build ..."
		pc_build "$build"
	)
fi
if [ ! -x "$build/policy-check" ] || [ ! -x "$build/hooks/pre-receive" ]; then
	echo "quickstart: no built policy-check in $build; run contrib/quickstart.sh without --no-build" >&2
	exit 2
fi
PATH=$build:$PATH
export PATH

# ---- the demo folder: wipe and recreate, but only a folder this script made ----

marker=.policy-check-quickstart
if [ -e "$demo_dir" ]; then
	if [ -f "$demo_dir/$marker" ]; then
		rm -rf "$demo_dir"
	elif [ -d "$demo_dir" ] && [ -z "$(ls -A "$demo_dir")" ]; then
		rmdir "$demo_dir"
	else
		echo "quickstart: $demo_dir exists and was not made by quickstart.sh; remove it or choose --dir" >&2
		exit 2
	fi
fi
mkdir -p "$demo_dir"
demo_dir=$(cd "$demo_dir" && pwd)
: >"$demo_dir/$marker"
cd "$demo_dir"
base=$(basename "$demo_dir")

# The demo's git reads no user or system configuration; its clones carry
# their own.  The pusher is named by REMOTE_USER, as a web server would.
# Each clone's user.name and user.email are its author: nothing overrides them.
unset GL_USERNAME GL_USER GITEA_PUSHER_NAME REMOTE_USER GIT_DIR GIT_WORK_TREE EMAIL \
	GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_AUTHOR_DATE GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL \
	GIT_COMMITTER_DATE
GIT_CONFIG_NOSYSTEM=1
GIT_CONFIG_GLOBAL=/dev/null
export GIT_CONFIG_NOSYSTEM GIT_CONFIG_GLOBAL

started=$(date +%s)
n=0
out=$demo_dir/.last-output

fail() {
	echo "quickstart: step $n: $*" >&2
	echo "quickstart: the demo stopped; its folder $demo_dir is left as it was" >&2
	exit 1
}

step() {
	n=$((n + 1))
	printf '\n==> %d. %s\n' "$n" "$*"
}

# A word as the user would type it: quoted when it holds anything unusual.
shell_word() {
	case $1 in
	*\'*) printf '"%s"' "$(printf '%s' "$1" | sed 's/["$`\\]/\\&/g')" ;;
	*[!A-Za-z0-9_./:=@^+-]*) printf "'%s'" "$1" ;;
	*) printf '%s' "$1" ;;
	esac
}

# show WHO CMD...: the command as typed in WHO's folder ("." is the demo folder).
show() {
	who=$1
	shift
	if [ "$who" = . ]; then printf '  %s$' "$base"; else printf '  %s/%s$' "$base" "$who"; fi
	for w in "$@"; do printf ' '; shell_word "$w"; done
	printf '\n'
}

# run WHO CMD...: show the command, run it in WHO's folder, keep it quiet.
run() {
	who=$1
	show "$@"
	shift
	(cd "$demo_dir/$who" && "$@") >"$out" 2>&1 || { sed 's/^/    /' "$out"; fail "'$*' failed"; }
}

# Git's own output, without the "To <path>" line that only repeats the URL
# and without the blanks git pads remote: lines with.
print_output() {
	grep -v '^To ' "$out" | sed -e 's/[[:space:]]*$//' -e 's/^/    /' || true
}

# push USER WANT [PATTERN...] -- ARGS...: USER pushes from their clone with
# REMOTE_USER=USER.  WANT is the verdict line the hook must print, e.g.
# "accepted refs/heads/develop"; the exit status must agree with it, and each
# PATTERN must appear in the output too.
push() {
	user=$1 want=$2
	shift 2
	patterns=
	while [ "$1" != -- ]; do
		patterns="$patterns
$1"
		shift
	done
	shift
	set -- REMOTE_USER="$user" git push "$@"
	show "$user" "$@"
	status=0
	(cd "$demo_dir/$user" && env "$@") >"$out" 2>&1 || status=$?
	print_output
	case $want in
	rejected*) [ "$status" != 0 ] || fail "the push was accepted; expected: $want" ;;
	*) [ "$status" = 0 ] || fail "the push was rejected (exit $status); expected: $want" ;;
	esac
	grep -q "^remote: policy-check: $want" "$out" || fail "no 'remote: policy-check: $want' in git's output"
	expect_lines "$patterns"
}

# expect_lines PATTERNS: every line of PATTERNS (basic regexes) is in the last output.
expect_lines() {
	while IFS= read -r p; do
		[ -z "$p" ] && continue
		grep -q -- "$p" "$out" || fail "expected '$p' in the output"
	done <<-EOF
	$1
	EOF
}

# ---- 1. the server ----

step "Set up a server repository with the hooks and a Pattern2 policy"
mkdir keys audit
chmod 700 audit
echo "  $base\$ for u in alice bob carol; do ssh-keygen -q -t ed25519 -N '' -C \$u@demo -f keys/\$u; done"
for u in alice bob carol; do
	ssh-keygen -q -t ed25519 -N "" -C "$u@demo" -f "keys/$u"
done

# The policy is policy/pattern2.yml with the generated keys and this
# folder's audit files; everything else stays as the example says.
origin=$(sed -n 's/^  origin: *//p' "$top/policy/pattern2.yml")
set -- -e 's|^\(  log: *\).*|\1audit/audit.log|' -e 's|^\(  key: *\).*|\1audit/audit.key|'
for u in alice bob carol; do
	set -- "$@" -e "s|^\\(  $u: *{.*keys: *\\[\\)\"[^\"]*\"|\\1\"$(cat "keys/$u.pub")\"|"
done
sed "$@" "$top/policy/pattern2.yml" >policy.yml
for u in alice bob carol; do
	grep -qF "$(cat "keys/$u.pub")" policy.yml || fail "policy/pattern2.yml has no key line for $u to replace"
done
grep -q '^  log: audit/audit.log$' policy.yml && grep -q '^  key: audit/audit.key$' policy.yml ||
	fail "policy/pattern2.yml has no audit log and key to replace"
echo "  (policy.yml is policy/pattern2.yml with these keys for alice, bob and carol,"
echo "   and the audit log and its key in audit/)"

show . policy-check audit keygen --origin "$origin" audit/audit
policy-check audit keygen --origin "$origin" audit/audit >"$out" 2>&1 || { cat "$out"; fail "audit keygen failed"; }
show . policy-check lint --policy policy.yml
policy-check lint --policy policy.yml >"$out" 2>&1 || { cat "$out"; fail "the demo policy does not lint"; }
sed 's/^/    /' "$out"
show . git init --bare -b main server.git
git init -q --bare -b main server.git
show . policy-check install --policy policy.yml server.git
policy-check install --policy policy.yml server.git >"$out" 2>&1 || { cat "$out"; fail "install failed"; }
sed 's/^/    /' "$out"

# ---- 2. bootstrap: an admin creates the environment branches ----

step "alice (admin) imports policy/examples/pattern2 and creates main, develop, staging"
git clone -q server.git alice 2>/dev/null
git -C alice config user.name alice
git -C alice config user.email alice@example.com
cp -R "$top/policy/examples/pattern2/." alice/
run alice git add .
run alice git commit -q -m "chore: import the example repository"
push alice "accepted refs/heads/main" "accepted refs/heads/develop" "accepted refs/heads/staging" -- \
	origin main main:develop main:staging
for u in bob carol; do
	git clone -q server.git "$u"
	git -C "$u" config user.name "$u"
	git -C "$u" config user.email "$u@example.com"
done

# ---- 3. a feature ----

step "carol pushes a feature branch (any known user may push feature/*)"
run carol git switch -q -c feature/web-memory origin/develop
run carol sed -i 's/memory: 128Mi/memory: 256Mi/' k8s/base/deployment.yaml
grep -q 'memory: 256Mi' carol/k8s/base/deployment.yaml || fail "cannot edit k8s/base/deployment.yaml"
run carol git commit -q -am "feat(web): raise the memory limit to 256Mi"
push carol "accepted refs/heads/feature/web-memory" -- origin feature/web-memory

step "alice merges it into develop (k8s/base/ is owned by @sre: her push is the approval)"
run alice git fetch -q origin
run alice git switch -q -c develop origin/develop
run alice git merge -q --no-ff -m "Merge feature/web-memory into develop" origin/feature/web-memory
push alice "accepted refs/heads/develop" "approved by: alice (pusher)" -- origin develop

# ---- 4. promotion ----

step "A direct push to staging is rejected"
run bob git switch -q -c staging origin/staging
run bob sed -i 's/newTag: .*/newTag: "1.3.0"/' k8s/overlays/stg/kustomization.yaml
run bob git commit -q -am "fix(stg): try web 1.3.0"
push bob "rejected refs/heads/staging" \
	'promotion: commit [0-9a-f]* "fix(stg): try web 1.3.0" is not on develop; staging takes changes only from develop' \
	-- origin staging

step "develop -> staging is promoted"
run alice git fetch -q origin
run alice git switch -q -c staging origin/staging
run alice git merge -q --no-ff -m "Merge develop into staging" origin/develop
push alice "accepted refs/heads/staging" -- origin staging

step "staging -> main is rejected for missing approvals (main needs two from sre)"
run carol git fetch -q origin
run carol git switch -q main
run carol git merge -q --ff-only origin/staging
push carol "rejected refs/heads/main" \
	'approval: .*needs 2 approvals from @sre' \
	'hint: policy-check approve [0-9a-f]* --target refs/heads/main' \
	-- origin main
commit=$(git -C carol rev-parse main)
short=$(git -C carol rev-parse --short=7 main)

step "alice and bob approve staging's tip $short for main (SSH-signed approval objects)"
for u in alice bob; do
	run "$u" git fetch -q origin
	set -- REMOTE_USER="$u" policy-check approve --key "../keys/$u" --target main "$short"
	show "$u" "$@"
	status=0
	(cd "$demo_dir/$u" && env "$@") >"$out" 2>&1 || status=$?
	print_output
	[ "$status" = 0 ] || fail "policy-check approve by $u failed (exit $status)"
	expect_lines "approval refs/approvals/$commit/main/$u-example.com for refs/heads/main
remote: policy-check: accepted refs/approvals/$commit/main/$u-example.com"
done

step "staging -> main is accepted now"
push carol "accepted refs/heads/main" "approved by: .*alice (signature).*bob (signature)" -- origin main

# ---- 5. break-glass ----

step "bob breaks the glass: a prd hotfix straight to main, accepted and recorded"
run bob git fetch -q origin
run bob git switch -q main
run bob git merge -q --ff-only origin/main
run bob sed -i 's/newTag: .*/newTag: "1.2.1"/' k8s/overlays/prd/kustomization.yaml
run bob git commit -q -am "fix(prd): web 1.2.1 stops the crash loop"
push bob "accepted with break-glass refs/heads/main" \
	'break-glass: INC-42 prd web pods crash-looping' \
	'promotion: commit [0-9a-f]* "fix(prd): web 1.2.1 stops the crash loop" is not on staging' \
	-- -o "break-glass=INC-42 prd web pods crash-looping, hotfix 1.2.1" origin main

# ---- 6. the audit trail ----

step "The audit log: every decision, rejected pushes included"
show . policy-check audit show audit/audit.log
policy-check audit show audit/audit.log >"$out" 2>&1 || { cat "$out"; fail "audit show failed"; }
sed 's/^/    /' "$out"
expect_lines 'refs/heads/staging .* reject
refs/heads/main .* reject'
policy-check audit show --break-glass audit/audit.log >"$out" 2>&1 || fail "audit show --break-glass failed"
expect_lines 'refs/heads/main'

step "An auditor verifies the log and its signed checkpoint"
show . policy-check audit verify --vkey audit/audit.vkey audit/audit.log
policy-check audit verify --vkey audit/audit.vkey audit/audit.log >"$out" 2>&1 ||
	{ sed 's/^/    /' "$out"; fail "audit verify failed"; }
sed 's/^/    /' "$out"

step "The auditor's evidence report: every change per environment, approvals, break-glass, proofs"
show . policy-check audit report --vkey audit/audit.vkey --repo server.git audit/audit.log '>' audit-report.html
(cd "$demo_dir" && policy-check audit report --vkey audit/audit.vkey --repo server.git audit/audit.log \
	>audit-report.html 2>"$out") || { sed 's/^/    /' "$out"; fail "audit report failed"; }
head -n 1 "$demo_dir/audit-report.html" | grep -q "<title>Verified audit report" ||
	fail "the report does not say the log verified"
echo "    the report: $demo_dir/audit-report.html (one page, no scripts: open it in a browser, print it to PDF)"

rm -f "$out"
q=$(shell_word "$demo_dir")
cat <<EOF

==> Done in $(($(date +%s) - started)) s.  Try pushes by hand (paste these lines):

  export PATH=$(shell_word "$build"):\$PATH
  git clone -q $q/server.git try && cd try
  git config user.name carol && git config user.email carol@example.com
  git switch -c feature/replicas origin/develop
  sed -i 's/replicas: 1/replicas: 2/' k8s/base/deployment.yaml && git commit -qam "feat: two replicas"
  REMOTE_USER=carol git push origin feature/replicas            # accepted: anyone may push feature/*
  REMOTE_USER=carol git push origin feature/replicas:develop    # rejected: k8s/base/ needs @sre
  git branch develop origin/develop      # check reads local branches as the server's
  policy-check check --policy $q/policy.yml --as alice develop origin/develop feature/replicas
  REMOTE_USER=alice git push origin feature/replicas:develop    # accepted: alice owns k8s/base/
  policy-check audit show --ref refs/heads/develop $q/audit/audit.log

The clones alice, bob and carol and their keys (keys/) in $q are
ready to use as well, e.g. policy-check approve --key ../keys/bob ...
EOF
