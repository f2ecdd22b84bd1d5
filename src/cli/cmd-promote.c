/*
 * cmd-promote.c: policy-check promote, the daily step of each strategy
 * made in a clone of the server repository.
 *
 * Pattern1/2: a fast-forward of TARGET to the branch below (or the work
 * branch --from), else the merge git makes (git merge-tree, git
 * fmt-merge-msg, git commit-tree).  Pattern3: the trunk with TARGET's
 * overlay set to the image values the previous environment runs (or to
 * the --rollback value), committed on a work branch that is pushed first,
 * so that approvers can fetch the commit, then pushed to the trunk.
 *
 * Git runs as a subprocess with an argv array (never a shell); the values
 * come from the repository.  Before pushing, the push is judged locally as
 * `policy-check check` would; the server decides.
 */
#include "cmd.h"
#include "buf.h"
#include "kustomize-edit.h"
#include "policy.h"
#include "repo.h"
#include "session.h"

#include <ctype.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define GIT_ARGS_MAX 24
#define GIT_OUT_MAX (1024 * 1024)

typedef struct promote {
	const char *dir, *remote, *as, *from, *rollback, *target;
	int dry_run;
	git_repository *repo;
	pc_policy *policy;
	/* the plan */
	char old_hex[PC_HEX_MAX], new_hex[PC_HEX_MAX];
	char *target_ref;		/* refs/heads/TARGET, or the trunk's */
	char *work_ref;			/* refs/heads/... pushed first, or NULL */
	char work_old_hex[PC_HEX_MAX];	/* its value at the remote (zeros: new) */
	const char *what;		/* "fast-forward", "merge", ... for the plan */
} promote;

/*
 * Run `git -C DIR ARGS...` (NULL-terminated), with `input` (may be NULL) on
 * its standard input and, when `out` is given, its standard output in
 * *out (trailing newlines removed).  Returns git's exit status, -1 when it
 * could not run.
 */
static int git(promote *p, char **out, const char *input, ...)
{
	char *argv[GIT_ARGS_MAX + 4];
	int in[2] = { -1, -1 }, o[2] = { -1, -1 }, status, n = 0;
	pc_buf b = PC_BUF_INIT;
	char chunk[4096];
	ssize_t got;
	va_list ap;
	pid_t pid;

	argv[n++] = "git";
	argv[n++] = "-C";
	argv[n++] = (char *)p->dir;
	va_start(ap, input);
	while (n < GIT_ARGS_MAX && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	if (out)
		*out = NULL;
	if (pipe(in) < 0 || (out && pipe(o) < 0))
		goto fail;
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0)
		goto fail;
	if (pid == 0) {
		dup2(in[0], 0);
		if (out)
			dup2(o[1], 1);
		else
			dup2(2, 1);	/* our stdout is the report; git's chatter goes to stderr */
		close(in[0]);
		close(in[1]);
		if (out) {
			close(o[0]);
			close(o[1]);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "policy-check: cannot run git\n");
		_exit(127);
	}
	close(in[0]);
	in[0] = -1;
	/* inputs are a few lines: they fit in the pipe before git reads */
	if (input)
		(void)pc_write_all(in[1], input, strlen(input));	/* git reports a short input */
	close(in[1]);
	in[1] = -1;
	if (out) {
		close(o[1]);
		o[1] = -1;
		while ((got = read(o[0], chunk, sizeof(chunk))) > 0)
			if (b.len + (size_t)got <= GIT_OUT_MAX)
				pc_buf_put(&b, chunk, (size_t)got);
		close(o[0]);
		o[0] = -1;
	}
	if (waitpid(pid, &status, 0) < 0)
		goto fail;
	if (out) {
		while (b.len && b.ptr[b.len - 1] == '\n')
			pc_buf_truncate(&b, b.len - 1);
		if (pc_buf_error(&b) || !(*out = pc_buf_detach(&b)))
			return -1;
	}
	pc_buf_release(&b);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
fail:
	if (in[0] >= 0) close(in[0]);
	if (in[1] >= 0) close(in[1]);
	if (o[0] >= 0) close(o[0]);
	if (o[1] >= 0) close(o[1]);
	pc_buf_release(&b);
	return -1;
}

/* The commit `name` resolves to, in hex; -1 when it does not. */
static int resolve(promote *p, char hex[PC_HEX_MAX], const char *name)
{
	git_object *obj = NULL, *commit = NULL;
	int r = -1;

	if (git_revparse_single(&obj, p->repo, name) == 0 &&
	    git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) == 0) {
		git_oid_tostr(hex, PC_HEX_MAX, git_object_id(commit));
		r = 0;
	}
	git_error_clear();
	git_object_free(commit);
	git_object_free(obj);
	return r;
}

/* 1 when commit `a` is `b` or one of its ancestors. */
static int is_ancestor(promote *p, const char *a, const char *b)
{
	git_oid ia, ib;

	if (git_oid_fromstr(&ia, a) < 0 || git_oid_fromstr(&ib, b) < 0)
		return 0;
	return git_oid_equal(&ia, &ib) || git_graph_descendant_of(p->repo, &ib, &ia) == 1;
}

static int has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* "refs/heads/x" or "x" -> "x". */
static const char *short_branch(const char *name)
{
	return strncmp(name, "refs/heads/", 11) ? name : name + 11;
}

static void remove_tree(const char *dir);
static char *work_branch_name(const pc_policy *pol, const char *leaf);

/*
 * Pattern1/2 --rollback COMMIT: TARGET's tree set back to COMMIT's (a
 * commit on TARGET's history) by `git revert` of each commit it brought
 * since, newest first, in a temporary worktree: every one is a clean
 * revert, which the engine accepts without a promotion path.  Merges are
 * left out (they bring nothing of their own when clean); when the result
 * is not COMMIT's tree, nothing is made.
 */
