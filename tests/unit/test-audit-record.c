/*
 * Unit tests for the optional "hotfix" key of audit records: records
 * without it keep their bytes, records with it read back, and the reader
 * refuses it anywhere but last or in any other shape; and the follow-up
 * text that the report, status and reconcile share.
 */
#include "audit.h"
#include "hotfix.h"
#include "buf.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

#define HEAD "{\"v\":1,\"seq\":0,\"time\":\"2026-12-03T10:00:00.000Z\",\"hook\":\"pre-receive\"," \
	"\"repo\":\"/srv/git/k8s.git\",\"push\":\"p\",\"pusher\":\"alice\",\"identity\":\"GL_USERNAME\"," \
	"\"ref\":\"refs/heads/main\",\"old\":\"1111111111111111111111111111111111111111\"," \
	"\"new\":\"2222222222222222222222222222222222222222\",\"op\":\"update\",\"decision\":\"accept\"," \
	"\"dry_run\":false,\"break_glass\":null,\"reasons\":[],\"approvals\":[],\"policy\":\"sha256:feed\"," \
	"\"codeowners\":null"
#define C1 "3333333333333333333333333333333333333333"
#define HOTFIX ",\"hotfix\":{\"branches\":[\"hotfix/web\"],\"commits\":[\"" C1 "\"],\"follow_up\":[\"staging\",\"develop\"]}"

static const struct {
	const char *line, *error;	/* error: NULL when valid, else a part of the message */
} lines[] = {
	{ HEAD "}", NULL },
	{ HEAD HOTFIX "}", NULL },
	{ HEAD ",\"hotfix\":{\"branches\":[],\"commits\":[],\"follow_up\":[]}}", NULL },
	{ HEAD ",\"hotfix\":null}", "\"hotfix\" has the wrong type" },
	{ HEAD ",\"hotfix\":[]}", "\"hotfix\" has the wrong type" },
	{ HEAD ",\"extra\":{}}", "key 20 must be \"hotfix\"" },
	{ HEAD HOTFIX ",\"more\":1}", "record has 21 keys, expected 20" },
	{ HEAD ",\"hotfix\":{\"commits\":[],\"branches\":[],\"follow_up\":[]}}", "key 1 must be \"branches\"" },
	{ HEAD ",\"hotfix\":{\"branches\":[],\"commits\":[]}}", "hotfix has 2 keys, expected 3" },
	{ HEAD ",\"hotfix\":{\"branches\":[1],\"commits\":[],\"follow_up\":[]}}", "\"branches\" must hold strings" },
	{ HEAD ",\"hotfix\":{\"branches\":[\"a\\u0000b\"],\"commits\":[],\"follow_up\":[]}}", "\"branches\" must hold strings" },
	{ HEAD ",\"hotfix\":{\"branches\":[],\"commits\":[\"33\"],\"follow_up\":[]}}", "\"commits\" must hold object ids" },
	{ HEAD ",\"hotfix\":{\"branches\":[],\"commits\":[\"" "333333333333333333333333333333333333333G" "\"],\"follow_up\":[]}}",
		"\"commits\" must hold object ids" },
	{ HEAD ",\"hotfix\":{\"branches\":[],\"commits\":[\"" "333333333333333333333333333333333333333A" "\"],\"follow_up\":[]}}",
		"\"commits\" must hold object ids" },
	{ HEAD ",\"hotfix\":{\"branches\":[],\"commits\":[],\"follow_up\":{}}}", "\"follow_up\" has the wrong type" },
};

static void test_lines(void)
{
	pc_json_doc doc = PC_JSON_DOC_INIT;
	size_t i;

	for (i = 0; i < PC_ARRAY_SIZE(lines); i++) {
		pc_error err = PC_ERROR_INIT;
		uint64_t seq;
		int r = pc_audit_line_check(&seq, &doc, lines[i].line, strlen(lines[i].line), &err);

		if (!lines[i].error)
			ok(r == 0, "line %zu is a valid record (%s)", i, r ? err.msg : "ok");
		else
			ok(r < 0 && strstr(err.msg, lines[i].error), "line %zu: %s (got: %s)", i,
				lines[i].error, r < 0 ? err.msg : "valid");
	}
	pc_json_doc_release(&doc);
}

