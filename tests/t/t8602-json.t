#!/bin/sh
test_description='--json of check, status, owners and lint: the documented fields, parseable, exit codes unchanged'
. "$(dirname "$0")/test-lib.sh"

if python3 -c "import json" 2>/dev/null; then
	test_set_prereq PYTHON3
fi

# shape KIND <json: check that the document has exactly the documented
# fields (doc/policy-check.1, JSON OUTPUT), with their types, and print
# a few values for the test to compare: one "path=value" a line.
cat >shape.py <<\PY
import json, sys

kind = sys.argv[1]
raw = sys.stdin.buffer.read()
assert raw.endswith(b"\n") and raw.count(b"\n") == 1, "one line, newline-terminated"
doc = json.loads(raw)
S, I, B, L, D, N = str, int, bool, list, dict, type(None)

def obj(v, where, fields):
    assert isinstance(v, dict), where
    assert sorted(v) == sorted(fields), "%s: fields %s, want %s" % (where, sorted(v), sorted(fields))
    for k, t in fields.items():
        assert isinstance(v[k], t) and not (t is I and isinstance(v[k], bool)), \
            "%s.%s: %r is not %s" % (where, k, v[k], t)

if kind == "check":
    obj(doc, "", {"accepted": B, "pusher": (S, N), "updates": L})
    for u in doc["updates"]:
        obj(u, "update", {"ref": S, "old": S, "new": S, "op": S, "ref_class": S, "accepted": B,
                          "violations": I, "dry_run": B, "break_glass": (S, N), "reasons": L,
                          "approvals": L})
        assert u["op"] in ("create", "update", "force", "delete")
        assert u["ref_class"] in ("protected", "work", "tag", "approval", "other")
        for r in u["reasons"]:
            obj(r, "reason", {"rule": S, "message": S, "hint": (S, N)})
            print("reason=%s: %s" % (r["rule"], r["message"]))
        for a in u["approvals"]:
            obj(a, "approval", {"user": S, "via": S, "key": (S, N), "object": (S, N)})
            print("approval=%s %s" % (a["user"], a["via"]))
        print("ref=%s accepted=%s violations=%d break_glass=%s" % (u["ref"], u["accepted"],
              u["violations"], u["break_glass"]))
    print("accepted=%s pusher=%s" % (doc["accepted"], doc["pusher"]))
elif kind == "status":
    obj(doc, "", {"strategy": S, "steps": L, "features": (L, N), "follow_ups": (L, N)})
    for s in doc["steps"]:
        obj(s, "step", {"from": S, "to": S, "state": S, "missing": (S, N), "error": (S, N),
                        "waiting": I, "commits": L, "promotion": (D, N)})
        assert (s["promotion"] is not None) == (s["state"] == "waiting")
        if s["promotion"] is not None:
            p = s["promotion"]
            obj(p, "promotion", {"pusher": (S, N), "merge": B, "conflict": B, "accepted": B,
                                 "error": (S, N), "reasons": L})
            for r in p["reasons"]:
                obj(r, "reason", {"rule": S, "message": S, "hint": (S, N)})
                print("promotion-reason=%s" % r["rule"])
        assert s["state"] in ("up-to-date", "waiting", "missing", "error")
        assert s["waiting"] == len(s["commits"])
        for c in s["commits"]:
            obj(c, "commit", {"id": S, "summary": (S, N)})
            print("commit=%s %s" % (c["id"], c["summary"].encode("utf-8", "surrogateescape").hex()))
        print("step=%s->%s %s %d" % (s["from"], s["to"], s["state"], s["waiting"]))
    for f in doc["features"] or []:
        obj(f, "feature", {"branch": S, "on": L, "skipped": B})
        print("feature=%s on=%s skipped=%s" % (f["branch"], ",".join(f["on"]), f["skipped"]))
    for f in doc["follow_ups"] or []:
        obj(f, "follow_up", {"branch": S, "on": S, "commits": (I, N), "missing": (L, N), "error": (S, N)})
        print("follow_up=%s on=%s commits=%s missing=%s" % (f["branch"], f["on"], f["commits"], ",".join(f["missing"] or [])))
    print("strategy=%s features=%s follow_ups=%s" % (doc["strategy"], doc["features"] is not None,
                                                     doc["follow_ups"] is not None))