static int plan_revert(promote *p)
{
	char rb_hex[PC_HEX_MAX], *list = NULL, *tmp = NULL, *wt = NULL, *head = NULL, *t1 = NULL;
	char *t2 = NULL, *rref = NULL, whex[PC_HEX_MAX], range[2 * PC_HEX_MAX + 4];
	const char *dir = p->dir, *at;
	int r = 2, added = 0;

	if (resolve(p, rb_hex, p->rollback) < 0) {
		cmd_error("promote: '%s' is not a commit here; name a commit %s pointed at before", p->rollback,
			p->target);
		return 2;
	}
	if (!strcmp(rb_hex, p->old_hex)) {
		printf("%s is at %.7s already; nothing to roll back\n", p->target, rb_hex);
		return 0;
	}
	if (!is_ancestor(p, rb_hex, p->old_hex)) {
		cmd_error("promote: %.7s is not on %s's history at %s; name a commit %s pointed at before",
			rb_hex, p->target, p->remote, p->target);
		return 2;
	}
	{
		char leaf[128];

		snprintf(leaf, sizeof(leaf), "rollback-%s-%.7s", p->target, rb_hex);
		if (!(p->work_ref = work_branch_name(p->policy, leaf)))
			goto done;
	}
	memset(p->work_old_hex, '0', GIT_OID_HEXSZ);
	p->work_old_hex[GIT_OID_HEXSZ] = '\0';
	if (!(rref = pc_asprintf("refs/remotes/%s/%s", p->remote, short_branch(p->work_ref))))
		goto done;
	if (resolve(p, whex, rref) == 0) {
		memcpy(p->work_old_hex, whex, sizeof(whex));
		snprintf(range, sizeof(range), "%s^{tree}", whex);
		git(p, &t1, NULL, "rev-parse", range, NULL);
		snprintf(range, sizeof(range), "%s^{tree}", rb_hex);
		git(p, &t2, NULL, "rev-parse", range, NULL);
		if (t1 && t2 && !strcmp(t1, t2) && is_ancestor(p, p->old_hex, whex)) {
			memcpy(p->new_hex, whex, sizeof(whex));
			printf("reusing %s (%.7s): it makes this rollback on %s\n", short_branch(p->work_ref),
				whex, p->target);
			p->what = "rollback by git revert";
			r = -1;
			goto done;
		}
		free(t1);
		free(t2);
		t1 = t2 = NULL;
	}
	snprintf(range, sizeof(range), "%s..%s", rb_hex, p->old_hex);
	if (git(p, &list, NULL, "rev-list", "--no-merges", "--topo-order", range, NULL) != 0 || !list) {
		cmd_error("promote: git rev-list %s failed", range);
		goto done;
	}
	{
		const char *t = getenv("TMPDIR");

		if (!(tmp = pc_asprintf("%s/policy-check-revert.XXXXXX", t && *t ? t : "/tmp")) || !mkdtemp(tmp)) {
			cmd_error("promote: cannot make a temporary directory; set TMPDIR to a writable one");
			goto done;
		}
	}
	if (!(wt = pc_asprintf("%s/wt", tmp)) ||
	    git(p, NULL, NULL, "worktree", "add", "-q", "--detach", wt, p->old_hex, NULL) != 0) {
		cmd_error("promote: git worktree add failed");
		goto done;
	}
	added = 1;
	p->dir = wt;
	for (at = list; *at; ) {
		char id[PC_HEX_MAX];
		size_t n = strcspn(at, "\n");

		if (n != GIT_OID_HEXSZ)
			break;
		memcpy(id, at, n);
		id[n] = '\0';
		if (git(p, NULL, NULL, "revert", "--no-edit", id, NULL) != 0) {
			git(p, NULL, NULL, "revert", "--abort", NULL);
			cmd_error("promote: git revert %.7s does not apply cleanly on the ones after it; "
				"revert by hand on a work branch and promote it with --from", id);
			r = 1;
			goto done;
		}
		at += n;
		while (*at == '\n')
			at++;
	}
	if (git(p, &head, NULL, "rev-parse", "HEAD", NULL) != 0 || !head || strlen(head) != GIT_OID_HEXSZ ||
	    git(p, &t1, NULL, "rev-parse", "HEAD^{tree}", NULL) != 0)
		goto done;
	p->dir = dir;
	snprintf(range, sizeof(range), "%s^{tree}", rb_hex);
	if (git(p, &t2, NULL, "rev-parse", range, NULL) != 0 || !t1 || !t2 || strcmp(t1, t2)) {
		cmd_error("promote: reverting the commits since %.7s does not give its tree (a merge there "
			"brought changes of its own); revert by hand on a work branch and promote it with --from",
			rb_hex);
		r = 1;
		goto done;
	}
	snprintf(p->new_hex, sizeof(p->new_hex), "%s", head);
	p->what = "rollback by git revert";
	printf("rollback of %s to %.7s: %s\n", p->target, rb_hex, "git revert of each commit since, newest first");
	r = -1;
done:
	p->dir = dir;
	if (added)
		git(p, NULL, NULL, "worktree", "remove", "--force", wt, NULL);
	remove_tree(tmp);
	free(tmp);
	free(wt);
	free(list);
	free(head);
	free(t1);
	free(t2);
	free(rref);
	return r;
}

/*
 * git's merge message for the fetch-head line `in`, as `git merge` on
 * p->target writes it.  fmt-merge-msg drops a parent HEAD already has, so
 * it runs in a temporary worktree (no checkout) whose HEAD is p->old_hex,
 * not in the clone, whose HEAD may be any branch (one that has SRC).
 */