/* A verdict formatted, with and without hotfix commits, and read back. */
static void test_round_trip(void)
{
	pc_json_doc doc = PC_JSON_DOC_INIT;
	pc_verdict v;
	pc_audit_record rec;
	pc_audit_entry e;
	pc_buf b = PC_BUF_INIT;
	pc_error err = PC_ERROR_INIT;

	memset(&rec, 0, sizeof(rec));
	pc_verdict_init(&v, "refs/heads/main", "1111111111111111111111111111111111111111",
		"2222222222222222222222222222222222222222");
	v.op = PC_OP_UPDATE;
	rec.hook = "pre-receive";
	rec.repo = "/srv/git/k8s.git";
	rec.push = "p";
	rec.pusher = "alice";
	rec.identity = "GL_USERNAME";
	rec.policy = "sha256:feed";
	rec.verdict = &v;
	pc_audit_format_record(&b, 0, "2026-12-03T10:00:00.000Z", &rec);
	is_str(b.ptr, HEAD "}", "a record without hotfix commits keeps its bytes");

	pc_strlist_add(&v.hotfix_branches, "hotfix/web");
	pc_strlist_add(&v.hotfix_commits, C1);
	pc_strlist_add(&v.hotfix_follow_up, "staging");
	pc_strlist_add(&v.hotfix_follow_up, "develop");
	pc_buf_clear(&b);
	pc_audit_format_record(&b, 0, "2026-12-03T10:00:00.000Z", &rec);
	is_str(b.ptr, HEAD HOTFIX "}", "a hotfix record ends with the hotfix key");
	if (ok(pc_audit_entry_parse(&e, &doc, b.ptr, b.len, &err) == 0, "it reads back (%s)", err.msg)) {
		ok(e.hotfix_branches.n == 1 && !strcmp(e.hotfix_branches.items[0], "hotfix/web"), "branches");
		ok(e.hotfix_commits.n == 1 && !strcmp(e.hotfix_commits.items[0], C1), "commits");
		ok(e.hotfix_follow_up.n == 2 && !strcmp(e.hotfix_follow_up.items[0], "staging") &&
			!strcmp(e.hotfix_follow_up.items[1], "develop"), "follow_up, nearest first");
		pc_audit_entry_release(&e);
	}
	if (ok(pc_audit_entry_parse(&e, &doc, HEAD "}", strlen(HEAD "}"), &err) == 0, "a plain record reads back")) {
		ok(!e.hotfix_branches.n && !e.hotfix_commits.n && !e.hotfix_follow_up.n, "with empty hotfix lists");
		pc_audit_entry_release(&e);
	}
	pc_verdict_release(&v);
	pc_buf_release(&b);
	pc_json_doc_release(&doc);
}

static void test_text(void)
{
	static const struct {
		const char *branches[3], *missing[3];
		size_t n;
		const char *target, *want;
	} cases[] = {
		{ { "hotfix/web" }, { "staging", "develop" }, 1, "refs/heads/main",
		  "hotfix/web: 1 commit on main not yet on staging, develop: merge hotfix/web into develop, then staging" },
		{ { "hotfix/web" }, { "staging" }, 2, "main",
		  "hotfix/web: 2 commits on main not yet on staging: merge hotfix/web into staging" },
		{ { "hotfix/a", "hotfix/b" }, { "c", "b", "a" }, 3, "main",
		  "hotfix/a, hotfix/b: 3 commits on main not yet on c, b, a: merge those branches into a, b, then c" },
		{ { NULL }, { "staging" }, 1, "main",
		  "(a hotfix branch since deleted): 1 commit on main not yet on staging: merge the commits into staging" },
	};
	size_t i, k;

	for (i = 0; i < PC_ARRAY_SIZE(cases); i++) {
		pc_strlist branches = PC_STRLIST_INIT, missing = PC_STRLIST_INIT;
		pc_buf b = PC_BUF_INIT;

		for (k = 0; k < 3 && cases[i].branches[k]; k++)
			pc_strlist_add(&branches, cases[i].branches[k]);
		for (k = 0; k < 3 && cases[i].missing[k]; k++)
			pc_strlist_add(&missing, cases[i].missing[k]);
		pc_hotfix_text(&b, &branches, cases[i].n, cases[i].target, &missing);
		is_str(b.ptr, cases[i].want, "follow-up text %zu", i);
		pc_buf_release(&b);
		pc_strlist_clear(&branches);
		pc_strlist_clear(&missing);
	}
}

int main(void)
{
	test_lines();
	test_round_trip();
	test_text();
	return done_testing();
}
