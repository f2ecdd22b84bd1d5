#!/bin/sh
test_description='audit report: the evidence of a day of pushes as HTML, CSV and JSON, hostile text escaped, a log that does not verify says so'
. "$(dirname "$0")/test-lib.sh"

# A subject, a ref name and a break-glass reason a pusher chose to be markup.
HOSTILE='feat: <script>alert(1)</script><img src=x onerror=alert(2)> & "q"'
REASON='INC-9 <b>prd</b> down <script>alert(3)</script>'

test_expect_success 'setup: a feature with a hostile subject reaches develop with a signed approval' '
	pc_setup_server pattern2 &&
	(
		cd work &&
		git checkout -q -b feature/x origin/develop &&
		pc_commit overlays/dev/app.yaml "v: 2" "$HOSTILE" &&
		pc_push accept carol origin feature/x &&
		pc_push reject carol origin "feature/x:refs/heads/feature/<i>x</i>" &&
		git checkout -q develop && git reset -q --hard origin/develop &&
		git merge -q --no-ff -m "Merge feature/x" feature/x &&
		git config user.email bob@example.com &&
		REMOTE_USER=bob policy-check approve --key ../keys/bob --target develop HEAD >../approve.out &&
		pc_push accept alice origin HEAD:develop
	)
'

test_expect_success 'setup: a rejected push to main, a break-glass to main, a ref moved behind the log' '
	(
		cd work &&
		git checkout -q -B main origin/main &&
		pc_commit overlays/prd/fix.yaml "fix: 1" "fix: urgent prd fix" &&
		pc_push reject carol origin main &&
		pc_push accept alice -o "break-glass=$REASON" origin main
	) &&
	git -C server.git update-ref refs/heads/staging refs/heads/develop &&
	pc_audit_verify
'

report () {
	policy-check audit report --vkey audit/audit.vkey --repo server.git "$@" audit/audit.log
}

test_expect_success 'the HTML report: one page, verified on its first line, no script, no external asset' '
	report >report.html &&
	head -n 1 report.html | grep "<title>Verified audit report" &&
	! grep -i "<script\|<link\|src=\"http\|<iframe\|<object" report.html &&
	grep "@media print" report.html &&
	grep "<svg " report.html &&
	cp report.html "$PC_BUILD_DIR/audit-report-t8680.html"
'

test_expect_success 'the hostile subject, ref and reason are text, escaped once' '
	grep -F "feat: &lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; &amp; &quot;q&quot;" report.html &&
	grep -F "refs/heads/feature/&lt;i&gt;x&lt;/i&gt;" report.html &&
	grep -F "INC-9 &lt;b&gt;prd&lt;/b&gt; down &lt;script&gt;alert(3)&lt;/script&gt;" report.html &&
	! grep -F "<b>prd" report.html &&
	! grep -F "<i>x" report.html
'

test_expect_success 'the HTML report has each environment, the approval, the rejection and the break-glass' '
	grep -F "Environment <code>refs/heads/develop</code>" report.html &&
	grep -F "Environment <code>refs/heads/main</code>" report.html &&
	grep -F "bob: signature verified, key <code>SHA256:" report.html &&
	grep -F "<span class=\"mark break-glass\">BREAK-GLASS</span>" report.html &&
	grep -F "<h3 class=\"rejects\">Rejected attempts (1)</h3>" report.html &&
	grep "needs\|not on\|promotion" report.html >/dev/null &&
	grep -F "<h3 class=\"no-decision\">Changes without an accepted decision (1)</h3>" report.html &&
	grep -F "refs/heads/staging is at" report.html
'

# Read as a person would: chromium renders the page headless.  The suite
# installs Debian's chromium (contrib/integration-deps.sh); without it these skip.
if command -v chromium >/dev/null 2>&1; then
	test_set_prereq CHROMIUM
fi

# render ARGS...: chromium headless on report.html, its own profile in the trash.
render () {
	timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$SHARNESS_TRASH_DIRECTORY/chromium-profile" "$@" \
		"file://$(pwd | sed "s/ /%20/g")/report.html" 2>chromium.err
}