static int merge_message(promote *p, char **msg, const char *in)
{
	const char *dir = p->dir, *t = getenv("TMPDIR");
	char *tmp = NULL, *wt = NULL;
	int added = 0, r = -1;

	if (!(tmp = pc_asprintf("%s/policy-check-merge.XXXXXX", t && *t ? t : "/tmp")) || !mkdtemp(tmp)) {
		cmd_error("promote: cannot make a temporary directory; set TMPDIR to a writable one");
		goto done;
	}
	if (!(wt = pc_asprintf("%s/wt", tmp)) ||
	    git(p, NULL, NULL, "worktree", "add", "-q", "--detach", "--no-checkout", wt, p->old_hex, NULL) != 0) {
		cmd_error("promote: git worktree add failed");
		goto done;
	}
	added = 1;
	p->dir = wt;
	if (git(p, msg, in, "fmt-merge-msg", "--into-name", p->target, NULL) != 0 || !*msg || !**msg) {
		cmd_error("promote: git fmt-merge-msg failed");
		goto done;
	}
	r = 0;
done:
	p->dir = dir;
	if (added)
		git(p, NULL, NULL, "worktree", "remove", "--force", wt, NULL);
	remove_tree(tmp);
	free(tmp);
	free(wt);
	return r;
}

/*
 * Pattern1/2: TARGET becomes the source branch: a fast-forward when TARGET
 * is behind it, else git's merge.  A work branch that exists locally is
 * pushed first (so that approvers can fetch it).
 */
static int plan_branch(promote *p)
{
	const pc_branch *b = pc_policy_branch(p->policy, p->target);
	char src_hex[PC_HEX_MAX], remote_ref[600], *tree = NULL, *msg = NULL, *in = NULL;
	const char *src = p->from;
	int r = 2, st;

	if (!src) {
		if (b->from.n == 1 && !has_glob(b->from.items[0]))
			src = b->from.items[0];
		else {
			cmd_error("promote: %s takes changes from more than one branch; name one with --from BRANCH",
				p->target);
			return 2;
		}
	}
	src = short_branch(src);
	snprintf(remote_ref, sizeof(remote_ref), "refs/remotes/%s/%s", p->remote, src);
	if (pc_policy_is_work_branch(p->policy, src) && !pc_policy_branch(p->policy, src)) {
		char local[600];

		snprintf(local, sizeof(local), "refs/heads/%s", src);
		if (resolve(p, src_hex, local) == 0) {
			if (!(p->work_ref = pc_strdup(local)))
				return 2;
			if (resolve(p, p->work_old_hex, remote_ref) < 0)
				memset(p->work_old_hex, '0', GIT_OID_HEXSZ), p->work_old_hex[GIT_OID_HEXSZ] = '\0';
			if (!strcmp(p->work_old_hex, src_hex)) {
				free(p->work_ref);
				p->work_ref = NULL;
			}
		} else if (resolve(p, src_hex, remote_ref) < 0) {
			cmd_error("promote: there is no branch %s here or at %s; create it or fetch it first", src, p->remote);
			return 2;
		}
	} else if (resolve(p, src_hex, remote_ref) < 0) {
		cmd_error("promote: %s has no branch %s; push it first, or name another with --from", p->remote, src);
		return 2;
	}
	if (is_ancestor(p, src_hex, p->old_hex)) {
		printf("%s already has everything of %s (%.7s); nothing to promote\n", p->target, src, src_hex);
		return 0;
	}
	if (is_ancestor(p, p->old_hex, src_hex)) {
		memcpy(p->new_hex, src_hex, sizeof(p->new_hex));
		p->what = "fast-forward";
		return -1;	/* go on */
	}
	st = git(p, &tree, NULL, "merge-tree", "--write-tree", "--no-messages", p->old_hex, src_hex, NULL);
	if (st == 1) {
		cmd_error("promote: %s does not merge cleanly into %s; merge %s into a work branch from %s, "
			"resolve the conflicts there, and promote that branch with --from", src, p->target,
			src, p->target);
		r = 1;
		goto done;
	}
	if (st != 0 || !tree || strlen(tree) != GIT_OID_HEXSZ) {
		cmd_error("promote: git merge-tree failed; git 2.38 or later is needed");
		goto done;
	}
	/* git's own message, as `git merge SRC` on branch TARGET writes it */
	if (!(in = pc_asprintf("%s\t\tbranch '%s' of .\n", src_hex, src)) ||
	    merge_message(p, &msg, in) < 0)
		goto done;
	{
		char *id = NULL, *body = pc_asprintf("%s\n", msg);

		if (!body)
			goto done;
		/* made in a dry run too: an object, no ref, so that the plan can be judged */
		st = git(p, &id, body, "commit-tree", tree, "-p", p->old_hex, "-p", src_hex, "-F", "-", NULL);
		free(body);
		if (st != 0 || !id || strlen(id) != GIT_OID_HEXSZ) {
			cmd_error("promote: git commit-tree failed; set user.name and user.email");
			free(id);
			goto done;
		}
		snprintf(p->new_hex, sizeof(p->new_hex), "%s", id);
		free(id);
	}
	p->what = "merge";
	printf("%s: %s\n", p->what, msg);
	r = -1;
done:
	free(tree);
	free(msg);
	free(in);
	return r;
}

/* ---- Pattern3: the overlay's images ---- */

static const pc_kimage *find_image(const pc_kustomization *k, const char *name)
{
	size_t i;

	for (i = 0; k && i < k->nimages; i++)
		if (!strcmp(k->images[i].name, name))
			return &k->images[i];
	return NULL;
}

static int set_str(char **dst, const char *src)
{
	char *d = src ? pc_strdup(src) : NULL;

	if (src && !d)
		return -1;
	free(*dst);
	*dst = d;
	return 0;
}

/* The kustomization of `env` at commit `hex`: its path, text and parse. */
static int read_overlay(promote *p, char **path, char **text, pc_kustomization **k,
	const pc_environment *env, const char *hex)
{
	pc_error err = PC_ERROR_INIT;
	git_oid id;
	size_t i, len;
	int r;

	*path = NULL;
	*text = NULL;
	*k = NULL;
	if (git_oid_fromstr(&id, hex) < 0)
		return -1;
	for (i = 0; i < sizeof(pc_kustomization_names) / sizeof(pc_kustomization_names[0]); i++) {
		free(*path);
		if (!(*path = pc_asprintf("%s%s", env->path, pc_kustomization_names[i])))
			return -1;
		r = pc_repo_read_file(text, &len, NULL, p->repo, &id, *path, 1024 * 1024, &err);
		if (r == PC_ENOTFOUND)
			continue;
		if (r < 0) {
			cmd_error("promote: %s", err.msg);
			return -1;
		}
		if (pc_kustomization_parse(k, *path, *text, len, &err) < 0) {
			cmd_error("promote: %s; fix it on a work branch first", err.msg);
			return -1;
		}
		return 0;
	}
	cmd_error("promote: commit %.7s has no kustomization in %s", hex, env->path);
	return -1;
}

