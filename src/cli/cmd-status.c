/*
 * cmd-status.c: policy-check status, the promotion matrix (doc/DESIGN.md
 * section 8): per promotion step the commits not yet promoted, and for
 * Pattern1 the features that reached a later environment branch without
 * an earlier one.
 */
#include "cmd.h"
#include "policy.h"
#include "repo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SHOWN 10

static const git_oid *branch_tip(const pc_refs *refs, const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "refs/heads/%s", name);
	return pc_refs_get(refs, buf);
}

static void print_commit(git_repository *repo, const git_oid *id)
{
	git_commit *c = NULL;
	char hex[8];

	git_oid_tostr(hex, sizeof(hex), id);
	if (git_commit_lookup(&c, repo, id) == 0)
		printf("    %s %s\n", hex, git_commit_summary(c) ? git_commit_summary(c) : "");
	git_commit_free(c);
}

/* Steps "A -> B" where B takes changes from exactly the protected branch A. */
static int print_steps(git_repository *repo, const pc_policy *p, const pc_refs *refs)
{
	char ref_a[512], ref_b[512];
	size_t i, j, n;
	int any = 0;

	printf("promotion steps:\n");
	for (i = 0; i < p->nbranches; i++) {
		const pc_branch *b = &p->branches[i];
		const pc_branch *a;
		const git_oid *ta, *tb;
		git_oid *ids = NULL;
		pc_error err = PC_ERROR_INIT;

		if (b->from.n != 1 || pc_is_glob(b->from.items[0]) ||
		    !(a = pc_policy_branch(p, b->from.items[0])))
			continue;
		any = 1;
		ta = branch_tip(refs, a->name, ref_a, sizeof(ref_a));
		tb = branch_tip(refs, b->name, ref_b, sizeof(ref_b));
		if (!ta || !tb) {
			printf("  %s -> %s: %s does not exist\n", a->name, b->name, ta ? b->name : a->name);
			continue;
		}
		if (pc_repo_walk(&ids, &n, repo, ta, tb, 1, (size_t)p->limits.max_commits, &err) < 0) {
			printf("  %s -> %s: %s\n", a->name, b->name, err.msg);
			continue;
		}
		if (!n)
			printf("  %s -> %s: up to date\n", a->name, b->name);
		else
			printf("  %s -> %s: %zu commit%s waiting\n", a->name, b->name, n, n == 1 ? "" : "s");
		for (j = 0; j < n && j < MAX_SHOWN; j++)
			print_commit(repo, &ids[j]);
		if (n > MAX_SHOWN)
			printf("    ... and %zu more\n", n - MAX_SHOWN);
		free(ids);
	}
	if (!any)
		printf("  (no branch takes changes from exactly one protected branch)\n");
	return 0;
}

/* Pattern1: which work branches each environment branch contains. */
static int print_features(git_repository *repo, const pc_policy *p, const pc_refs *refs)
{
	char buf[512];
	size_t i, j;
	int gaps = 0;

	printf("features:\n  %-32s", "");
	for (j = 0; j < p->nbranches; j++)
		printf(" %-10s", p->branches[j].name);
	printf("\n");
	for (i = 0; i < refs->n; i++) {
		const char *name = refs->names[i];
		int seen_later = 0, missing_earlier = 0, on;

		if (strncmp(name, "refs/heads/", 11) || !pc_policy_is_work_branch(p, name + 11))
			continue;
		printf("  %-32s", name + 11);
		for (j = 0; j < p->nbranches; j++) {
			const git_oid *tip = branch_tip(refs, p->branches[j].name, buf, sizeof(buf));
			on = tip && (git_oid_equal(tip, &refs->ids[i]) ||
				git_graph_descendant_of(repo, tip, &refs->ids[i]) == 1);
			printf(" %-10s", on ? "yes" : "-");
			if (on && j > 0 && missing_earlier)
				seen_later = 1;
			if (!on)
				missing_earlier = 1;
		}
		if (seen_later) {
			printf("  <- reached a later environment without an earlier one");
			gaps++;
		}
		printf("\n");
	}
	if (gaps)
		printf("%d feature%s skipped an environment\n", gaps, gaps == 1 ? "" : "s");
	return 0;
}

enum { OPT_REPO = CMD_LONG_ONLY, OPT_POLICY, OPT_JSON };

static const cmd_opt status_opts[] = {
	{ OPT_REPO, 0, "repo", "DIR", "the repository, the server's or a mirror (default: .)" },
	{ OPT_POLICY, 0, "policy", "FILE", "the policy (default: the hooks' one for DIR)" },
	CMD_OPTS_END
};

const cmd_spec cmd_status_spec = {
	"status",
	"status [--repo DIR] [--policy FILE]",
	"show the promotion matrix: what waits on each promotion step",
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
	int r = 2, c;

	cmd_parse_init(&p, &cmd_status_spec, argc, argv);
	while ((c = cmd_parse_next(&p)) != -1) {
		switch (c) {
		case OPT_REPO: where.repo = optarg; break;
		case OPT_POLICY: where.policy = optarg; break;
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
	printf("strategy: %s\n", policy->strategy == PC_STRATEGY_PATTERN1 ? "pattern1" :
		policy->strategy == PC_STRATEGY_PATTERN2 ? "pattern2" :
		policy->strategy == PC_STRATEGY_PATTERN3 ? "pattern3" : "custom");
	print_steps(repo, policy, &refs);
	if (policy->strategy == PC_STRATEGY_PATTERN1 ||
	    (policy->strategy == PC_STRATEGY_NONE && policy->nbranches > 1))
		print_features(repo, policy, &refs);
	r = 0;
done:
	pc_refs_clear(&refs);
	pc_policy_free(policy);
	git_repository_free(repo);
	return r;
}
