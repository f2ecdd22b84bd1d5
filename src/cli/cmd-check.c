/*
 * cmd-check.c: policy-check check, the server's engine run locally.  Same
 * evaluation, same messages, same exit code as the hook; no audit record.
 */
#include "cmd.h"
#include "evaluate.h"
#include "policy.h"
#include "repo.h"
#include "report.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int resolve_rev(git_oid *out, git_repository *repo, const char *rev)
{
	git_object *obj = NULL;
	size_t i;

	for (i = 0; rev[i] == '0'; i++)
		;
	if (i == GIT_OID_HEXSZ && !rev[i]) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	if (git_revparse_single(&obj, repo, rev) < 0) {
		cmd_error("check: unknown revision '%s'", rev);
		return -1;
	}
	git_oid_cpy(out, git_object_id(obj));
	git_object_free(obj);
	return 0;
}

/* Load the policy named on the command line, or the repository's. */
int cmd_load_policy(pc_policy **out, const char *policy_path, git_repository *repo)
{
	pc_diag diags = PC_DIAG_INIT;
	pc_error err = PC_ERROR_INIT;
	char *path = NULL;
	int r;

	if (!policy_path) {
		if (pc_policy_path_for_repo(&path, git_repository_path(repo), &err) < 0) {
			cmd_error("%s", err.msg);
			return -1;
		}
		policy_path = path;
	}
	r = pc_policy_load(out, policy_path, &diags);
	if (r < 0) {
		if (!diags.n)
			cmd_error("cannot load the policy %s", policy_path);
		pc_diag_print(&diags, stderr);
	}
	pc_diag_clear(&diags);
	free(path);
	return r < 0 ? -1 : 0;
}

int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "policy", required_argument, NULL, 'p' },
		{ "as", required_argument, NULL, 'a' },
		{ "stdin", no_argument, NULL, 's' },
		{ "push-option", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	const char *repo_dir = ".", *policy_path = NULL, *as = NULL, *identity = NULL;
	int use_stdin = 0, c, r = 2;
	pc_strlist options = PC_STRLIST_INIT;
	git_repository *repo = NULL;
	pc_policy *policy = NULL;
	pc_update *updates = NULL;
	pc_verdict *verdicts = NULL;
	pc_error err = PC_ERROR_INIT;
	size_t nupdates = 0, i;
	pc_push push;

	while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': repo_dir = optarg; break;
		case 'p': policy_path = optarg; break;
		case 'a': as = optarg; break;
		case 's': use_stdin = 1; break;
		case 'o':
			if (pc_strlist_add(&options, optarg) < 0)
				goto done;
			break;
		default: cmd_die_usage(NULL);
		}
	}
	if (use_stdin ? optind != argc : optind + 3 != argc)
		cmd_die_usage(NULL);
	if (pc_repo_open(&repo, repo_dir, &err) < 0) {
		cmd_error("check: %s", err.msg);
		goto done;
	}
	if (cmd_load_policy(&policy, policy_path, repo) < 0)
		goto done;
	if (use_stdin) {
		if (pc_updates_read(&updates, &nupdates, stdin, (size_t)policy->limits.max_refs, &err) < 0) {
			cmd_error("check: %s", err.msg);
			goto done;
		}
	} else {
		char *ref = strncmp(argv[optind], "refs/", 5) ?
			pc_asprintf("refs/heads/%s", argv[optind]) : pc_strdup(argv[optind]);
		int valid = 0;

		if (!ref || !(updates = pc_calloc(1, sizeof(*updates)))) {
			free(ref);
			goto done;
		}
		updates[0].ref = ref;
		nupdates = 1;
		if (git_reference_name_is_valid(&valid, ref) < 0 || !valid) {
			cmd_error("check: invalid ref name '%s'", ref);
			goto done;
		}
		if (resolve_rev(&updates[0].old_id, repo, argv[optind + 1]) < 0 ||
		    resolve_rev(&updates[0].new_id, repo, argv[optind + 2]) < 0)
			goto done;
	}
	if (!as)
		pc_identity_from_env(policy, &as, &identity);
	else
		identity = "--as";
	if (!(verdicts = pc_calloc(nupdates ? nupdates : 1, sizeof(*verdicts))))
		goto done;
	memset(&push, 0, sizeof(push));
	push.repo = repo;
	push.policy = policy;
	push.pusher = as;
	push.identity = identity;
	push.options = &options;
	push.updates = updates;
	push.nupdates = nupdates;
	push.all_or_nothing = 1;
	if (pc_evaluate(verdicts, &push, &err) < 0) {
		cmd_error("check: %s", err.msg);
		goto done;
	}
	pc_report_write(stdout, verdicts, nupdates, -1);
	r = 0;
	for (i = 0; i < nupdates; i++) {
		if (!verdicts[i].accept)
			r = 1;
		pc_verdict_release(&verdicts[i]);
	}
done:
	free(verdicts);
	pc_updates_free(updates, nupdates);
	pc_policy_free(policy);
	pc_strlist_clear(&options);
	git_repository_free(repo);
	return r;
}
