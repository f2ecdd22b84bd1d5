/*
 * cmd-status.c: policy-check status, the promotion matrix (doc/DESIGN.md
 * section 8): per promotion step the commits not yet promoted, and for
 * Pattern1 the features that reached a later environment branch without
 * an earlier one, and the back-merges hotfixes that skipped `require` still
 * wait for.
 */
#include "cmd.h"
#include "hotfix.h"
#include "policy.h"
#include "repo.h"
#include "report.h"
#include "session.h"

#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>
#include <time.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SHOWN 10

static const git_oid *branch_tip(const pc_refs *refs, const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "refs/heads/%s", name);
	return pc_refs_get(refs, buf);
}

static void print_commit(git_repository *repo, const git_oid *id, cmd_json *j)
{
	git_commit *c = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	const char *summary = NULL;

	git_oid_tostr(hex, sizeof(hex), id);
	if (git_commit_lookup(&c, repo, id) == 0)
		summary = git_commit_summary(c) ? git_commit_summary(c) : "";
	if (j) {
		cmd_json_open(j, NULL, '{');
		cmd_json_str(j, "id", hex);
		cmd_json_str(j, "summary", summary);
		cmd_json_close(j, '}');
	} else if (summary) {
		printf("    %.7s %s\n", hex, summary);
	}
	git_commit_free(c);
}

/* One step in JSON: state is up-to-date, waiting, missing or error. */
static void json_step(cmd_json *j, const char *from, const char *to, const char *state,
	const char *detail)
{
	cmd_json_open(j, NULL, '{');
	cmd_json_str(j, "from", from);
	cmd_json_str(j, "to", to);
	cmd_json_str(j, "state", state);
	cmd_json_str(j, "missing", !strcmp(state, "missing") ? detail : NULL);
	cmd_json_str(j, "error", !strcmp(state, "error") ? detail : NULL);
}

/*
 * What a promotion A -> B would meet if pushed now: the update of B to A's
 * tip when B is behind A, else to a merge of A into B made in memory (never
 * written to the repository), judged as `check` judges a push, as the user
 * `as` (default: the policy's identity variable).
 */
typedef struct promotion {
	int judged, merge, conflict, accepted;
	const char *pusher;
	pc_verdict *verdict;		/* owned by the session */
	pc_session s;
} promotion;

static void promotion_release(promotion *pr)
{
	/* the repository and the policy are the caller's */
	pr->s.repo = NULL;
	pr->s.policy = NULL;
	pc_session_release(&pr->s);
}

static int merge_in_memory(git_oid *out, int *conflict, git_repository *repo, const char *a,
	const char *b, const git_oid *ta, const git_oid *tb, pc_error *err)
{
	git_commit *ca = NULL, *cb = NULL;
	git_index *index = NULL;
	git_tree *tree = NULL;
	git_signature *sig = NULL;
	git_oid tree_id;
	char msg[600];
	int r = PC_EIO;

	*conflict = 0;
	if (git_commit_lookup(&ca, repo, ta) < 0 || git_commit_lookup(&cb, repo, tb) < 0 ||
	    git_merge_commits(&index, repo, cb, ca, NULL) < 0)
		goto fail;
	if (git_index_has_conflicts(index)) {
		*conflict = 1;
		r = 0;
		goto done;
	}
	snprintf(msg, sizeof(msg), "Merge branch '%s' into %s\n", a, b);
	{
		const git_commit *parents[2] = { cb, ca };

		if (git_index_write_tree_to(&tree_id, index, repo) < 0 ||
		    git_tree_lookup(&tree, repo, &tree_id) < 0 ||
		    git_signature_new(&sig, "policy-check status", "status@policy-check.invalid",
			    (git_time_t)time(NULL), 0) < 0 ||
		    git_commit_create(out, repo, NULL, sig, sig, NULL, msg, tree, 2, parents) < 0)
			goto fail;
	}
	r = 0;
	goto done;
fail:
	r = pc_error_set(err, PC_EIO, "cannot merge %s into %s in memory: %s", a, b,
		git_error_last() ? git_error_last()->message : "unknown error");
done:
	git_signature_free(sig);
	git_tree_free(tree);
	git_index_free(index);
	git_commit_free(ca);
	git_commit_free(cb);
	return r;
}