elif kind == "owners":
    obj(doc, "", {"rev": S, "commit": S, "codeowners": S, "paths": L})
    for p in doc["paths"]:
        obj(p, "path", {"path": S, "sections": L})
        for s in p["sections"]:
            obj(s, "section", {"section": (S, N), "approvals": I, "optional": B, "excluded": B,
                               "owners": L, "default_owners": B, "line": (I, N), "pattern": (S, N)})
            for o in s["owners"]:
                obj(o, "owner", {"owner": S, "users": (L, N)})
            print("%s [%s] %s line=%s excluded=%s" % (p["path"], s["section"], " ".join(
                o["owner"] + ("" if o["users"] is None else "(" + ",".join(o["users"]) + ")")
                for o in s["owners"]), s["line"], s["excluded"]))
    print("codeowners=%s" % doc["codeowners"])
elif kind == "lint":
    obj(doc, "", {"policy": S, "valid": B, "errors": L})
    for e in doc["errors"]:
        obj(e, "error", {"file": S, "line": (I, N), "column": (I, N), "message": S})
        print("%s:%s:%s: %s" % (e["file"], e["line"], e["column"], e["message"]))
    print("valid=%s" % doc["valid"])
PY

shape() {
	python3 "$SHARNESS_TRASH_DIRECTORY/shape.py" "$@"
}

test_expect_success PYTHON3 'setup' '
	cat >CODEOWNERS <<-\EOF &&
	* @carol @alice
	[prd][2]
	/overlays/prd/ @sre
	!/overlays/prd/README.md
	EOF
	pc_setup_server pattern2 &&
	(
		cd work && git branch -q staging origin/staging &&
		git checkout -q --detach origin/staging &&
		pc_commit overlays/stg/x.yaml "x: 1" "fix: direct on staging" &&
		git rev-parse HEAD >../mine
	)
'

test_expect_success PYTHON3 'check --json: a rejection, exit 1, with the reasons of the text report' '
	(
		cd work &&
		test_expect_code 1 policy-check check --policy ../policy.yml --as alice \
			staging origin/staging $(cat ../mine) >../text.out &&
		test_expect_code 1 policy-check check --json --policy ../policy.yml --as alice \
			staging origin/staging $(cat ../mine) >../json.out
	) &&
	shape check <json.out >fields &&
	grep -x "accepted=False pusher=alice" fields &&
	grep -x "ref=refs/heads/staging accepted=False violations=2 break_glass=None" fields &&
	grep "^reason=promotion: commit [0-9a-f]* \"fix: direct on staging\" is not on develop" fields &&
	sed -n "s/^  \([a-z-]*: .*\)/reason=\1/p" text.out >expect &&
	grep "^reason=" fields >actual &&
	test_cmp expect actual
'

test_expect_success PYTHON3 'check --json: break-glass accepts, exit 0, with the reason' '
	(
		cd work &&
		policy-check check --json --policy ../policy.yml --as alice \
			-o "break-glass=INC-1 restore \"staging\"" \
			staging origin/staging $(cat ../mine) >../json.out
	) &&
	shape check <json.out >fields &&
	grep -x "accepted=True pusher=alice" fields &&
	grep -x "ref=refs/heads/staging accepted=True violations=2 break_glass=INC-1 restore \"staging\"" fields
'

test_expect_success PYTHON3 'check --json --stdin: one update object per line read' '
	dev=$(git -C work rev-parse origin/develop) &&
	printf "%s %s %s\n" 0000000000000000000000000000000000000000 $dev refs/heads/feature/a \
		0000000000000000000000000000000000000000 $dev refs/heads/feature/b |
		policy-check check --json --repo server.git --policy policy.yml --as carol --stdin >json.out &&
	shape check <json.out >fields &&
	grep -c "^ref=refs/heads/feature/[ab] accepted=True violations=0" fields >n &&
	echo 2 >expect && test_cmp expect n
'

