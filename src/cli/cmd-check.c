/*
 * cmd-check.c: policy-check check, the server's engine run locally.  Same
 * evaluation, same messages, same exit code as the hook; no audit record.
 */
#include "cmd.h"
#include "evaluate.h"
#include "policy.h"
#include "repo.h"
#include "session.h"

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
	r = pc_session_load_policy(out, policy_path, stderr, NULL);
	free(path);
	return r < 0 ? -1 : 0;
}

int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		CMD_OPT_REPO,
		CMD_OPT_POLICY,
		{ "as", required_argument, NULL, 'a' },
		{ "stdin", no_argument, NULL, 's' },
		{ "push-option", required_argument, NULL, 'o' },
		CMD_OPT_END
	};
	cmd_where where = CMD_WHERE_INIT;
	const char *as = NULL;
	int use_stdin = 0, c, r = 2;
	pc_session s;
	pc_error err = PC_ERROR_INIT;

	pc_session_init(&s, NULL);
	while ((c = cmd_getopt(&where, argc, argv, "o:", longopts)) != -1) {
		switch (c) {
		case 'a': as = optarg; break;
		case 's': use_stdin = 1; break;
		case 'o':
			if (pc_strlist_add(&s.options, optarg) < 0)
				goto done;
			break;
		}
	}
	if (use_stdin ? optind != argc : optind + 3 != argc)
		cmd_die_usage(NULL);
	if (pc_repo_open(&s.repo, where.repo, &err) < 0) {
		cmd_error("check: %s", err.msg);
		goto done;
	}
	if (cmd_load_policy(&s.policy, where.policy, s.repo) < 0)
		goto done;
	if (use_stdin) {
		if (pc_session_read_updates(&s, stdin, &err) < 0) {
			cmd_error("check: %s", err.msg);
			goto done;
		}
	} else {
		char *ref = strncmp(argv[optind], "refs/", 5) ?
			pc_asprintf("refs/heads/%s", argv[optind]) : pc_strdup(argv[optind]);
		char old_hex[PC_HEX_MAX], new_hex[PC_HEX_MAX];
		git_oid old_id, new_id;
		int valid = 0;

		if (!ref)
			goto done;
		if (git_reference_name_is_valid(&valid, ref) < 0 || !valid) {
			cmd_error("check: invalid ref name '%s'", ref);
			free(ref);
			goto done;
		}
		if (resolve_rev(&old_id, s.repo, argv[optind + 1]) < 0 ||
		    resolve_rev(&new_id, s.repo, argv[optind + 2]) < 0) {
			free(ref);
			goto done;
		}
		git_oid_tostr(old_hex, sizeof(old_hex), &old_id);
		git_oid_tostr(new_hex, sizeof(new_hex), &new_id);
		r = pc_session_add_update(&s, ref, old_hex, new_hex, &err);
		free(ref);
		if (r < 0) {
			r = 2;
			cmd_error("check: %s", err.msg);
			goto done;
		}
		r = 2;
	}
	pc_session_identify(&s, as);
	if (pc_session_judge(&s, 1, &err) < 0) {
		cmd_error("check: %s", err.msg);
		goto done;
	}
	pc_session_report(&s, stdout);
	r = pc_session_rejected(&s);
done:
	pc_session_release(&s);
	return r;
}