/* [a-z0-9._-] of s, at most 60 characters, for a branch name. */
static void slug(char *out, size_t size, const char *s)
{
	size_t o = 0;

	for (; *s && o + 1 < size && o < 60; s++) {
		char c = (char)tolower((unsigned char)*s);

		if (c == '.' && (!o || out[o - 1] == '.'))
			c = '-';	/* no ".." and no leading dot in a ref name */
		if (!isalnum((unsigned char)c) && c != '.' && c != '_')
			c = '-';
		if (c != '-' || !o || out[o - 1] != '-')
			out[o++] = c;
	}
	if (o && out[o - 1] == '.')
		out[o - 1] = '-';
	out[o] = '\0';
}

/*
 * The work branch refs/heads/X/LEAF for the first work_branches glob X
 * plus slash-star (else feature/LEAF), with LEAF cut to a branch-safe slug.
 */
static char *work_branch_name(const pc_policy *pol, const char *leaf)
{
	char v[64];
	size_t i;

	slug(v, sizeof(v), leaf);
	for (i = 0; i < pol->work_branches.n; i++) {
		const char *g = pol->work_branches.items[i];
		size_t len = strlen(g);

		if (len > 2 && !strcmp(g + len - 2, "/*") && strpbrk(g, "*?[") == g + len - 1)
			return pc_asprintf("refs/heads/%.*s/%s", (int)(len - 2), g, v);
	}
	return pc_asprintf("refs/heads/feature/%s", v);
}

static int is_hex_commitish(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");

	return n >= 7 && !s[n];
}

/*
 * Pattern3: the trunk with TARGET's overlay images set to what the
 * previous environment runs (or to the rollback value), committed on a
 * work branch.  An existing work branch with that very change on the
 * current trunk is reused, so that approvals given for it still count.
 */