test_expect_success PYTHON3 'check --json: a hostile ref name is escaped, and decodes to its bytes' '
	dev=$(git -C work rev-parse origin/develop) &&
	printf "refs/heads/feature/q\"uo\047te\377\376" >ref.bin &&
	printf "%s %s %s\n" 0000000000000000000000000000000000000000 $dev "$(cat ref.bin)" |
		policy-check check --json --repo server.git --policy policy.yml --as carol --stdin >json.out &&
	shape check <json.out >/dev/null &&
	grep -F "feature/q\\\"uo" json.out &&
	python3 -c "
import json, sys
doc = json.loads(open(sys.argv[1], \"rb\").read())
ref = doc[\"updates\"][0][\"ref\"].encode(\"utf-8\", \"surrogateescape\")
assert ref == open(sys.argv[2], \"rb\").read(), ref
" json.out ref.bin
'

test_expect_success PYTHON3 'status --json: the steps and their commits, hostile summaries included' '
	(
		cd work && git checkout -q -b feature/hostile origin/develop &&
		printf "x\n" >f && git add f &&
		git commit -q -m "$(printf "quote \" back\\\\slash\ttab \377 bytes")" &&
		REMOTE_USER=carol git push -q origin feature/hostile &&
		git checkout -q -B develop origin/develop &&
		git merge -q --no-ff -m "Merge feature/hostile" feature/hostile &&
		pc_push accept alice origin develop
	) &&
	policy-check status --repo server.git --policy policy.yml >text.out &&
	policy-check status --json --repo server.git --policy policy.yml >json.out &&
	shape status <json.out >fields &&
	grep -x "strategy=pattern2 features=False follow_ups=False" fields &&
	grep -x "step=develop->staging waiting 2" fields &&
	grep -x "step=staging->main up-to-date 0" fields &&
	grep "develop -> staging: 2 commits waiting" text.out &&
	id=$(git -C work rev-parse feature/hostile) &&
	hex=$(git -C work log -1 --format=%s feature/hostile | tr -d "\n" | od -An -tx1 | tr -d " \n") &&
	grep -x "commit=$id $hex" fields
'

test_expect_success PYTHON3 'owners --json: sections, owners, their users and exclusions' '
	policy-check owners --json --repo work --rev origin/main --policy policy.yml \
		overlays/prd/app.yaml overlays/prd/README.md >json.out &&
	shape owners <json.out >fields &&
	grep -x "codeowners=CODEOWNERS" fields &&
	grep -x "overlays/prd/app.yaml \[None\] @carol(carol) @alice(alice) line=1 excluded=False" fields &&
	grep -x "overlays/prd/app.yaml \[prd\] @sre(alice,bob) line=3 excluded=False" fields &&
	grep -x "overlays/prd/README.md \[prd\]  line=4 excluded=True" fields &&
	policy-check owners --json --repo work README >json.out &&
	shape owners <json.out >fields &&
	grep -x "README \[None\] @carol @alice line=1 excluded=False" fields
'

test_expect_success PYTHON3 'lint --json: valid exits 0, invalid exits 2 with the text diagnostics' '
	policy-check lint --json --policy policy.yml >json.out &&
	shape lint <json.out >fields &&
	grep -x "valid=True" fields &&
	printf "version: 1\nnope: 1\nidentity: { env: [REMOTE_USER] }\n" >bad.yml &&
	test_expect_code 2 policy-check lint --policy bad.yml 2>text.err &&
	test_expect_code 2 policy-check lint --json --policy bad.yml >json.out 2>json.err &&
	shape lint <json.out >fields &&
	grep -x "valid=False" fields &&
	grep "^bad.yml:" text.err >expect &&
	grep "^bad.yml:" fields >actual &&
	test_cmp expect actual
'

test_expect_success PYTHON3 'usage and repository errors print no JSON, exit 2' '
	test_expect_code 2 policy-check status --json --repo nowhere --policy policy.yml >out 2>err &&
	! test -s out &&
	test_expect_code 2 policy-check check --json --repo work --policy policy.yml main >out 2>err &&
	! test -s out
'

test_done
