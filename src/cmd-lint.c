/*
 * cmd-lint.c: policy-check lint [--policy FILE] [--repo DIR] [--expand]
 *
 * Validates a policy file and reports every problem as FILE:LINE:COLUMN.
 * Exit 0 when valid, 2 when invalid or on a usage error (DESIGN.md section 8).
 * With --repo the policy is also checked against that repository.
 */
#include "config.h"
#include "cmd.h"
#include "policy.h"

#include <getopt.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *git_message(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown error";
}

/*
 * Checks that need the repository.  Problems that only matter once the
 * branches exist are warnings: a policy is written before the repository is
 * bootstrapped.  Returns 0, or 2 when the repository cannot be used.
 */
static int lint_repo(const pc_policy *p, git_repository *repo, const char *repo_dir)
{
	git_reference *ref = NULL;
	size_t i;
	char *name;
	int e;

	for (i = 0; i < p->nbranches; i++) {
		if (pc_is_glob(p->branches[i].name))
			continue;
		if (!(name = pc_asprintf("refs/heads/%s", p->branches[i].name))) {
			cmd_error("out of memory");
			return 2;
		}
		e = git_reference_lookup(&ref, repo, name);
		git_reference_free(ref);
		ref = NULL;
		if (e == GIT_ENOTFOUND)
			fprintf(stderr, "policy-check: warning: %s: protected branch '%s' does not exist yet; "
				"an admin must create it\n", repo_dir, p->branches[i].name);
		else if (e < 0)
			fprintf(stderr, "policy-check: warning: %s: cannot read %s: %s\n",
				repo_dir, name, git_message());
		free(name);
	}
	return 0;
}

/* The git directory of DIR (a bare repository or a work tree), or NULL. */
static git_repository *open_repo(const char *dir)
{
	git_repository *repo = NULL;

	if (git_repository_open_ext(&repo, dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		cmd_error("%s: cannot open the repository: %s", dir, git_message());
		return NULL;
	}
	return repo;
}

int cmd_lint(int argc, char **argv)
{
	static const struct option options[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "repo", required_argument, NULL, 'r' },
		{ "expand", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	pc_diag diags = PC_DIAG_INIT;
	pc_error err = PC_ERROR_INIT;
	pc_policy *policy = NULL;
	git_repository *repo = NULL;
	const char *policy_path = NULL, *repo_dir = NULL;
	char *found = NULL;
	int c, expand = 0, r = 2;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+p:r:eh", options, NULL)) != -1) {
		switch (c) {
		case 'p':
			policy_path = optarg;
			break;
		case 'r':
			repo_dir = optarg;
			break;
		case 'e':
			expand = 1;
			break;
		case 'h':
			printf("usage: policy-check lint [--policy FILE] [--repo DIR] [--expand]\n");
			return 0;
		default:
			if (optopt && strchr("pr", optopt))
				cmd_error("lint: option '%s' needs a value", argv[optind - 1]);
			else
				cmd_error("lint: unknown option '%s'", argv[optind - 1]);
			cmd_die_usage(NULL);
		}
	}
	if (optind < argc) {
		cmd_error("lint: unexpected argument '%s'; name the policy with --policy FILE", argv[optind]);
		cmd_die_usage(NULL);
	}

	if (repo_dir || !policy_path) {
		if (!(repo = open_repo(repo_dir ? repo_dir : "."))) {
			if (!policy_path && !repo_dir)
				cmd_error("lint: no policy to check; give --policy FILE or --repo DIR");
			goto done;
		}
	}
	if (!policy_path) {
		if (pc_policy_path_for_repo(&found, git_repository_path(repo), &err) < 0) {
			cmd_error("%s", err.msg);
			goto done;
		}
		policy_path = found;
	}

	if (pc_policy_load(&policy, policy_path, &diags) < 0) {
		pc_diag_print(&diags, stderr);
		goto done;
	}
	if (pc_check_safe_path(policy_path, 0, &err) < 0 && err.code == PC_EUNSAFE)
		fprintf(stderr, "policy-check: warning: %s\n", err.msg);
	if (repo && (r = lint_repo(policy, repo, repo_dir ? repo_dir : ".")) != 0)
		goto done;
	if (expand && pc_policy_write_expanded(policy, stdout) < 0) {
		cmd_error("lint: cannot write the expanded policy to standard output");
		r = 2;
		goto done;
	}
	/* With --expand stdout holds the YAML, so the verdict goes to stderr. */
	fprintf(expand ? stderr : stdout, "policy-check: %s: ok\n", policy_path);
	r = 0;
done:
	pc_policy_free(policy);
	pc_diag_clear(&diags);
	git_repository_free(repo);
	free(found);
	return r;
}