static int plan_overlay(promote *p)
{
	const pc_environment *env = pc_policy_environment(p->policy, p->target), *prev = NULL;
	char *path = NULL, *text = NULL, *ppath = NULL, *ptext = NULL, *newtext = NULL;
	char *msg = NULL, *id = NULL, value[PC_HEX_MAX + 80] = "", rb_hex[PC_HEX_MAX];
	pc_kustomization *k = NULL, *pk = NULL;
	pc_kimage *imgs = NULL;
	pc_buf summary = PC_BUF_INIT;
	git_oid base_id, blob_id, tree_id;
	git_commit *base = NULL;
	git_tree *base_tree = NULL;
	git_tree_update upd;
	pc_error err = PC_ERROR_INIT;
	size_t i;
	int r = 2, changed = 0;

	if (read_overlay(p, &path, &text, &k, env, p->old_hex) < 0)
		goto done;
	if (!k->nimages) {
		cmd_error("promote: %s has no images to set; add them on a work branch", path);
		goto done;
	}
	if (!(imgs = pc_calloc(k->nimages, sizeof(*imgs))))
		goto done;
	for (i = 0; i < k->nimages; i++)
		if (set_str(&imgs[i].name, k->images[i].name) < 0 ||
		    set_str(&imgs[i].new_name, k->images[i].new_name) < 0 ||
		    set_str(&imgs[i].new_tag, k->images[i].new_tag) < 0 ||
		    set_str(&imgs[i].digest, k->images[i].digest) < 0)
			goto done;
	if (p->rollback && is_hex_commitish(p->rollback) && resolve(p, rb_hex, p->rollback) == 0) {
		/* the overlay's values at that commit */
		if (read_overlay(p, &ppath, &ptext, &pk, env, rb_hex) < 0)
			goto done;
		snprintf(value, sizeof(value), "%.7s", rb_hex);
	} else if (p->rollback) {
		int digest = !strncmp(p->rollback, "sha256:", 7);

		if (k->nimages != 1) {
			cmd_error("promote: %s has %zu images; roll back to a commit whose %s values to restore",
				path, k->nimages, env->path);
			goto done;
		}
		if (set_str(digest ? &imgs[0].digest : &imgs[0].new_tag, p->rollback) < 0 ||
		    set_str(digest ? &imgs[0].new_tag : &imgs[0].digest, NULL) < 0)
			goto done;
		snprintf(value, sizeof(value), "%s", digest ? p->rollback + 7 : p->rollback);
		changed = 1;
	} else {
		if (!(prev = pc_policy_environment(p->policy, env->after))) {
			cmd_error("promote: %s's after: %s is no environment; fix the policy", env->name, env->after);
			goto done;
		}
		if (read_overlay(p, &ppath, &ptext, &pk, prev, p->old_hex) < 0)
			goto done;
	}
	for (i = 0; pk && i < k->nimages; i++) {
		const pc_kimage *src = find_image(pk, imgs[i].name);

		if (!src)
			continue;
		if (set_str(&imgs[i].new_name, src->new_name) < 0 || set_str(&imgs[i].new_tag, src->new_tag) < 0 ||
		    set_str(&imgs[i].digest, src->digest) < 0)
			goto done;
		changed = 1;
		if (!*value)
			snprintf(value, sizeof(value), "%s", src->new_tag ? src->new_tag :
				src->digest ? (strncmp(src->digest, "sha256:", 7) ? src->digest : src->digest + 7) :
				src->new_name ? src->new_name : src->name);
	}
	if (!changed) {
		cmd_error("promote: %s and %s share no image name; nothing to promote", path, ppath);
		goto done;
	}
	if (pc_kustomization_set_images(&newtext, path, text, imgs, k->nimages, &err) < 0) {
		cmd_error("promote: %s", err.msg);
		goto done;
	}
	if (!strcmp(newtext, text)) {
		printf("%s already runs %s; nothing to promote\n", env->name,
			p->rollback ? p->rollback : prev->name);
		r = 0;
		goto done;
	}
	for (i = 0; i < k->nimages; i++) {
		pc_buf_printf(&summary, "%s%s", i ? ", " : "", imgs[i].name);
		if (imgs[i].new_tag)
			pc_buf_printf(&summary, ":%s", imgs[i].new_tag);
		if (imgs[i].digest)
			pc_buf_printf(&summary, "@%s", imgs[i].digest);
	}
	if (pc_buf_error(&summary))
		goto done;
	/* the commit: the trunk's tree with one blob replaced */
	if (git_oid_fromstr(&base_id, p->old_hex) < 0 ||
	    git_commit_lookup(&base, p->repo, &base_id) < 0 || git_commit_tree(&base_tree, base) < 0 ||
	    git_blob_create_from_buffer(&blob_id, p->repo, newtext, strlen(newtext)) < 0) {
		cmd_error("promote: %s", git_error_last() ? git_error_last()->message : "cannot write the blob");
		goto done;
	}
	memset(&upd, 0, sizeof(upd));
	upd.action = GIT_TREE_UPDATE_UPSERT;
	upd.id = blob_id;
	upd.filemode = GIT_FILEMODE_BLOB;
	upd.path = path;
	{
		git_tree_entry *old = NULL;

		if (git_tree_entry_bypath(&old, base_tree, path) == 0) {
			upd.filemode = git_tree_entry_filemode(old);
			git_tree_entry_free(old);
		}
		git_error_clear();
	}
	if (upd.filemode != GIT_FILEMODE_BLOB && upd.filemode != GIT_FILEMODE_BLOB_EXECUTABLE) {
		cmd_error("promote: %s is not a regular file; change it by hand", path);
		goto done;
	}
	if (git_tree_create_updated(&tree_id, p->repo, base_tree, 1, &upd) < 0) {
		cmd_error("promote: %s", git_error_last() ? git_error_last()->message : "cannot write the tree");
		goto done;
	}
	{
		char leaf[160];

		snprintf(leaf, sizeof(leaf), "promote-%s-%s", env->name, value);
		if (!(p->work_ref = work_branch_name(p->policy, leaf)))
			goto done;
	}
	/* reuse the work branch when it holds this very change on this trunk */
	{
		char rref[700], whex[PC_HEX_MAX];
		git_oid wid;
		git_commit *wc = NULL;

		snprintf(rref, sizeof(rref), "refs/remotes/%s/%s", p->remote, short_branch(p->work_ref));
		memset(p->work_old_hex, '0', GIT_OID_HEXSZ);
		p->work_old_hex[GIT_OID_HEXSZ] = '\0';
		if (resolve(p, whex, rref) == 0) {
			memcpy(p->work_old_hex, whex, sizeof(whex));
			if (git_oid_fromstr(&wid, whex) == 0 && git_commit_lookup(&wc, p->repo, &wid) == 0 &&
			    git_commit_parentcount(wc) == 1 && git_oid_equal(git_commit_parent_id(wc, 0), &base_id) &&
			    git_oid_equal(git_commit_tree_id(wc), &tree_id)) {
				memcpy(p->new_hex, whex, sizeof(whex));
				printf("reusing %s (%.7s): it makes this change on %s\n",
					short_branch(p->work_ref), whex, p->policy->trunk);
			}
			git_commit_free(wc);
			git_error_clear();
		}
	}
	if (!p->new_hex[0]) {
		char tree_hex[PC_HEX_MAX];

		git_oid_tostr(tree_hex, sizeof(tree_hex), &tree_id);
		if (p->rollback)
			msg = pc_asprintf("chore(%s): roll back to %s\n\nSets %s in %s.\n", env->name,
				p->rollback, summary.ptr, path);
		else
			msg = pc_asprintf("chore(%s): promote %s from %s\n\nSets %s to what %s runs.\n", env->name,
				value, prev->name, path, prev->name);
		if (!msg)
			goto done;
		if (git(p, &id, msg, "commit-tree", tree_hex, "-p", p->old_hex, "-F", "-", NULL) != 0 ||
		    !id || strlen(id) != GIT_OID_HEXSZ) {
			cmd_error("promote: git commit-tree failed; set user.name and user.email");
			goto done;
		}
		snprintf(p->new_hex, sizeof(p->new_hex), "%s", id);
	}
	p->what = p->rollback ? "rollback" : "promotion";
	printf("%s of %s: %s\n", p->what, env->name, summary.ptr);
	r = -1;
done:
	free(path);
	free(text);
	free(ppath);
	free(ptext);
	free(newtext);
	free(msg);
	free(id);
	if (imgs)
		for (i = 0; k && i < k->nimages; i++) {
			free(imgs[i].name);
			free(imgs[i].new_name);
			free(imgs[i].new_tag);
			free(imgs[i].digest);
		}
	free(imgs);
	pc_kustomization_free(k);
	pc_kustomization_free(pk);
	pc_buf_release(&summary);
	git_tree_free(base_tree);
	git_commit_free(base);
	return r;
}

