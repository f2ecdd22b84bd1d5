/*
 * cmd-install.c: policy-check install, which puts the hook programs into
 * bare repositories.
 *
 * Each hook is a two-line sh script that execs the installed hook program,
 * marked so that install can tell its own hooks from an administrator's
 * and never overwrite a foreign hook without --force.
 */
#include "config.h"
#include "cmd.h"
#include "session.h"
#include "policy.h"
#include "publish.h"
#include "repo.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
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

static int install_hook(const char *repo, const char *name, const char *dir, int force)
{
	char path[PATH_MAX], tmp[PATH_MAX + 16], program[PATH_MAX + 64];
	struct stat st;
	FILE *fp;

	snprintf(program, sizeof(program), "%s/%s", dir, name);
	if (access(program, X_OK) < 0) {
		cmd_error("install: hook program %s is missing; build and install policy-check first", program);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/hooks/%s", repo, name);
	if (lstat(path, &st) == 0 && !is_ours(path) && !force) {
		cmd_error("install: %s exists and was not installed by policy-check; "
			"move it away (or chain it yourself) or use --force", path);
		return -1;
	}
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
	{ 'f', 1, "force", NULL, "replace a hook that policy-check did not install" },
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