static int judge_promotion(promotion *pr, git_repository *repo, const pc_policy *p, const char *as,
	const char *a, const char *b, const git_oid *ta, const git_oid *tb, pc_error *err)
{
	char ref[512], old_hex[GIT_OID_HEXSZ + 1], new_hex[GIT_OID_HEXSZ + 1];
	git_oid new_id;
	int r;

	memset(pr, 0, sizeof(*pr));
	pc_session_init(&pr->s, NULL);
	pr->s.repo = repo;
	pr->s.policy = (pc_policy *)p;	/* only read; promotion_release gives it back */
	if (git_graph_descendant_of(repo, ta, tb) == 1) {
		git_oid_cpy(&new_id, ta);
	} else {
		pr->merge = 1;
		if ((r = merge_in_memory(&new_id, &pr->conflict, repo, a, b, ta, tb, err)) < 0 || pr->conflict)
			return r;
	}
	snprintf(ref, sizeof(ref), "refs/heads/%s", b);
	git_oid_tostr(old_hex, sizeof(old_hex), tb);
	git_oid_tostr(new_hex, sizeof(new_hex), &new_id);
	if ((r = pc_session_add_update(&pr->s, ref, old_hex, new_hex, err)) < 0)
		return r;
	pc_session_identify(&pr->s, as);
	if ((r = pc_session_judge(&pr->s, 1, err)) < 0)
		return r;
	pr->judged = 1;
	pr->pusher = pr->s.pusher;
	pr->verdict = &pr->s.verdicts[0];
	pr->accepted = !pc_session_rejected(&pr->s);
	return 0;
}

static void print_promotion(const promotion *pr, const char *a, const char *b, const char *error,
	cmd_json *j)
{
	size_t i;

	if (j) {
		if (!pr->judged && !pr->conflict && !error) {
			cmd_json_null(j, "promotion");
			return;
		}
		cmd_json_open(j, "promotion", '{');
		cmd_json_str(j, "pusher", pr->pusher);
		cmd_json_bool(j, "merge", pr->merge);
		cmd_json_bool(j, "conflict", pr->conflict);
		cmd_json_bool(j, "accepted", pr->judged && pr->accepted);
		cmd_json_str(j, "error", error);
		cmd_json_open(j, "reasons", '[');
		for (i = 0; pr->judged && i < pr->verdict->nreasons; i++) {
			cmd_json_open(j, NULL, '{');
			cmd_json_str(j, "rule", pr->verdict->reasons[i].rule);
			cmd_json_str(j, "message", pr->verdict->reasons[i].message);
			cmd_json_str(j, "hint", pr->verdict->reasons[i].hint);
			cmd_json_close(j, '}');
		}
		cmd_json_close(j, ']');
		cmd_json_close(j, '}');
		return;
	}
	if (error) {
		printf("    cannot judge the promotion: %s\n", error);
		return;
	}
	if (pr->conflict) {
		printf("    blocked: merging %s into %s conflicts: resolve it on a work branch\n", a, b);
		return;
	}
	if (pr->accepted) {
		printf("    ready: %s pushed by %s would be accepted\n",
			pr->merge ? "a merge" : "a fast-forward", pr->pusher ? pr->pusher : "an unidentified pusher");
		return;
	}
	printf("    blocked: %s pushed by %s would be rejected:\n", pr->merge ? "a merge" : "a fast-forward",
		pr->pusher ? pr->pusher : "an unidentified pusher (give --as USER)");
	/* messages and hints hold pusher-written text (subjects, names): made safe as the hooks do */
	fflush(stdout);
	pc_report_reasons(stdout, pr->verdict, "    ");
	if (pr->merge)
		printf("      (the merge is not made yet: approvals are for the merge commit once it is pushed)\n");
}