/* The arguments against the policy, before anything is fetched: 0, or 2 with a message. */
static int validate(promote *p)
{
	const pc_environment *env;
	size_t i;

	if (p->policy->strategy != PC_STRATEGY_PATTERN3) {
		if (!pc_policy_branch(p->policy, p->target)) {
			cmd_error("promote: %s is not a protected branch of the policy; name one of its branches",
				p->target);
			return 2;
		}
		if (p->rollback && p->from) {
			cmd_error("promote: --rollback and --from do not go together; a rollback takes nothing from another branch");
			return 2;
		}
		return 0;
	}
	if (!strcmp(p->target, p->policy->trunk)) {
		cmd_error("promote: in pattern3 promote names an environment, not the trunk %s", p->target);
		return 2;
	}
	env = pc_policy_environment(p->policy, p->target);
	if (!env) {
		pc_buf names = PC_BUF_INIT;

		for (i = 0; i < p->policy->nenvironments; i++)
			pc_buf_printf(&names, "%s%s", i ? ", " : "", p->policy->environments[i].name);
		cmd_error("promote: %s is not an environment of the policy; name one of: %s", p->target,
			names.len ? names.ptr : "(none)");
		pc_buf_release(&names);
		return 2;
	}
	if (p->from) {
		cmd_error("promote: --from is for branch strategies; in pattern3 %s takes what %s runs",
			p->target, env->after ? env->after : "its own overlay");
		return 2;
	}
	if (!env->after && !p->rollback) {
		cmd_error("promote: %s is the first environment (no after:); change %s on a work branch, "
			"or roll it back with --rollback", env->name, env->path);
		return 2;
	}
	return 0;
}

/* ---- judging and pushing ---- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_tree(const char *dir)
{
	if (dir)
		nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Copy the refs under `from` (a glob prefix ending in '/') as `to` + the rest. */
static int copy_refs(git_repository *view, git_repository *repo, const char *from, const char *to)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL, *made = NULL;
	char *glob = pc_asprintf("%s*", from), *name = NULL;
	int r = -1, e;

	if (!glob || git_reference_iterator_glob_new(&it, repo, glob) < 0)
		goto done;
	while ((e = git_reference_next(&ref, it)) == 0) {
		const char *rest = git_reference_name(ref) + strlen(from);

		if (git_reference_type(ref) == GIT_REFERENCE_DIRECT && strcmp(rest, "HEAD")) {
			if (!(name = pc_asprintf("%s%s", to, rest)) ||
			    git_reference_create(&made, view, name, git_reference_target(ref), 1, NULL) < 0)
				goto done;
			git_reference_free(made);
			made = NULL;
			free(name);
			name = NULL;
		}
		git_reference_free(ref);
		ref = NULL;
	}
	r = e == GIT_ITEROVER ? 0 : -1;
done:
	git_reference_free(ref);
	git_reference_iterator_free(it);
	free(name);
	free(glob);
	return r;
}

/*
 * The repository as the server has it, for judging: a temporary bare
 * repository that borrows the clone's objects, whose branches are the
 * remote-tracking branches and whose approvals and tags are the clone's
 * (just fetched).  Only the server's first-pusher index is missing.
 */
static int server_view(git_repository **out, char **tmpdir, promote *p)
{
	const char *tmp = getenv("TMPDIR");
	char *objects = NULL, *from = NULL;
	git_repository *view = NULL;
	git_odb *odb = NULL;
	int r = -1;

	*out = NULL;
	if (!(*tmpdir = pc_asprintf("%s/policy-check-promote.XXXXXX", tmp && *tmp ? tmp : "/tmp")) ||
	    !mkdtemp(*tmpdir)) {
		cmd_error("promote: cannot make a temporary directory; set TMPDIR to a writable one");
		free(*tmpdir);
		*tmpdir = NULL;
		return -1;
	}
	if (!(objects = pc_asprintf("%sobjects", git_repository_commondir(p->repo))) ||
	    !(from = pc_asprintf("refs/remotes/%s/", p->remote)))
		goto done;
	if (git_repository_init(&view, *tmpdir, 1) < 0 || git_repository_odb(&odb, view) < 0 ||
	    git_odb_add_disk_alternate(odb, objects) < 0 ||
	    copy_refs(view, p->repo, from, "refs/heads/") < 0 ||
	    copy_refs(view, p->repo, "refs/approvals/", "refs/approvals/") < 0 ||
	    copy_refs(view, p->repo, "refs/tags/", "refs/tags/") < 0) {
		cmd_error("promote: cannot build the server's view in %s: %s", *tmpdir,
			git_error_last() ? git_error_last()->message : "out of memory");
		goto done;
	}
	*out = view;
	view = NULL;	/* transferred */
	r = 0;
done:
	git_odb_free(odb);
	git_repository_free(view);
	free(objects);
	free(from);
	return r;
}

/*
 * On a workstation the server's identity variable is seldom set: the
 * policy user whose email is git's user.email stands in for it.
 */
static void who_am_i(promote *p, pc_session *s)
{
	git_config *cfg = NULL;
	git_buf email = { 0 };
	const pc_user *u;

	if (git_repository_config(&cfg, p->repo) == 0 &&
	    git_config_get_string_buf(&email, cfg, "user.email") == 0 &&
	    (u = pc_policy_user_by_email(p->policy, email.ptr))) {
		s->pusher = u->name;
		s->identity = "user.email";
	}
	git_error_clear();
	git_buf_dispose(&email);
	git_config_free(cfg);
}

/* 1 when the verdicts reject only for approvals: what pushing the work branch lets people give. */
static int only_approvals_missing(const pc_session *s)
{
	size_t i, j;

	for (i = 0; i < s->nverdicts; i++)
		for (j = 0; !s->verdicts[i].accept && j < s->verdicts[i].nreasons; j++)
			if (strcmp(s->verdicts[i].reasons[j].rule, "approval"))
				return 0;
	return 1;
}

/*
 * Judge the plan as the server would (`policy-check check`): the work
 * branch and the target, each on its own.  Fills *s; 1 rejected, 0
 * accepted, -1 when it cannot be judged.
 */
static int judge(promote *p, pc_session *s, char **tmpdir)
{
	pc_error err = PC_ERROR_INIT;

	if (server_view(&s->repo, tmpdir, p) < 0)
		return -1;
	s->policy = p->policy;
	if ((p->work_ref && strcmp(p->work_old_hex, p->new_hex) &&
	     pc_session_add_update(s, p->work_ref, p->work_old_hex, p->new_hex, &err) < 0) ||
	    pc_session_add_update(s, p->target_ref, p->old_hex, p->new_hex, &err) < 0) {
		cmd_error("promote: %s", err.msg);
		return -1;
	}
	pc_session_identify(s, p->as);
	if (!s->pusher)
		who_am_i(p, s);
	if (pc_session_judge(s, 0, &err) < 0) {
		cmd_error("promote: %s", err.msg);
		return -1;
	}
	printf("the server's verdict, judged here:\n");
	pc_session_report(s, stdout);
	return pc_session_rejected(s);
}

