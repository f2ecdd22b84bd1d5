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
#include "keyring.h"
#include "policy.h"
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
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

/* The WHO of an approval ref from the approver's user.email (or "approval"), when no policy names the signer. */
static void email_name(char *out, size_t size, git_repository *repo)
{
	git_config *cfg = NULL;
	git_buf email = { 0 };

	out[0] = '\0';
	if (git_repository_config(&cfg, repo) == 0 &&
	    git_config_get_string_buf(&email, cfg, "user.email") == 0 && email.size)
		pc_approval_name_from_email(out, size, email.ptr);
	git_error_clear();
	if (!out[0])
		snprintf(out, size, "approval");
	git_buf_dispose(&email);
	git_config_free(cfg);
}

/*
 * The policy user whose key signed: the policy given with --policy, else
 * the hooks' policy of the repository when it has one (approve run on the
 * server, or a clone configured like one).  0 with *user NULL when no
 * policy is at hand or it names nobody.
 */
static int signer_user(char *user, size_t size, git_repository *repo, const char *policy_path,
	const pc_sshkey *key, int64_t tagged)
{
	pc_ctx ctx;
	pc_policy *policy = NULL;
	pc_error err = PC_ERROR_INIT;
	const char *who = NULL;
	char *path = NULL, why[384];

	user[0] = '\0';
	if (!policy_path) {
		if (pc_policy_path_for_repo(&path, git_repository_path(repo), &err) < 0 || access(path, F_OK)) {
			free(path);
			return 0;
		}
		policy_path = path;
	}
	if (pc_session_load_policy(&policy, policy_path, stderr, NULL) < 0) {
		/* --policy must load; the repository's own only helps to name the ref */
		int own = path != NULL;

		free(path);
		return own ? 0 : -1;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.repo = repo;
	ctx.policy = policy;
	ctx.now = (int64_t)time(NULL);
	if (pc_keyring_user(&ctx, key, pc_signing_time(&ctx, tagged), &who, why, sizeof(why), &err) < 0)
		cmd_error("approve: %s", err.msg);
	else if (!who)
		fprintf(stderr, "policy-check: approve: the policy %s does not know the signing key: %s\n",
			policy_path, why);
	else
		snprintf(user, size, "%s", who);
	pc_keyring_free(ctx.keyring);
	pc_policy_free(policy);
	free(path);
	return 0;
}

/*
 * An approval ref of `commit` already made with `key` for `target`, among
 * the local refs refs/approvals/COMMIT/ (the caller fetched the remote's):
 * its name into found, or "" when there is none.
 */
static int find_existing(char *found, size_t size, git_repository *repo, const char *hex,
	const git_oid *commit, const char *target, const pc_sshkey *key)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	pc_error err = PC_ERROR_INIT;
	char glob[128], why[512];
	int r = 0;

	found[0] = '\0';
	snprintf(glob, sizeof(glob), "refs/approvals/%s/*", hex);
	if (git_reference_iterator_glob_new(&it, repo, glob) < 0) {
		git_error_clear();
		return 0;
	}
	while (!found[0] && git_reference_next(&ref, it) == 0) {
		git_oid id;
		char *t = NULL;
		pc_sshkey *k = NULL;
		int64_t tagged;

		if (git_reference_type(ref) == GIT_REFERENCE_DIRECT &&
		    (r = pc_approval_parse(repo, git_reference_target(ref), &id, &t, &k, &tagged, why,
			    sizeof(why), &err)) == 0 &&
		    k && git_oid_equal(&id, commit) && !strcmp(t, target) && pc_sshkey_equal(k, key))
			snprintf(found, size, "%s", git_reference_name(ref));
		free(t);
		pc_sshkey_free(k);
		git_reference_free(ref);
		ref = NULL;
		if (r < 0)
			break;
	}
	git_error_clear();
	git_reference_iterator_free(it);
	return r;
}

enum { OPT_REPO = CMD_LONG_ONLY, OPT_POLICY, OPT_TARGET, OPT_KEY, OPT_REMOTE, OPT_NO_PUSH };

static const cmd_opt approve_opts[] = {
	{ OPT_REPO, 0, "repo", "DIR", "the local clone to make the approval in (default: .)" },
	{ OPT_POLICY, 0, "policy", "FILE", "name the approval after the signer's user in this policy (default: DIR's, if any)" },
	{ OPT_TARGET, 0, "target", "REF", "the ref whose update is approved (default: refs/heads/main)" },
	{ OPT_KEY, 0, "key", "FILE", "sign with this SSH key instead of user.signingkey" },
	{ OPT_REMOTE, 0, "remote", "NAME", "push the approval to this remote (default: origin)" },
	{ OPT_NO_PUSH, 0, "no-push", NULL, "only create the approval ref locally" },
	CMD_OPTS_END
};

const cmd_spec cmd_approve_spec = {
	"approve",
	"approve [--repo DIR] [--policy FILE] [--target REF] [--key FILE] [--remote NAME | --no-push] COMMIT",
	"sign an approval of COMMIT for an update of the target ref, and push it",
	approve_opts, NULL
};

