/*
 * cmd-approve.c: policy-check approve, which makes an approval object
 * (doc/DESIGN.md section 5) and pushes it.
 *
 * The signed tag is made by git itself (git tag -s with gpg.format=ssh),
 * which signs with ssh-keygen -Y sign: ssh-agent, user.signingkey and
 * security keys work exactly as they do for the user's own signed tags.
 */
#include "cmd.h"
#include "approve.h"
#include "repo.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int run(char *const argv[], int quiet)
{
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		if (quiet && !freopen("/dev/null", "w", stdout))
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "policy-check: cannot run %s\n", argv[0]);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A ref-safe approval name from the approver's email (or "approval"). */
static void approval_name(char *out, size_t size, git_repository *repo)
{
	git_config *cfg = NULL;
	git_buf email = { 0 };
	size_t i, o = 0;

	if (git_repository_config(&cfg, repo) == 0 &&
	    git_config_get_string_buf(&email, cfg, "user.email") == 0 && email.size) {
		for (i = 0; i < email.size && o + 1 < size; i++) {
			char ch = email.ptr[i];
			out[o++] = isalnum((unsigned char)ch) || ch == '.' || ch == '-' || ch == '_' ? ch : '-';
		}
	}
	git_error_clear();
	if (!o)
		o = (size_t)snprintf(out, size, "approval");
	out[o < size ? o : size - 1] = '\0';
	git_buf_dispose(&email);
	git_config_free(cfg);
}

enum { OPT_REPO = CMD_LONG_ONLY, OPT_TARGET, OPT_KEY, OPT_REMOTE, OPT_NO_PUSH };

static const cmd_opt approve_opts[] = {
	{ OPT_REPO, 0, "repo", "DIR", "the local clone to make the approval in (default: .)" },
	{ OPT_TARGET, 0, "target", "REF", "the ref whose update is approved (default: refs/heads/main)" },
	{ OPT_KEY, 0, "key", "FILE", "sign with this SSH key instead of user.signingkey" },
	{ OPT_REMOTE, 0, "remote", "NAME", "push the approval to this remote (default: origin)" },
	{ OPT_NO_PUSH, 0, "no-push", NULL, "only create the approval ref locally" },
	CMD_OPTS_END
};

const cmd_spec cmd_approve_spec = {
	"approve",
	"approve [--repo DIR] [--target REF] [--key FILE] [--remote NAME | --no-push] COMMIT",
	"sign an approval of COMMIT for an update of the target ref, and push it",
	approve_opts, NULL
};

int cmd_approve(int argc, char **argv)
{
	cmd_where where = CMD_WHERE_INIT;
	cmd_parser p;
	const char *repo_dir, *target_arg = "refs/heads/main", *key = NULL, *remote = "origin";
	char hex[GIT_OID_HEXSZ + 1], name[128], ref[256], tmp_tag[64], keyopt[4200], target[512];
	char msg2[600], base[160];
	git_repository *repo = NULL;
	git_object *obj = NULL, *commit = NULL;
	git_reference *existing = NULL;
	pc_error err = PC_ERROR_INIT;
	int no_push = 0, c, r = 2, valid = 0, n;

	cmd_parse_init(&p, &cmd_approve_spec, argc, argv);
	while ((c = cmd_parse_next(&p)) != -1) {
		switch (c) {
		case OPT_REPO: where.repo = optarg; break;
		case OPT_TARGET: target_arg = optarg; break;
		case OPT_KEY: key = optarg; break;
		case OPT_REMOTE: remote = optarg; break;
		case OPT_NO_PUSH: no_push = 1; break;
		}
	}
	if (optind + 1 != argc)
		cmd_usage_error(optind == argc ? "name the COMMIT to approve" : "approve one COMMIT at a time");
	repo_dir = where.repo;
	snprintf(target, sizeof(target), "%s%s", strncmp(target_arg, "refs/", 5) ? "refs/heads/" : "",
		target_arg);
	if (git_reference_name_is_valid(&valid, target) < 0 || !valid) {
		cmd_error("approve: invalid target ref '%s'", target);
		return 2;
	}
	if (pc_repo_open(&repo, repo_dir, &err) < 0) {
		cmd_error("approve: %s", err.msg);
		return 2;
	}
	if (git_revparse_single(&obj, repo, argv[optind]) < 0 ||
	    git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) < 0) {
		cmd_error("approve: '%s' is not a commit in %s", argv[optind], repo_dir);
		goto done;
	}
	git_oid_tostr(hex, sizeof(hex), git_object_id(commit));
	approval_name(base, sizeof(base), repo);
	/* Never replace an approval: approval refs are create-only on the server too. */
	for (n = 1; n < 100; n++) {
		if (n == 1)
			snprintf(name, sizeof(name), "%s", base);
		else
			snprintf(name, sizeof(name), "%s-%d", base, n);
		snprintf(ref, sizeof(ref), "refs/approvals/%s/%s", hex, name);
		if (git_reference_lookup(&existing, repo, ref) < 0)
			break;
		git_reference_free(existing);
		existing = NULL;
	}
	git_error_clear();
	snprintf(tmp_tag, sizeof(tmp_tag), "policy-check-approval-%ld", (long)getpid());
	snprintf(msg2, sizeof(msg2), "target: %s", target);
	snprintf(keyopt, sizeof(keyopt), "user.signingkey=%s", key ? key : "");
	{
		char *tag_argv[] = { "git", "-C", (char *)repo_dir, "-c", "gpg.format=ssh",
			"-c", keyopt, "tag", "-s", "-m", PC_APPROVAL_MAGIC, "-m", msg2, tmp_tag, hex, NULL };
		char *upd_argv[] = { "git", "-C", (char *)repo_dir, "update-ref", ref, "", "", NULL };
		char *del_argv[] = { "git", "-C", (char *)repo_dir, "tag", "-d", tmp_tag, NULL };
		char *push_argv[] = { "git", "-C", (char *)repo_dir, "push", (char *)remote, ref, NULL };
		char tagref[128];

		if (!key) {
			/* keep the user's own user.signingkey: drop the override */
			memmove(&tag_argv[5], &tag_argv[7], sizeof(tag_argv) - 7 * sizeof(char *));
		}
		if (run(tag_argv, 1) != 0) {
			cmd_error("approve: git tag -s failed; set user.signingkey (or pass --key) to an SSH key");
			goto done;
		}
		snprintf(tagref, sizeof(tagref), "refs/tags/%s", tmp_tag);
		upd_argv[5] = tagref;
		upd_argv[6] = "0000000000000000000000000000000000000000";
		r = run(upd_argv, 0);
		run(del_argv, 1);
		if (r != 0) {
			r = 2;
			cmd_error("approve: cannot create %s", ref);
			goto done;
		}
		printf("approval %s for %s at %s\n", ref, target, hex);
		if (no_push) {
			r = 0;
			goto done;
		}
		if (run(push_argv, 0) != 0) {
			cmd_error("approve: pushing %s to %s failed; the approval stays in the local repository",
				ref, remote);
			r = 1;
			goto done;
		}
		r = 0;
	}
done:
	git_object_free(commit);
	git_object_free(obj);
	git_repository_free(repo);
	return r;
}