/*
 * Bar, as the server does with self_approval false, the users whose
 * e-mails the commits new to the target claim as author or committer
 * (merges bring nothing of their own).  Who first pushed a commit is on
 * the server only; the pusher is barred by the caller.
 */
static void bar_authors(promote *p, pc_strlist *barred)
{
	git_revwalk *walk = NULL;
	git_commit *c = NULL;
	git_oid id, old, tip;
	const pc_user *u;
	size_t n = 0;

	if (p->policy->self_approval || git_oid_fromstr(&tip, p->new_hex) < 0 ||
	    git_oid_fromstr(&old, p->old_hex) < 0 || git_revwalk_new(&walk, p->repo) < 0 ||
	    git_revwalk_push(walk, &tip) < 0 || git_revwalk_hide(walk, &old) < 0)
		goto done;
	while (n++ < p->policy->limits.max_commits && git_revwalk_next(&id, walk) == 0) {
		if (git_commit_lookup(&c, p->repo, &id) < 0)
			break;
		if (git_commit_parentcount(c) < 2) {
			if ((u = pc_policy_user_by_email(p->policy, git_commit_author(c)->email)) &&
			    !pc_strlist_has(barred, u->name))
				pc_strlist_add(barred, u->name);
			if ((u = pc_policy_user_by_email(p->policy, git_commit_committer(c)->email)) &&
			    !pc_strlist_has(barred, u->name))
				pc_strlist_add(barred, u->name);
		}
		git_commit_free(c);
		c = NULL;
	}
done:
	git_error_clear();
	git_commit_free(c);
	git_revwalk_free(walk);
}

/*
 * The approvers who may still approve, from the approval reasons of the
 * target's verdict: the users the hint names ("by any of a, b"), less those
 * it says cannot approve, the authors (bar_authors), the pusher, and those
 * who approved already.
 */
static void print_approvers(promote *p, const pc_session *s)
{
	const pc_verdict *v = NULL;
	pc_strlist names = PC_STRLIST_INIT, barred = PC_STRLIST_INIT;
	size_t i;

	for (i = 0; i < s->nverdicts; i++)
		if (!strcmp(s->verdicts[i].ref, p->target_ref))
			v = &s->verdicts[i];
	for (i = 0; v && i < v->nreasons; i++) {
		const char *h = v->reasons[i].hint, *c, *e;

		if (strcmp(v->reasons[i].rule, "approval") || !h)
			continue;
		if ((c = strstr(h, "(by any of ")) || (c = strstr(h, "(by one of "))) {
			c += 11;
			e = strchr(c, ')');
			while (e && c < e) {
				size_t n = strcspn(c, ",)");
				char *u = pc_strndup(c, n);

				if (u && !pc_strlist_has(&names, u))
					pc_strlist_add(&names, u);
				free(u);
				c += n;
				while (*c == ',' || *c == ' ')
					c++;
			}
		}
		for (c = h; (c = strstr(c, "; ")); ) {
			c += 2;
			e = strstr(c, " cannot approve it");
			if (e && (size_t)(e - c) < 128 && !memchr(c, ' ', (size_t)(e - c))) {
				char *u = pc_strndup(c, (size_t)(e - c));

				if (u)
					pc_strlist_add(&barred, u);
				free(u);
			}
		}
	}
	bar_authors(p, &barred);
	if (!names.n) {
		printf("next: ask the approvers the message above names to run\n"
			"  policy-check approve %s --target %s\n", p->new_hex, short_branch(p->target_ref));
	} else {
		printf("next: approvals from these users, as many as each reason above needs; each runs,\n"
			"in a clone with the commit fetched:\n");
		for (i = 0; i < names.n; i++)
			if (!pc_strlist_has(&barred, names.items[i]) &&
			    !pc_verdict_has_approver(v, names.items[i]) &&
			    (!s->pusher || strcmp(s->pusher, names.items[i])))
				printf("  %s: policy-check approve %s --target %s\n", names.items[i], p->new_hex,
					short_branch(p->target_ref));
	}
	/* a merge made again is a new commit, which the approvals do not name */
	printf("then push it again: git push %s %s:%s%s\n", p->remote, p->new_hex, p->target_ref,
		strcmp(p->what, "merge") ? " (or run this promote again)" : "");
	pc_strlist_clear(&names);
	pc_strlist_clear(&barred);
}

static int push(promote *p, const char *ref)
{
	char spec[700];

	snprintf(spec, sizeof(spec), "%s:%s", p->new_hex, ref);
	return git(p, NULL, NULL, "push", p->remote, spec, NULL);
}

enum { OPT_REPO = CMD_LONG_ONLY, OPT_POLICY, OPT_REMOTE, OPT_AS, OPT_FROM, OPT_ROLLBACK, OPT_DRY_RUN };

static const cmd_opt promote_opts[] = {
	{ OPT_REPO, 0, "repo", "DIR", "the clone to work in (default: .)" },
	{ OPT_POLICY, 0, "policy", "FILE", "the server's policy (default: git config policycheck.policy)" },
	{ OPT_REMOTE, 0, "remote", "NAME", "the server's remote (default: origin)" },
	{ OPT_AS, 0, "as", "USER", "judge the push as made by USER (default: the user whose email is user.email)" },
	{ OPT_FROM, 0, "from", "BRANCH", "the branch to promote from (Pattern1: the work branch)" },
	{ OPT_ROLLBACK, 0, "rollback", "VALUE", "roll TARGET back to a commit, tag or digest it ran before" },
	{ OPT_DRY_RUN, 0, "dry-run", NULL, "show the commits, pushes and verdict; push nothing" },
	CMD_OPTS_END
};

