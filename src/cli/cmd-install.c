/*
 * cmd-install.c: policy-check install, which puts the hook programs into
 * bare repositories.
 *
 * Each hook is a two-line sh script that execs the installed hook program,
 * marked so that install can tell its own hooks from an administrator's.
 * A pre-receive or update hook of the administrator's is kept in
 * hooks/NAME.d/ and runs after ours; --force replaces it instead.
 */
#include "config.h"
#include "cmd.h"
#include "audit.h"
#include "session.h"
#include "policy.h"
#include "publish.h"
#include "repo.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define HOOK_MARKER "# installed by policy-check install; reinstall instead of editing"

static const char *known_hooks[] = { "pre-receive", "update", "reference-transaction" };

/* Where the hook programs are: $PC_HOOK_DIR, the build tree, or pkglibexecdir. */
static int hook_dir(char *out, size_t size)
{
	const char *env = getenv("PC_HOOK_DIR");
	char self[PATH_MAX], probe[PATH_MAX + 32];
	ssize_t n;

	if (env && *env) {
		snprintf(out, size, "%s", env);
		return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		snprintf(probe, sizeof(probe), "%s/hooks/pre-receive", dirname(self));
		if (access(probe, X_OK) == 0) {
			snprintf(out, size, "%s/hooks", self);
			return 0;
		}
	}
	snprintf(out, size, "%s", PKGLIBEXECDIR);
	return 0;
}

static int is_ours(const char *path)
{
	char buf[512];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strstr(buf, HOOK_MARKER) != NULL;
}

/* 1 when the hook at path runs the hooks of NAME.d itself (Gitea's, a forge's). */
static int is_dispatcher(const char *path, const char *name)
{
	char buf[65536], want[64];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	snprintf(want, sizeof(want), "%s.d", name);
	return memchr(buf, '\0', (size_t)n) == NULL && strstr(buf, want) != NULL;
}

/*
 * A pre-receive or update hook that policy-check did not write is kept:
 * moved to hooks/NAME.d/NAME, which the hook program runs after its own
 * verdict (src/session/chain.h).  Refused, with what to do instead, when
 * that would lose or loop: a reference-transaction hook (nothing runs
 * it), a symbolic link (gitolite's driver, a managed hook), a hook that
 * runs NAME.d itself (Gitea's), or a NAME.d/NAME already there.
 */