/* Steps "A -> B" where B takes changes from exactly the protected branch A. */
static int print_steps(git_repository *repo, const pc_policy *p, const pc_refs *refs, const char *as,
	cmd_json *j)
{
	char ref_a[512], ref_b[512];
	size_t i, k, n;
	int any = 0;

	if (j)
		cmd_json_open(j, "steps", '[');
	else
		printf("promotion steps:\n");
	for (i = 0; i < p->nbranches; i++) {
		const pc_branch *b = &p->branches[i];
		const pc_branch *a;
		const git_oid *ta, *tb;
		git_oid *ids = NULL;
		pc_error err = PC_ERROR_INIT;
		const char *judge_error = NULL;
		promotion pr;

		if (b->from.n != 1 || pc_is_glob(b->from.items[0]) ||
		    !(a = pc_policy_branch(p, b->from.items[0])))
			continue;
		any = 1;
		ta = branch_tip(refs, a->name, ref_a, sizeof(ref_a));
		tb = branch_tip(refs, b->name, ref_b, sizeof(ref_b));
		if (!ta || !tb) {
			if (j) {
				json_step(j, a->name, b->name, "missing", ta ? b->name : a->name);
				cmd_json_int(j, "waiting", 0);
				cmd_json_open(j, "commits", '[');
				cmd_json_close(j, ']');
				cmd_json_close(j, '}');
			} else {
				printf("  %s -> %s: %s does not exist\n", a->name, b->name, ta ? b->name : a->name);
			}
			continue;
		}
		if (pc_repo_walk(&ids, &n, repo, ta, tb, 1, (size_t)p->limits.max_commits, &err) < 0) {
			if (j) {
				json_step(j, a->name, b->name, "error", err.msg);
				cmd_json_int(j, "waiting", 0);
				cmd_json_open(j, "commits", '[');
				cmd_json_close(j, ']');
				cmd_json_null(j, "promotion");
				cmd_json_close(j, '}');
			} else {
				printf("  %s -> %s: %s\n", a->name, b->name, err.msg);
			}
			continue;
		}
		memset(&pr, 0, sizeof(pr));
		if (n && judge_promotion(&pr, repo, p, as, a->name, b->name, ta, tb, &err) < 0)
			judge_error = err.msg;
		if (j) {
			json_step(j, a->name, b->name, n ? "waiting" : "up-to-date", NULL);
			cmd_json_int(j, "waiting", (long long)n);
			cmd_json_open(j, "commits", '[');
			for (k = 0; k < n; k++)
				print_commit(repo, &ids[k], j);
			cmd_json_close(j, ']');
			print_promotion(&pr, a->name, b->name, judge_error, j);
			cmd_json_close(j, '}');
		} else {
			if (!n)
				printf("  %s -> %s: up to date\n", a->name, b->name);
			else
				printf("  %s -> %s: %zu commit%s waiting\n", a->name, b->name, n, n == 1 ? "" : "s");
			for (k = 0; k < n && k < MAX_SHOWN; k++)
				print_commit(repo, &ids[k], NULL);
			if (n > MAX_SHOWN)
				printf("    ... and %zu more\n", n - MAX_SHOWN);
			if (n)
				print_promotion(&pr, a->name, b->name, judge_error, NULL);
		}
		promotion_release(&pr);
		free(ids);
	}
	if (j)
		cmd_json_close(j, ']');
	else if (!any)
		printf("  (no branch takes changes from exactly one protected branch)\n");
	return 0;
}

/* Pattern1: which work branches each environment branch contains. */
static int print_features(git_repository *repo, const pc_policy *p, const pc_refs *refs, cmd_json *js)
{
	char buf[512];
	size_t i, j;
	int gaps = 0;

	if (js) {
		cmd_json_open(js, "features", '[');
	} else {
		printf("features:\n  %-32s", "");
		for (j = 0; j < p->nbranches; j++)
			printf(" %-10s", p->branches[j].name);
		printf("\n");
	}
	for (i = 0; i < refs->n; i++) {
		const char *name = refs->names[i];
		int seen_later = 0, missing_earlier = 0, on;

		if (strncmp(name, "refs/heads/", 11) || !pc_policy_is_work_branch(p, name + 11))
			continue;
		if (js) {
			cmd_json_open(js, NULL, '{');
			cmd_json_str(js, "branch", name + 11);
			cmd_json_open(js, "on", '[');
		} else {
			printf("  %-32s", name + 11);
		}
		for (j = 0; j < p->nbranches; j++) {
			const git_oid *tip = branch_tip(refs, p->branches[j].name, buf, sizeof(buf));
			on = tip && (git_oid_equal(tip, &refs->ids[i]) ||
				git_graph_descendant_of(repo, tip, &refs->ids[i]) == 1);
			if (js && on)
				cmd_json_str(js, NULL, p->branches[j].name);
			else if (!js)
				printf(" %-10s", on ? "yes" : "-");
			if (on && j > 0 && missing_earlier)
				seen_later = 1;
			if (!on)
				missing_earlier = 1;
		}
		if (js) {
			cmd_json_close(js, ']');
			cmd_json_bool(js, "skipped", seen_later);
			cmd_json_close(js, '}');
			continue;
		}
		if (seen_later) {
			printf("  <- reached a later environment without an earlier one");
			gaps++;
		}
		printf("\n");
	}
	if (js)
		cmd_json_close(js, ']');
	else if (gaps)
		printf("%d feature%s skipped an environment\n", gaps, gaps == 1 ? "" : "s");
	return 0;
}