test_expect_success CHROMIUM 'chromium: the DOM holds the rows, the break-glass mark, and the hostile text as text' '
	render --dump-dom >dom.html &&
	test $(grep -o "<tr id=\"rec-[0-9]*\"" dom.html | wc -l) = $(grep -o "<tr id=\"rec-[0-9]*\"" report.html | wc -l) &&
	python3 - dom.html "$HOSTILE" "$REASON" <<-\PY
	import sys
	from html.parser import HTMLParser
	allowed = set("""html head meta title style body h1 h2 h3 p code section ul li table thead tbody
	    tr th td span a strong small br svg line circle path rect div footer""".split())
	class Page(HTMLParser):
	    def __init__(self):
	        super().__init__()
	        self.tags, self.text, self.stack, self.rows = set(), [], [], []
	    def handle_starttag(self, tag, attrs):
	        self.tags.add(tag)
	        a = dict(attrs)
	        for k in a:
	            assert not k.startswith("on"), (tag, a)
	        if tag == "tr" and (a.get("id") or "").startswith("rec-"):
	            self.rows.append([a.get("class"), ""])
	    def handle_data(self, data):
	        self.text.append(data)
	        if self.rows:
	            self.rows[-1][1] += data
	page = Page()
	page.feed(open(sys.argv[1], encoding="utf-8").read())
	assert page.tags <= allowed, page.tags - allowed
	text = "".join(page.text)
	assert sys.argv[2] in text, "the hostile subject is not shown as text"
	assert sys.argv[3] in text, "the break-glass reason is not shown as text"
	glass = [r for r in page.rows if "break-glass" in (r[0] or "")]
	assert len(glass) == 1 and "BREAK-GLASS" in glass[0][1] and sys.argv[3] in glass[0][1], glass
	assert any("bob: signature verified" in r[1] for r in page.rows)
	assert any(r[0] == "reject" and "carol" in r[1] for r in page.rows)
	assert any(r[0] == "no-decision" for r in page.rows)
	PY
'

test_expect_success CHROMIUM 'chromium: a screenshot and a PDF of the report are written to the build folder' '
	rm -f "$PC_BUILD_DIR/audit-report-t8680.png" "$PC_BUILD_DIR/audit-report-t8680.pdf" &&
	render --window-size=1280,2400 --screenshot="$PC_BUILD_DIR/audit-report-t8680.png" &&
	test -s "$PC_BUILD_DIR/audit-report-t8680.png" &&
	render --print-to-pdf="$PC_BUILD_DIR/audit-report-t8680.pdf" --no-pdf-header-footer &&
	head -c 4 "$PC_BUILD_DIR/audit-report-t8680.pdf" | grep "%PDF"
'

test_expect_success 'every record number links to an inclusion proof that audit proof agrees with' '
	grep -o "href=\"#proof-[0-9]*\"" report.html | sed "s/.*-\([0-9]*\)\"/\1/" | sort -u >linked &&
	test -s linked &&
	while read -r n; do
		grep -q "id=\"proof-$n\"" report.html || return 1
	done <linked &&
	n=$(sed -n 1p linked) &&
	policy-check audit proof --index $n audit/audit.log >p &&
	sed -n "4,/^$/p" p | sed "/^$/d" >want &&
	grep "id=\"proof-$n\"" report.html | grep -o "<code>[A-Za-z0-9+/=]*</code>" |
		sed -e "s/<code>//" -e "s/<.code>//" | sed 1d >got &&
	test_cmp want got
'

test_expect_success 'CSV: a header and a row per record cited, quoted, formula cells defused' '
	report --format csv >report.csv &&
	head -n 1 report.csv | grep "^\"environment\",\"kind\",\"record\"" &&
	grep -c "\"change\"" report.csv >changes &&
	grep "\"refs/heads/main\",\"change\"" report.csv | grep -F "INC-9 <b>prd</b>" &&
	grep "\"rejected\"" report.csv &&
	grep "\"no-decision\"" report.csv &&
	python3 - report.csv <<-\PY
	import csv, sys
	rows = list(csv.reader(open(sys.argv[1], newline="")))
	head = rows[0]
	assert all(len(r) == len(head) for r in rows), "ragged rows"
	for r in rows[1:]:
	    for cell in r:
	        assert not cell[:1] in ("=", "+", "-", "@"), cell
	PY
'

test_expect_success 'CSV: a reason that starts with = is prefixed with a quote' '
	(cd work && pc_commit overlays/prd/f2.yaml "fix: 2" "fix: again" &&
		pc_push accept alice -o "break-glass==HYPERLINK(\"http://x\") INC-10" origin main) &&
	report --format csv >report2.csv &&
	grep -F "\"'\''=HYPERLINK(\"\"http://x\"\") INC-10\"" report2.csv
'

test_expect_success 'JSON: one document with the changes, proofs and counts' '
	report --format json >report.json &&
	head -n 1 report.json | grep "^{\"verified\":true," &&
	python3 - report.json <<-\PY
	import json, sys
	d = json.load(open(sys.argv[1]))
	envs = {e["name"]: e for e in d["environments"]}
	main = envs["refs/heads/main"]
	assert any(c["break_glass"] and c["break_glass"].startswith("INC-9 <b>") for c in main["changes"])
	assert len(main["rejected"]) == 1 and main["rejected"][0]["reasons"]
	dev = envs["refs/heads/develop"]
	assert any(a["user"] == "bob" and a["signature_verified"] for c in dev["changes"] for a in c["approvals"])
	assert any("<script>" in k["subject"] for c in dev["changes"] for k in c.get("commits", []))
	assert envs["refs/heads/staging"]["without_decision"]
	assert all(c["proof"]["verified"] for e in d["environments"] for c in e["changes"])
	assert sum(x["break_glass"] for x in d["counts"]) == 2
	assert d["reconcile"]
	PY
