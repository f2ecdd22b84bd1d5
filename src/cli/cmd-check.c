/*
 * cmd-check.c: policy-check check, the server's engine run locally.  Same
 * evaluation, same messages, same exit code as the hook; no audit record.
 */
#include "cmd.h"
#include "evaluate.h"
#include "policy.h"
#include "publish.h"
#include "repo.h"
#include "session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Where check keeps its copy of a remote's refs: refs/policy-check/NAME/<the server's name less refs/>. */
#define VIEW_PREFIX "refs/policy-check/"

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

/* Run git with argv (NULL-terminated, argv[0] "git"); its exit status, -1 when it cannot run. */
static int run_git(char *const argv[])
{
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		/* git's progress and messages go to stderr; stdout is check's report */
		if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "policy-check: cannot run git: %s\n", strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * The remote whose refs stand for the server's: --remote NAME, else origin
 * in a repository with a work tree (a clone) that has it, else none (the
 * repository's own refs: the server itself, or --local).  *name is NULL
 * for none; -1 when --remote names no remote.
 */
static int pick_remote(const char **name, git_repository *repo, const char *wanted, int local)
{
	git_config *cfg = NULL;
	git_buf url = { 0 };
	char *key;
	int e = -1;

	*name = NULL;
	if (local || (!wanted && git_repository_is_bare(repo)))
		return 0;
	/* it is passed to git fetch, where a leading '-' would be an option */
	if (wanted && (!*wanted || *wanted == '-')) {
		cmd_error("check: '%s' is no remote name (git remote -v lists them)", wanted);
		return -1;
	}
	/*
	 * remote.NAME.url, read directly: git_remote_lookup leaks PCRE2
	 * match data in the libgit2 we build against.
	 */
	if (!(key = pc_asprintf("remote.%s.url", wanted ? wanted : "origin")))
		return -1;
	if (git_repository_config_snapshot(&cfg, repo) == 0)
		e = git_config_get_string_buf(&url, cfg, key);
	git_buf_dispose(&url);
	git_config_free(cfg);
	free(key);
	git_error_clear();
	if (e == 0) {
		*name = wanted ? wanted : "origin";
		return 0;
	}
	if (!wanted)
		return 0;
	cmd_error("check: this repository has no remote '%s' (git remote -v lists them)", wanted);
	return -1;
}

/*
 * Copy every ref of the server into refs/policy-check/NAME/ (branches,
 * tags, approvals, the published policy, and any other ref), since every
 * ref of the server hides the commits it reaches.  --prune drops what the
 * server dropped.  Git also updates the remote-tracking branches as a plain fetch
 * does, so that NAME/BRANCH revisions given to check are current.
 */
static int fetch_server(git_repository *repo, const char *name)
{
	const char *dir = git_repository_workdir(repo) ? git_repository_workdir(repo) :
		git_repository_path(repo);
	char *refspec = pc_asprintf("+refs/*:" VIEW_PREFIX "%s/*", name);
	char *argv[] = { "git", "-C", (char *)dir, "fetch", "--quiet", "--no-tags", "--prune",
		"--no-write-fetch-head", (char *)name, refspec, NULL };
	int r;

	if (!refspec)
		return -1;
	r = run_git(argv);
	free(refspec);
	if (r != 0) {
		cmd_error("check: cannot fetch the server's refs from '%s'; fix what git says above, "
			"or judge against the last copy with --no-fetch", name);
		return -1;
	}
	return 0;
}

/* 1 when the repository holds any ref under prefix. */
static int has_refs_under(git_repository *repo, const char *prefix)
{
	git_reference_iterator *it = NULL;
	const char *name;
	size_t len = strlen(prefix);
	int found = 0;

	if (git_reference_iterator_new(&it, repo) < 0)
		return 0;
	while (!found && git_reference_next_name(&name, it) == 0)
		found = !strncmp(name, prefix, len);
	git_reference_iterator_free(it);
	git_error_clear();
	return found;
}

static const char *const op_names[] = { "create", "update", "force", "delete" };
static const char *const class_names[] = { "protected", "work", "tag", "approval", "other" };

/* The verdicts as one JSON object; the field names are documented in policy-check(1). */
static int print_json(const pc_session *s)
{
	cmd_json j = CMD_JSON_INIT;
	const pc_verdict *v;
	size_t i, k;

	cmd_json_open(&j, NULL, '{');
	cmd_json_bool(&j, "accepted", !pc_session_rejected(s));
	cmd_json_str(&j, "pusher", s->pusher);
	cmd_json_open(&j, "updates", '[');
	for (i = 0; i < s->nverdicts; i++) {
		v = &s->verdicts[i];
		cmd_json_open(&j, NULL, '{');
		cmd_json_str(&j, "ref", v->ref);
		cmd_json_str(&j, "old", v->old_hex);
		cmd_json_str(&j, "new", v->new_hex);
		cmd_json_str(&j, "op", (size_t)v->op < PC_ARRAY_SIZE(op_names) ? op_names[v->op] : "unknown");
		cmd_json_str(&j, "ref_class", (size_t)v->ref_class < PC_ARRAY_SIZE(class_names) ?
			class_names[v->ref_class] : "unknown");
		cmd_json_bool(&j, "accepted", v->accept);
		cmd_json_int(&j, "violations", (long long)v->violations);
		cmd_json_bool(&j, "dry_run", v->dry_run && v->violations);
		cmd_json_str(&j, "break_glass", v->accept && v->violations ? v->break_glass : NULL);
		cmd_json_open(&j, "reasons", '[');
		for (k = 0; k < v->nreasons; k++) {
			cmd_json_open(&j, NULL, '{');
			cmd_json_str(&j, "rule", v->reasons[k].rule);
			cmd_json_str(&j, "message", v->reasons[k].message);
			cmd_json_str(&j, "hint", v->reasons[k].hint);
			cmd_json_close(&j, '}');
		}
		cmd_json_close(&j, ']');
		cmd_json_open(&j, "approvals", '[');
		for (k = 0; k < v->napprovals; k++) {
			cmd_json_open(&j, NULL, '{');
			cmd_json_str(&j, "user", v->approvals[k].user);
			cmd_json_str(&j, "via", v->approvals[k].via);
			cmd_json_str(&j, "key", v->approvals[k].key);
			cmd_json_str(&j, "object", v->approvals[k].object);
			cmd_json_close(&j, '}');
		}
		cmd_json_close(&j, ']');
		cmd_json_close(&j, '}');
	}
	cmd_json_close(&j, ']');
	cmd_json_close(&j, '}');
	return cmd_json_finish(&j, stdout);
}

enum { OPT_STDIN = CMD_LONG_ONLY, OPT_AS, OPT_REPO, OPT_POLICY, OPT_JSON, OPT_REMOTE, OPT_LOCAL,
	OPT_NO_FETCH };

static const cmd_opt check_opts[] = {
	{ OPT_REPO, 0, "repo", "DIR", "the repository to judge in (default: .)" },
	{ OPT_REMOTE, 0, "remote", "NAME", "judge against this remote's refs and published policy (default in a clone: origin)" },
	{ OPT_LOCAL, 0, "local", NULL, "judge against the repository's own refs, as the server does" },
	{ OPT_NO_FETCH, 0, "no-fetch", NULL, "use the remote's refs as check last fetched them" },
	{ OPT_POLICY, 0, "policy", "FILE", "the policy to judge by (default: the remote's published one, or the hooks' one for DIR)" },
	{ OPT_AS, 0, "as", "USER", "judge the push as made by USER (default: from the environment)" },
	{ 'o', 1, "push-option", "OPTION", "a push option, as git push -o sends it; may be repeated" },
	{ OPT_STDIN, 0, "stdin", NULL, "read \"OLD NEW REF\" lines from standard input, as pre-receive" },
	{ OPT_JSON, 0, "json", NULL, "print the verdicts as one JSON object (see policy-check(1))" },
	CMD_OPTS_END
};

const cmd_spec cmd_check_spec = {
	"check",
	"check [--repo DIR] [--remote NAME [--no-fetch] | --local] [--policy FILE] [--as USER] [-o OPTION]... [--json] REF OLD NEW\n"
	"check [--repo DIR] [--remote NAME [--no-fetch] | --local] [--policy FILE] [--as USER] [-o OPTION]... [--json] --stdin",
	"print the verdict the server's hook would give to a push, with its exit code",
	check_opts, NULL
};

int cmd_check(int argc, char **argv)
{
	cmd_where where = CMD_WHERE_INIT;
	cmd_parser p;
	const char *as = NULL, *want_remote = NULL, *remote = NULL;
	char tmpdir[] = "/tmp/policy-check.XXXXXX";
	int use_stdin = 0, json = 0, local = 0, no_fetch = 0, have_tmp = 0, c, r = 2;
	pc_session s;
	pc_error err = PC_ERROR_INIT;

	pc_session_init(&s, NULL);
	cmd_parse_init(&p, &cmd_check_spec, argc, argv);
	while ((c = cmd_parse_next(&p)) != -1) {
		switch (c) {
		case OPT_REPO: where.repo = optarg; break;
		case OPT_POLICY: where.policy = optarg; break;
		case OPT_AS: as = optarg; break;
		case OPT_STDIN: use_stdin = 1; break;
		case OPT_JSON: json = 1; break;
		case OPT_REMOTE: want_remote = optarg; break;
		case OPT_LOCAL: local = 1; break;
		case OPT_NO_FETCH: no_fetch = 1; break;
		case 'o':
			if (pc_strlist_add(&s.options, optarg) < 0)
				goto done;
			break;
		}
	}
	if (use_stdin ? optind != argc : optind + 3 != argc) {
		pc_session_release(&s);
		cmd_usage_error(use_stdin ? "--stdin takes no REF OLD NEW" : "give REF OLD NEW, or --stdin");
	}
	if (local && (want_remote || no_fetch)) {
		pc_session_release(&s);
		cmd_usage_error("--local judges against the repository's own refs: no --remote, no --no-fetch");
	}
	if (pc_repo_open(&s.repo, where.repo, &err) < 0) {
		cmd_error("check: %s", err.msg);
		goto done;
	}
	if (pick_remote(&remote, s.repo, want_remote, local) < 0)
		goto done;
	if (remote) {
		char *probe = pc_asprintf(VIEW_PREFIX "%s/heads/x", remote);
		int valid = 0;

		/* the remote's name becomes part of ref names */
		if (!probe || git_reference_name_is_valid(&valid, probe) < 0 || !valid) {
			free(probe);
			cmd_error("check: the remote name '%s' cannot be part of a ref name", remote);
			goto done;
		}
		free(probe);
		if (!(s.ref_view = pc_asprintf(VIEW_PREFIX "%s/", remote)))
			goto done;
		if (!no_fetch && fetch_server(s.repo, remote) < 0)
			goto done;
		if (no_fetch && !has_refs_under(s.repo, s.ref_view)) {
			cmd_error("check: no copy of the refs of '%s' yet (%s*); run check once without --no-fetch",
				remote, s.ref_view);
			goto done;
		}
	}
	if (remote && !where.policy) {
		char *ref = pc_asprintf(VIEW_PREFIX "%s/meta/policy-check", remote);

		if (!ref || !mkdtemp(tmpdir)) {
			free(ref);
			cmd_error("check: cannot make a private directory for the published policy: %s",
				strerror(errno));
			goto done;
		}
		have_tmp = 1;
		r = pc_publish_load(&s.policy, s.repo, ref, tmpdir, stderr, &err);
		free(ref);
		if (r < 0) {
			if (r == PC_ENOTFOUND)
				cmd_error("check: '%s' publishes no policy at " PC_PUBLISH_REF
					" (run policy-check install on the server to publish it); give --policy FILE",
					remote);
			else
				cmd_error("check: %s", err.msg);
			r = 2;
			goto done;
		}
		r = 2;
	} else if (cmd_load_policy(&s.policy, where.policy, s.repo) < 0)
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
	if (json) {
		if (print_json(&s) < 0)
			goto done;
	} else {
		pc_session_report(&s, stdout);
	}
	r = pc_session_rejected(&s);
done:
	pc_session_release(&s);
	if (have_tmp)
		pc_publish_cleanup(tmpdir);
	return r;
}