/*
 * The follow-ups of one hotfix branch H of protected branch b: the
 * non-merge commits that H and b share (below their merge base) and that a
 * branch of b's require chain lacks.
 */
static void print_hotfix_branch(git_repository *repo, const pc_policy *p, const pc_refs *refs,
	const pc_branch *b, const git_oid *tb, size_t hi, const pc_strlist *chain, int *shown,
	cmd_json *js)
{
	pc_strlist missing = PC_STRLIST_INIT, branches = PC_STRLIST_INIT;
	pc_oidset lacking = PC_OIDSET_INIT;
	pc_buf text = PC_BUF_INIT;
	pc_error err = PC_ERROR_INIT;
	git_oid base, *ids = NULL;
	git_commit *commit = NULL;
	const git_oid *tf;
	char buf[512];
	size_t j, k, n, count = 0;
	int lacks;

	if (git_merge_base(&base, repo, tb, &refs->ids[hi]) < 0) {
		git_error_clear();
		return;
	}
	for (j = 0; j < chain->n; j++) {
		tf = branch_tip(refs, chain->items[j], buf, sizeof(buf));
		if (pc_repo_walk(&ids, &n, repo, &base, tf, tf ? 1 : 0, (size_t)p->limits.max_commits, &err) < 0) {
			if (js) {
				cmd_json_open(js, NULL, '{');
				cmd_json_str(js, "branch", refs->names[hi] + 11);
				cmd_json_str(js, "on", b->name);
				cmd_json_null(js, "commits");
				cmd_json_null(js, "missing");
				cmd_json_str(js, "error", err.msg);
				cmd_json_close(js, '}');
			} else {
				printf("  %s: %s\n", refs->names[hi] + 11, err.msg);
			}
			goto done;
		}
		for (k = 0, lacks = 0; k < n; k++) {
			if (git_commit_lookup(&commit, repo, &ids[k]) < 0 || git_commit_parentcount(commit) > 1) {
				git_commit_free(commit);
				commit = NULL;
				git_error_clear();
				continue;
			}
			git_commit_free(commit);
			commit = NULL;
			lacks = 1;
			if (pc_oidset_add(&lacking, &ids[k]) > 0)
				count++;
		}
		free(ids);
		ids = NULL;
		if (lacks)
			pc_strlist_add(&missing, chain->items[j]);
	}
	if (!count)
		goto done;
	*shown = 1;
	if (js) {
		cmd_json_open(js, NULL, '{');
		cmd_json_str(js, "branch", refs->names[hi] + 11);
		cmd_json_str(js, "on", b->name);
		cmd_json_int(js, "commits", (long long)count);
		cmd_json_open(js, "missing", '[');
		for (j = missing.n; j > 0; j--)	/* in the order to merge them */
			cmd_json_str(js, NULL, missing.items[j - 1]);
		cmd_json_close(js, ']');
		cmd_json_null(js, "error");
		cmd_json_close(js, '}');
		goto done;
	}
	pc_strlist_add(&branches, refs->names[hi] + 11);
	pc_hotfix_text(&text, &branches, count, b->name, &missing);
	/* ref names cannot hold control characters (git check-ref-format) */
	printf("  %s\n", text.ptr);
done:
	free(ids);
	pc_oidset_clear(&lacking);
	pc_strlist_clear(&missing);
	pc_strlist_clear(&branches);
	pc_buf_release(&text);
}

/* Hotfixes that reached a branch before the branches its `require` names. */
static int print_hotfixes(git_repository *repo, const pc_policy *p, const pc_refs *refs, cmd_json *js)
{
	char buf[512];
	size_t i, k;
	int shown = 0;

	for (i = 0; i < p->nbranches; i++)
		if (p->branches[i].hotfix_from.n)
			break;
	if (i == p->nbranches) {
		if (js)
			cmd_json_null(js, "follow_ups");
		return 0;
	}
	if (js)
		cmd_json_open(js, "follow_ups", '[');
	else
		printf("hotfix follow-ups:\n");
	for (i = 0; i < p->nbranches; i++) {
		const pc_branch *b = &p->branches[i];
		pc_strlist chain = PC_STRLIST_INIT;
		const git_oid *tb;

		if (!b->hotfix_from.n || pc_is_glob(b->name) || !(tb = branch_tip(refs, b->name, buf, sizeof(buf))) ||
		    pc_hotfix_chain(&chain, p, b) < 0) {
			pc_strlist_clear(&chain);
			continue;
		}
		for (k = 0; k < refs->n; k++) {
			const char *name = refs->names[k];
			size_t m;

			if (strncmp(name, "refs/heads/", 11))
				continue;
			for (m = 0; m < b->hotfix_from.n; m++)
				if (pc_glob_match(b->hotfix_from.items[m], name + 11))
					break;
			if (m == b->hotfix_from.n)
				continue;
			print_hotfix_branch(repo, p, refs, b, tb, k, &chain, &shown, js);
		}
		pc_strlist_clear(&chain);
	}
	if (js)
		cmd_json_close(js, ']');
	else if (!shown)
		printf("  none\n");
	return 0;
}
enum { OPT_REPO = CMD_LONG_ONLY, OPT_POLICY, OPT_AS, OPT_JSON };