static int keep_foreign(const char *repo, const char *name, const char *path, const struct stat *st)
{
	char dir[PATH_MAX], kept[PATH_MAX + 64];

	if (strcmp(name, "pre-receive") && strcmp(name, "update")) {
		cmd_error("install: %s exists and was not installed by policy-check; "
			"move it away or use --force to replace it", path);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		cmd_error("install: %s is not a regular file (a symbolic link: gitolite's or a managed hook); "
			"put policy-check beside it instead (contrib/integrations/README.md), "
			"or move it into %s/hooks/%s.d/ yourself", path, repo, name);
		return -1;
	}
	if (is_dispatcher(path, name)) {
		cmd_error("install: %s runs hooks/%s.d/ itself (Gitea, Forgejo, GitLab); "
			"put policy-check into that directory instead (contrib/integrations/README.md)",
			path, name);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/hooks/%s.d", repo, name);
	snprintf(kept, sizeof(kept), "%s/%s", dir, name);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		cmd_error("install: cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	if (access(kept, F_OK) == 0) {
		cmd_error("install: %s exists and was not installed by policy-check, and %s exists too; "
			"move one of them away", path, kept);
		return -1;
	}
	if (rename(path, kept) < 0) {
		cmd_error("install: cannot move %s to %s: %s", path, kept, strerror(errno));
		return -1;
	}
	printf("kept %s as %s: it runs after policy-check's %s\n", path, kept, name);
	return 0;
}

static int install_hook(const char *repo, const char *name, const char *dir, int force)
{
	char path[PATH_MAX], tmp[PATH_MAX + 16], program[PATH_MAX + 64];
	struct stat st;
	FILE *fp;

	/* reference-transaction runs record-transaction, from its own directory */
	if (!strcmp(name, "reference-transaction")) {
		snprintf(program, sizeof(program), "%s/record-transaction", dir);
		if (access(program, X_OK) < 0) {
			cmd_error("install: hook program %s is missing; build and install policy-check first",
				program);
			return -1;
		}
	}
	snprintf(program, sizeof(program), "%s/%s", dir, name);
	if (access(program, X_OK) < 0) {
		cmd_error("install: hook program %s is missing; build and install policy-check first", program);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/hooks/%s", repo, name);
	if (lstat(path, &st) == 0 && !is_ours(path) && !force &&
	    keep_foreign(repo, name, path, &st) < 0)
		return -1;
	snprintf(tmp, sizeof(tmp), "%s.pc-tmp", path);
	if (mkdir(dirname(strcpy(tmp, path)), 0755) < 0 && errno != EEXIST) {
		cmd_error("install: cannot create %s: %s", tmp, strerror(errno));
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.pc-tmp", path);
	if (!(fp = fopen(tmp, "w"))) {
		cmd_error("install: cannot write %s: %s", tmp, strerror(errno));
		return -1;
	}
	fprintf(fp, "#!/bin/sh\n%s\nexec '%s' \"$@\"\n", HOOK_MARKER, program);
	if (fclose(fp) != 0 || chmod(tmp, 0755) < 0 || rename(tmp, path) < 0) {
		cmd_error("install: cannot install %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	printf("installed %s\n", path);
	return 0;
}

/* 1 when any hook of the repository was installed by policy-check. */
static int has_our_hooks(const char *repo)
{
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < PC_ARRAY_SIZE(known_hooks); i++) {
		snprintf(path, sizeof(path), "%s/hooks/%s", repo, known_hooks[i]);
		if (is_ours(path))
			return 1;
	}
	return 0;
}

/* One ref to record: its name and the object it points at. */
typedef struct baseline_ref {
	char *name;
	char hex[GIT_OID_HEXSZ + 1];
} baseline_ref;

static void baseline_refs_free(baseline_ref *refs, size_t n)
{
	size_t i;

	for (i = 0; refs && i < n; i++)
		free(refs[i].name);
	free(refs);
}

/* The direct refs of repo (a symbolic HEAD moves with its branch). */
static int list_refs(baseline_ref **out, size_t *n, git_repository *repo)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	baseline_ref *refs = NULL;
	size_t count = 0, alloc = 0;
	int r, e;

	if (git_reference_iterator_new(&it, repo) < 0)
		return -1;
	while ((e = git_reference_next(&ref, it)) == 0) {
		if (git_reference_type(ref) == GIT_REFERENCE_DIRECT) {
			if (pc_grow((void **)&refs, &alloc, count + 1, sizeof(*refs)) < 0 ||
			    !(refs[count].name = pc_strdup(git_reference_name(ref)))) {
				git_reference_free(ref);
				r = -1;
				goto done;
			}
			git_oid_tostr(refs[count].hex, sizeof(refs[count].hex), git_reference_target(ref));
			count++;
		}
		git_reference_free(ref);
	}
	r = e == GIT_ITEROVER ? 0 : -1;
done:
	git_reference_iterator_free(it);
	if (r < 0) {
		baseline_refs_free(refs, count);
		return r;
	}
	*out = refs;
	*n = count;
	return 0;
}

/*
 * Adoption: one "baseline" record per ref the repository already has, so
 * that audit reconcile explains the refs made before the hooks were
 * there.  The installer is named by the policy's identity variable when
 * it is set, else by the login name of the effective uid (identity
 * "login").  policy_path NULL: the repository's own (policycheck.policy).
 */
static int write_baseline(git_repository *repo, const char *arg, const char *policy_path)
{
	pc_error err = PC_ERROR_INIT;
	pc_policy *policy = NULL;
	pc_audit_config cfg;
	pc_audit_record *recs = NULL;
	baseline_ref *refs = NULL;
	struct passwd *pw;
	char *path = NULL, *repo_abs = NULL, real[PATH_MAX], push_id[33], uid[32];
	const char *pusher = NULL, *identity = NULL, *v;
	size_t n = 0, i, len;
	uint64_t seq;
	int r = -1;

	if (list_refs(&refs, &n, repo) < 0) {
		cmd_error("install: %s: cannot list its refs: %s", arg,
			git_error_last() ? git_error_last()->message : "out of memory");
		goto done;
	}
	if (!n) {
		r = 0;
		goto done;
	}
	if (!policy_path) {
		if (pc_policy_path_for_repo(&path, git_repository_path(repo), &err) < 0) {
			cmd_error("install: %s", err.msg);
			goto done;
		}
		policy_path = path;
	}
	if (pc_session_load_policy(&policy, policy_path, stderr, NULL) < 0) {
		cmd_error("install: %s has %zu refs, and their baseline records need the policy %s; "
			"fix it (policy-check lint) or name one with --policy, then install again",
			arg, n, policy_path);
		goto done;
	}
	for (i = 0; i < policy->identity_env.n && !pusher; i++)
		if ((v = getenv(policy->identity_env.items[i])) && *v) {
			pusher = v;
			identity = policy->identity_env.items[i];
		}
	if (!pusher) {
		identity = "login";
		if ((pw = getpwuid(geteuid())))
			pusher = pw->pw_name;
		else {
			snprintf(uid, sizeof(uid), "uid %lu", (unsigned long)geteuid());
			pusher = uid;
		}
	}
	/* the repository as the hooks name it: real path, no trailing slash */
	v = git_repository_path(repo);
	if (realpath(v, real))
		v = real;
	for (len = strlen(v); len > 1 && v[len - 1] == '/'; len--)
		;
	if (!(repo_abs = pc_strndup(v, len)) || !(recs = pc_calloc(n, sizeof(*recs)))) {
		cmd_error("install: out of memory");
		goto done;
	}
	pc_audit_push_id(push_id);
	for (i = 0; i < n; i++) {
		recs[i].hook = "install";
		recs[i].repo = repo_abs;
		recs[i].push = push_id;
		recs[i].pusher = pusher;
		recs[i].identity = identity;
		recs[i].decision = "baseline";
		recs[i].policy = policy->sha256;
		recs[i].ref = refs[i].name;
		recs[i].new_hex = refs[i].hex;
		recs[i].op = "baseline";
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.log_path = policy->audit_log;
	cfg.key_path = policy->audit_key;
	cfg.origin = policy->audit_origin;
	if (pc_audit_append(&cfg, recs, n, &seq, &err) < 0) {
		cmd_error("install: %s: cannot write the baseline records of its %zu refs: %s", arg, n, err.msg);
		goto done;
	}
	if (n == 1)
		printf("baseline %s: 1 ref, audit record %llu\n", arg, (unsigned long long)seq);
	else
		printf("baseline %s: %zu refs, audit records %llu-%llu\n", arg, n, (unsigned long long)seq,
			(unsigned long long)(seq + n - 1));
	r = 0;
done:
	baseline_refs_free(refs, n);
	free(recs);
	free(repo_abs);
	free(path);
	pc_policy_free(policy);
	return r;
}

static int set_config(git_repository *repo, const char *policy_abs)
{
	git_config *cfg = NULL;
	int r = -1;

	if (git_repository_config(&cfg, repo) < 0)
		goto done;
	if (policy_abs && git_config_set_string(cfg, "policycheck.policy", policy_abs) < 0)
		goto done;
	if (git_config_set_bool(cfg, "receive.advertisePushOptions", 1) < 0)
		goto done;
	r = 0;
done:
	if (r < 0)
		cmd_error("install: cannot set git config: %s",
			git_error_last() ? git_error_last()->message : "unknown error");
	git_config_free(cfg);
	return r;
}

/*
 * Publish the repository's policy at refs/meta/policy-check for pushers'
 * `policy-check check` (publish.h); the hooks keep it current.  A
 * repository without a policy yet publishes nothing.
 */
static int publish_here(git_repository *repo, const char *name, const char *policy_abs)
{
	pc_error err = PC_ERROR_INIT;
	pc_policy *p = NULL;
	char *path = NULL;
	int r = -1;

	if (!policy_abs) {
		if (pc_policy_path_for_repo(&path, git_repository_path(repo), &err) < 0) {
			cmd_error("install: %s", err.msg);
			return -1;
		}
		if (access(path, F_OK) < 0 && errno == ENOENT) {
			printf("%s has no policy yet (%s): nothing published at " PC_PUBLISH_REF "\n", name, path);
			free(path);
			return 0;
		}
		policy_abs = path;
	}
	if (pc_session_load_policy(&p, policy_abs, stderr, NULL) < 0)
		cmd_error("install: %s is invalid; fix it first (policy-check lint)", policy_abs);
	else if (pc_publish_policy(repo, p, NULL, &err) < 0)
		cmd_error("install: cannot publish the policy at " PC_PUBLISH_REF " of %s: %s", name, err.msg);
	else {
		printf("published %s at " PC_PUBLISH_REF " of %s\n", policy_abs, name);
		r = 0;
	}
	pc_policy_free(p);
	free(path);
	return r;
}

/*
 * Publish as the repository's owner.  install is often run by root on a
 * repository that belongs to the git account: objects and refs that root
 * wrote (a new objects/xx/ directory, refs/meta/) would stop that account's
 * next push from writing there.  So root publishes from a child process
 * that has become the owner of the repository.
 */
static int publish(git_repository *repo, const char *name, const char *policy_abs)
{
	struct stat st;
	pid_t pid;
	int status;

	if (geteuid() != 0 || stat(git_repository_path(repo), &st) < 0 || st.st_uid == 0)
		return publish_here(repo, name, policy_abs);
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		cmd_error("install: cannot publish the policy of %s: fork: %s", name, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		git_repository *own = NULL;
		struct passwd *pw = getpwuid(st.st_uid);
		const char *home = pw && pw->pw_dir ? pw->pw_dir : "";
		int r = -1;

		/* root's ~/.gitconfig is not the owner's, and the owner may not read it */
		git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_GLOBAL, home);
		git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_XDG, "");
		if (setgroups(0, NULL) < 0 || setgid(st.st_gid) < 0 || setuid(st.st_uid) < 0)
			cmd_error("install: cannot become the owner (uid %lu) of %s to publish its policy: %s",
				(unsigned long)st.st_uid, name, strerror(errno));
		else if (git_repository_open_bare(&own, git_repository_path(repo)) < 0)
			cmd_error("install: the owner of %s cannot open it: %s", name,
				git_error_last() ? git_error_last()->message : "unknown error");
		else
			r = publish_here(own, name, policy_abs);
		git_repository_free(own);
		fflush(stdout);
		fflush(stderr);
		_exit(r < 0 ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

enum { OPT_POLICY = CMD_LONG_ONLY, OPT_HOOK };

static const cmd_opt install_opts[] = {
	{ OPT_POLICY, 0, "policy", "FILE", "the policy for these repositories (sets policycheck.policy)" },
	{ OPT_HOOK, 0, "hook", "NAME", "install this hook: pre-receive, update, reference-transaction" },
	{ 'f', 1, "force", NULL, "replace a hook that policy-check did not install, instead of keeping it" },
	CMD_OPTS_END
};

const cmd_spec cmd_install_spec = {
	"install",
	"install [--policy FILE] [--hook NAME]... [--force] BARE_REPO...",
	"install the hooks into bare repositories",
	install_opts, NULL
};

int cmd_install(int argc, char **argv)
{
	cmd_where where = CMD_WHERE_INIT;
	cmd_parser p;
	const char *policy_path, *hooks[8];
	char dir[PATH_MAX], policy_abs[PATH_MAX];
	size_t nhooks = 0, i, j;
	int force = 0, c, r = 0, known;
	pc_policy *policy = NULL;
	git_repository *repo = NULL;

	cmd_parse_init(&p, &cmd_install_spec, argc, argv);
	while ((c = cmd_parse_next(&p)) != -1) {
		switch (c) {
		case OPT_POLICY: where.policy = optarg; break;
		case 'f': force = 1; break;
		case OPT_HOOK:
			for (known = 0, j = 0; j < PC_ARRAY_SIZE(known_hooks); j++)
				known |= !strcmp(optarg, known_hooks[j]);
			if (!known) {
				cmd_error("install: unknown hook '%s' (pre-receive, update, reference-transaction)", optarg);
				return 2;
			}
			if (nhooks < PC_ARRAY_SIZE(hooks))
				hooks[nhooks++] = optarg;
			break;
		}
	}
	if (optind >= argc)
		cmd_usage_error("name at least one BARE_REPO");
	policy_path = where.policy;
	if (!nhooks) {
		hooks[nhooks++] = "pre-receive";
		hooks[nhooks++] = "reference-transaction";
	}
	if (policy_path) {
		/* Refuse to install a policy that would reject every push. */
		if (pc_session_load_policy(&policy, policy_path, stderr, NULL) < 0) {
			cmd_error("install: %s is invalid; fix it first (policy-check lint)", policy_path);
			return 2;
		}
		pc_policy_free(policy);
		if (!realpath(policy_path, policy_abs)) {
			cmd_error("install: %s: %s", policy_path, strerror(errno));
			return 2;
		}
	}
	hook_dir(dir, sizeof(dir));
	for (i = optind; i < (size_t)argc; i++) {
		if (git_repository_open_bare(&repo, argv[i]) < 0) {
			cmd_error("install: %s is not a bare git repository", argv[i]);
			r = 2;
			continue;
		}
		if (!git_repository_is_bare(repo)) {
			cmd_error("install: %s is not a bare repository", argv[i]);
			r = 2;
		} else {
			int failed = 0;

			/*
			 * Adoption (no hook of ours yet): the refs made before the hooks
			 * get their baseline first, or the hooks are not installed.  A
			 * reinstall writes none: that would explain away a bypass.
			 */
			if (!has_our_hooks(argv[i]) &&
			    write_baseline(repo, argv[i], policy_path ? policy_abs : NULL) < 0) {
				r = 2;
				git_repository_free(repo);
				repo = NULL;
				continue;
			}
			for (j = 0; j < nhooks; j++)
				if (install_hook(argv[i], hooks[j], dir, force) < 0)
					failed = 1;
			/* Each repository gets its configuration whatever happened to the others. */
			if (!failed && set_config(repo, policy_path ? policy_abs : NULL) < 0)
				failed = 1;
			if (!failed && publish(repo, argv[i], policy_path ? policy_abs : NULL) < 0)
				failed = 1;
			if (failed)
				r = 2;
		}
		git_repository_free(repo);
		repo = NULL;
	}
	return r;
}