const cmd_spec cmd_promote_spec = {
	"promote",
	"promote [--repo DIR] [--policy FILE] [--remote NAME] [--as USER] [--from BRANCH] [--rollback VALUE] [--dry-run] TARGET",
	"make and push the change that promotes to TARGET (or rolls it back), judged first",
	promote_opts, NULL
};

int cmd_promote(int argc, char **argv)
{
	cmd_parser cp;
	cmd_where where = CMD_WHERE_INIT;
	promote p;
	pc_session s;
	pc_error err = PC_ERROR_INIT;
	char *refspec_heads = NULL, *tmpdir = NULL, rref[600];
	int c, r = 2, valid = 0, verdict;

	memset(&p, 0, sizeof(p));
	p.remote = "origin";
	pc_session_init(&s, NULL);
	cmd_parse_init(&cp, &cmd_promote_spec, argc, argv);
	while ((c = cmd_parse_next(&cp)) != -1) {
		switch (c) {
		case OPT_REPO: where.repo = optarg; break;
		case OPT_POLICY: where.policy = optarg; break;
		case OPT_REMOTE: p.remote = optarg; break;
		case OPT_AS: p.as = optarg; break;
		case OPT_FROM: p.from = optarg; break;
		case OPT_ROLLBACK: p.rollback = optarg; break;
		case OPT_DRY_RUN: p.dry_run = 1; break;
		}
	}
	if (optind == argc)
		cmd_usage_error("promote needs the TARGET branch or environment");
	if (optind + 1 != argc)
		cmd_usage_error("unexpected argument '%s'", argv[optind + 1]);
	p.dir = where.repo;
	p.target = short_branch(argv[optind]);
	if (!*p.target || *p.remote == '-' || (p.from && (*p.from == '-' || !*p.from)) ||
	    (p.rollback && (*p.rollback == '-' || !*p.rollback))) {
		cmd_error("promote: empty or option-like argument; see policy-check help promote");
		return 2;
	}
	if (pc_repo_open(&p.repo, p.dir, &err) < 0) {
		cmd_error("promote: %s; run it in a clone of the server repository", err.msg);
		goto done;
	}
	if (git_repository_is_bare(p.repo)) {
		cmd_error("promote: %s is a bare repository; run promote in a clone of it", p.dir);
		goto done;
	}
	if (cmd_load_policy(&p.policy, where.policy, p.repo) < 0) {
		cmd_error("promote: name the server's policy with --policy FILE "
			"(or git config policycheck.policy FILE)");
		goto done;
	}
	if (validate(&p) != 0)
		goto done;
	p.target_ref = pc_asprintf("refs/heads/%s", p.policy->strategy == PC_STRATEGY_PATTERN3 ?
		p.policy->trunk : p.target);
	if (!p.target_ref)
		goto done;
	if (git_reference_name_is_valid(&valid, p.target_ref) < 0 || !valid) {
		cmd_error("promote: invalid branch name '%s'", p.target);
		goto done;
	}
	/* what the server has now, and the approvals given there */
	if (!(refspec_heads = pc_asprintf("+refs/heads/*:refs/remotes/%s/*", p.remote)))
		goto done;
	if (git(&p, NULL, NULL, "fetch", "-q", p.remote, refspec_heads,
		"+refs/approvals/*:refs/approvals/*", NULL) != 0) {
		cmd_error("promote: git fetch %s failed; check the remote (--remote NAME)", p.remote);
		goto done;
	}
	snprintf(rref, sizeof(rref), "refs/remotes/%s/%s", p.remote, short_branch(p.target_ref));
	if (resolve(&p, p.old_hex, rref) < 0) {
		cmd_error("promote: %s has no branch %s; create it first", p.remote, short_branch(p.target_ref));
		goto done;
	}
	r = p.policy->strategy == PC_STRATEGY_PATTERN3 ? plan_overlay(&p) :
		p.rollback ? plan_revert(&p) : plan_branch(&p);
	if (r >= 0)
		goto done;
	r = 2;
	printf("would push:\n");
	if (p.work_ref && strcmp(p.work_old_hex, p.new_hex))
		printf("  %s %s (work branch, first: approvers fetch it from there)\n", p.new_hex, p.work_ref);
	printf("  %s %s (%s, was %.7s)\n", p.new_hex, p.target_ref, p.what, p.old_hex);
	if ((verdict = judge(&p, &s, &tmpdir)) < 0)
		goto done;
	if (p.dry_run) {
		printf("dry run: nothing pushed%s\n", verdict ? "; the server would reject this push" : "");
		if (verdict && only_approvals_missing(&s))
			print_approvers(&p, &s);
		r = verdict ? 1 : 0;
		goto done;
	}
	if (verdict && !only_approvals_missing(&s)) {
		cmd_error("promote: the server would reject this for the reasons above, so nothing was pushed; "
			"fix them (the hints say how) and promote again%s", s.pusher ? "" :
			"; name yourself with --as USER");
		r = 1;
		goto done;
	}
	if (p.work_ref && strcmp(p.work_old_hex, p.new_hex) && push(&p, p.work_ref) != 0) {
		cmd_error("promote: pushing %s failed (git says why above); fix that and run promote again",
			short_branch(p.work_ref));
		r = 1;
		goto done;
	}
	if (push(&p, p.target_ref) != 0) {
		cmd_error("promote: the server rejected %s (its reasons are above)", p.target_ref);
		print_approvers(&p, &s);
		r = 1;
		goto done;
	}
	printf("promoted: %s is at %s\n", p.target_ref, p.new_hex);
	r = 0;
done:
	s.policy = NULL;	/* ours */
	pc_session_release(&s);
	remove_tree(tmpdir);
	free(tmpdir);
	free(refspec_heads);
	free(p.target_ref);
	free(p.work_ref);
	pc_policy_free(p.policy);
	git_repository_free(p.repo);
	return r;
}