static const cmd_opt status_opts[] = {
	{ OPT_REPO, 0, "repo", "DIR", "the repository, the server's or a mirror (default: .)" },
	{ OPT_POLICY, 0, "policy", "FILE", "the policy (default: the hooks' one for DIR)" },
	{ OPT_AS, 0, "as", "USER", "judge each waiting promotion as pushed by USER (default: the identity variable)" },
	{ OPT_JSON, 0, "json", NULL, "print the matrix as one JSON object (see policy-check(1))" },
	CMD_OPTS_END
};

const cmd_spec cmd_status_spec = {
	"status",
	"status [--repo DIR] [--policy FILE] [--as USER] [--json]",
	"show the promotion matrix: what waits on each promotion step, and what blocks it",
	status_opts, NULL
};

int cmd_status(int argc, char **argv)
{
	cmd_where where = CMD_WHERE_INIT;
	cmd_parser p;
	git_repository *repo = NULL;
	pc_policy *policy = NULL;
	pc_refs refs = PC_REFS_INIT;
	pc_error err = PC_ERROR_INIT;
	cmd_json json = CMD_JSON_INIT, *j = NULL;
	const char *strategy, *as = NULL;
	git_odb *odb = NULL;
	git_odb_backend *mempack = NULL;
	int r = 2, c, features;

	cmd_parse_init(&p, &cmd_status_spec, argc, argv);
	while ((c = cmd_parse_next(&p)) != -1) {
		switch (c) {
		case OPT_REPO: where.repo = optarg; break;
		case OPT_POLICY: where.policy = optarg; break;
		case OPT_AS: as = optarg; break;
		case OPT_JSON: j = &json; break;
		}
	}
	if (optind != argc)
		cmd_usage_error("unexpected argument '%s'", argv[optind]);
	if (pc_repo_open(&repo, where.repo, &err) < 0) {
		cmd_error("status: %s", err.msg);
		goto done;
	}
	if (cmd_load_policy(&policy, where.policy, repo) < 0)
		goto done;
	if (pc_refs_load(&refs, repo, &err) < 0) {
		cmd_error("status: %s", err.msg);
		goto done;
	}
	/* Merges judged as promotions are made in memory: status writes nothing to the repository. */
	if (git_repository_odb(&odb, repo) < 0 || git_mempack_new(&mempack) < 0 ||
	    git_odb_add_backend(odb, mempack, 1000) < 0) {
		cmd_error("status: cannot set up the in-memory object store: %s",
			git_error_last() ? git_error_last()->message : "unknown error");
		goto done;
	}
	mempack = NULL;	/* the object database owns it */
	strategy = policy->strategy == PC_STRATEGY_PATTERN1 ? "pattern1" :
		policy->strategy == PC_STRATEGY_PATTERN2 ? "pattern2" :
		policy->strategy == PC_STRATEGY_PATTERN3 ? "pattern3" : "custom";
	features = policy->strategy == PC_STRATEGY_PATTERN1 ||
		(policy->strategy == PC_STRATEGY_NONE && policy->nbranches > 1);
	if (j) {
		cmd_json_open(j, NULL, '{');
		cmd_json_str(j, "strategy", strategy);
	} else {
		printf("strategy: %s\n", strategy);
	}
	print_steps(repo, policy, &refs, as, j);
	if (features)
		print_features(repo, policy, &refs, j);
	else if (j)
		cmd_json_null(j, "features");
	print_hotfixes(repo, policy, &refs, j);
	if (j) {
		cmd_json_close(j, '}');
		if (cmd_json_finish(j, stdout) < 0)
			goto done;
	}
	r = 0;
done:
	if (mempack)
		mempack->free(mempack);
	git_odb_free(odb);
	cmd_json_release(&json);
	pc_refs_clear(&refs);
	pc_policy_free(policy);
	git_repository_free(repo);
	return r;
}