int cmd_approve(int argc, char **argv)
{
	cmd_where where = CMD_WHERE_INIT;
	cmd_parser p;
	const char *repo_dir, *target_arg = "refs/heads/main", *key = NULL, *remote = "origin";
	char hex[GIT_OID_HEXSZ + 1], who[160], ref[768], found[768], tmp_tag[64], keyopt[4200];
	char target[512], msg2[600], tagref[128], fetchspec[160], why[512];
	git_repository *repo = NULL;
	git_object *obj = NULL, *commit = NULL;
	git_reference *existing = NULL;
	pc_sshkey *signer = NULL;
	pc_error err = PC_ERROR_INIT;
	git_oid tag_id, tagged_commit;
	char *tagged_target = NULL;
	int64_t tagged;
	int no_push = 0, c, r = 2, valid = 0, tagged_ok = 0, by_email = 0, n;

	cmd_parse_init(&p, &cmd_approve_spec, argc, argv);
	while ((c = cmd_parse_next(&p)) != -1) {
		switch (c) {
		case OPT_REPO: where.repo = optarg; break;
		case OPT_POLICY: where.policy = optarg; break;
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
	snprintf(tmp_tag, sizeof(tmp_tag), "policy-check-approval-%ld", (long)getpid());
	snprintf(tagref, sizeof(tagref), "refs/tags/%s", tmp_tag);
	snprintf(msg2, sizeof(msg2), "target: %s", target);
	snprintf(keyopt, sizeof(keyopt), "user.signingkey=%s", key ? key : "");
	{
		char *tag_argv[] = { "git", "-C", (char *)repo_dir, "-c", "gpg.format=ssh",
			"-c", keyopt, "tag", "-s", "-m", PC_APPROVAL_MAGIC, "-m", msg2, tmp_tag, hex, NULL };

		if (!key) {
			/* keep the user's own user.signingkey: drop the override */
			memmove(&tag_argv[5], &tag_argv[7], sizeof(tag_argv) - 7 * sizeof(char *));
		}
		if (run(tag_argv, 1) != 0) {
			cmd_error("approve: git tag -s failed; set user.signingkey (or pass --key) to an SSH key");
			goto done;
		}
		tagged_ok = 1;
	}
	/* The key that signed decides who approves, and so the name. */
	if (git_reference_name_to_id(&tag_id, repo, tagref) < 0) {
		cmd_error("approve: cannot read %s", tagref);
		goto done;
	}
	if (pc_approval_parse(repo, &tag_id, &tagged_commit, &tagged_target, &signer, &tagged, why,
			sizeof(why), &err) < 0 || !signer) {
		cmd_error("approve: the signed tag is no approval: %s", signer ? err.msg : why);
		goto done;
	}
	if (signer_user(who, sizeof(who), repo, where.policy, signer, tagged) < 0)
		goto done;
	if (!who[0] || pc_approval_ref_name(ref, sizeof(ref), hex, target, who) < 0) {
		email_name(who, sizeof(who), repo);
		by_email = 1;
		if (pc_approval_ref_name(ref, sizeof(ref), hex, target, who) < 0) {
			cmd_error("approve: cannot name an approval of %s for %s by %s", hex, target, who);
			goto done;
		}
	}
	/* What the remote has, as far as it answers: run twice, approve once. */
	if (!no_push) {
		char *fetch_argv[] = { "git", "-C", (char *)repo_dir, "fetch", "-q", (char *)remote,
			fetchspec, NULL };

		snprintf(fetchspec, sizeof(fetchspec), "refs/approvals/%s/*:refs/approvals/%s/*", hex, hex);
		run(fetch_argv, 1);
	}
	if (find_existing(found, sizeof(found), repo, hex, git_object_id(commit), target, signer) < 0)
		goto done;
	/*
	 * An email names nobody the hooks can check, and user.email may not be
	 * the signer's (one clone, several keys): take the next free name.
	 */
	for (n = 2; by_email && !found[0] && n < 100 && git_reference_lookup(&existing, repo, ref) == 0; n++) {
		char numbered[200];

		git_reference_free(existing);
		existing = NULL;
		snprintf(numbered, sizeof(numbered), "%s-%d", who, n);
		if (pc_approval_ref_name(ref, sizeof(ref), hex, target, numbered) < 0)
			break;
	}
	git_error_clear();
	if (!found[0] && git_reference_lookup(&existing, repo, ref) == 0) {
		cmd_error("approve: %s exists but is no approval of %s for %s by this key; "
			"delete it (git update-ref -d %s) and run approve again", ref, hex, target, ref);
		r = 1;
		goto done;
	}
	git_error_clear();
	if (found[0]) {
		printf("approval %s for %s at %s already exists: nothing to sign\n", found, target, hex);
		snprintf(ref, sizeof(ref), "%s", found);
	} else {
		char *upd_argv[] = { "git", "-C", (char *)repo_dir, "update-ref", ref, tagref,
			"0000000000000000000000000000000000000000", NULL };

		if (run(upd_argv, 0) != 0) {
			cmd_error("approve: cannot create %s", ref);
			goto done;
		}
		printf("approval %s for %s at %s\n", ref, target, hex);
	}
	if (no_push) {
		r = 0;
		goto done;
	}
	{
		/* Pushing one already there is a no-op; one only made locally goes now. */
		char *push_argv[] = { "git", "-C", (char *)repo_dir, "push", (char *)remote, ref, NULL };

		if (run(push_argv, 0) != 0) {
			cmd_error("approve: pushing %s to %s failed; the approval stays in the local repository",
				ref, remote);
			r = 1;
			goto done;
		}
	}
	r = 0;
done:
	if (tagged_ok) {
		char *del_argv[] = { "git", "-C", (char *)repo_dir, "tag", "-d", tmp_tag, NULL };
		run(del_argv, 1);
	}
	free(tagged_target);
	pc_sshkey_free(signer);
	git_reference_free(existing);
	git_object_free(commit);
	git_object_free(obj);
	git_repository_free(repo);
	return r;
}