'

test_expect_success '--environment and --since/--until choose the changes' '
	report --format json --environment main >main.json &&
	python3 -c "import json,sys; d=json.load(open(\"main.json\")); assert [e[\"name\"] for e in d[\"environments\"]] == [\"main\"], d[\"environments\"]" &&
	report --format csv --since 1h >recent.csv &&
	test_cmp report2.csv recent.csv &&
	report --format csv --until 2000-01-01 >old.csv &&
	test $(wc -l <old.csv) = 1 &&
	test_expect_code 2 report --since yesterday 2>err &&
	grep "is not a time" err
'

test_expect_success 'a saved checkpoint that the log extends is named as checked' '
	cp audit/audit.log.checkpoint saved.checkpoint &&
	report --checkpoint saved.checkpoint >r.html &&
	grep -F "consistent with the saved checkpoint <code>saved.checkpoint</code>" r.html
'

test_expect_success 'a log that does not verify: the first line says so, exit 1, in every format' '
	cp -r audit bad &&
	sed -i "1s/\"pusher\":\"alice\"/\"pusher\":\"mallo\"/" bad/audit.log &&
	test_expect_code 1 policy-check audit report --vkey audit/audit.vkey bad/audit.log >bad.html 2>err &&
	head -n 1 bad.html | grep "NOT VERIFIED" &&
	grep "does not verify" err &&
	test_expect_code 1 policy-check audit report --vkey audit/audit.vkey --format csv bad/audit.log >bad.csv &&
	head -n 1 bad.csv | grep "^NOT VERIFIED: " &&
	test_expect_code 1 policy-check audit report --vkey audit/audit.vkey --format json bad/audit.log >bad.json &&
	head -n 1 bad.json | grep "^{\"verified\":false," &&
	test_expect_code 1 policy-check audit report --vkey audit/audit.vkey --checkpoint /dev/null audit/audit.log >c.html &&
	head -n 1 c.html | grep "NOT VERIFIED"
'

# A log written record by record: the kinds of records the report sorts out.
append () {
	"$PC_BUILD_DIR/tests/helpers/pc-audit-append" --log k/audit.log --key k/k.key \
		--origin example.com/audit --no-sync --repo /srv/git/r.git "$@" >/dev/null
}
A=1111111111111111111111111111111111111111
B=2222222222222222222222222222222222222222
C=3333333333333333333333333333333333333333

test_expect_success 'record kinds: dry-run marked, voided and aborted accepts, both hooks, no decision' '
	mkdir k &&
	policy-check audit keygen --origin example.com/audit k/k >/dev/null 2>&1 &&
	append --push p1 --ref refs/heads/prd --old $A --new $B --dry-run --decision accept \
		--reason "approval:needs 2 approvals, has 0" &&
	append --push p1 --ref refs/heads/prd --hook update --old $A --new $B --dry-run --decision accept \
		--reason "approval:needs 2 approvals, has 0" &&
	append --plain --hook reference-transaction --ref refs/heads/prd --old $A --new $B &&
	append --push p2 --ref refs/heads/prd --old $B --new $C &&
	append --push p2 --ref refs/heads/prd --old $B --new $C --decision void &&
	append --push p3 --ref refs/heads/prd --old $B --new $A &&
	append --plain --hook reference-transaction --decision aborted --ref refs/heads/prd --old $B --new $A &&
	append --plain --hook reference-transaction --ref refs/heads/prd --old $B --new $C &&
	policy-check audit report --vkey k/k.vkey --format json k/audit.log >kinds.json &&
	python3 - kinds.json <<-\PY
	import json, sys
	d = json.load(open(sys.argv[1]))
	(prd,) = d["environments"]
	got = [(c["record"], c["hook"], c["dry_run"], c["status"]) for c in prd["changes"]]
	# the update hook repeats record 0: cited once; the voided record 3 never went live
	assert got == [(0, "pre-receive", True, "applied"), (5, "pre-receive", False, "aborted")], got
	assert [c["record"] for c in prd["without_decision"]] == [7], prd["without_decision"]
	assert prd["changes"][0]["transaction_record"] == 2
	PY
	policy-check audit report --vkey k/k.vkey k/audit.log >kinds.html &&
	grep -F "<span class=\"mark dry-run\">DRY-RUN</span>" kinds.html &&
	grep -F "<span class=\"mark aborted\">ABORTED</span>" kinds.html &&
	grep -F "<tr id=\"rec-7\" class=\"no-decision\">" kinds.html
'

test_expect_success 'usage errors exit 2' '
	test_expect_code 2 policy-check audit report audit/audit.log &&
	test_expect_code 2 policy-check audit report --vkey audit/audit.vkey --format pdf audit/audit.log &&
	test_expect_code 2 policy-check audit report --vkey audit/audit.vkey
'

test_done
