/*
 * rules.c: the push rules of doc/DESIGN.md section 5, applied to commits new to
 * the repository: commit_message, work_branch_name, deny_paths,
 * max_blob_size and signed_commits.
 */
#include "engine.h"
#include "rules.h"
#include "keyring.h"
#include "sshsig.h"

#include <stdlib.h>
#include <string.h>

#define MAX_LISTED 5

struct pc_rules_compiled {
	int have_message, have_branch;
	pc_regex message, branch;
	pc_regex *deny;
	size_t ndeny;
};

int pc_regex_compile(pc_regex *re, const char *pattern, pc_error *err)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE offset;
	int code;

	memset(re, 0, sizeof(*re));
	re->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
		&code, &offset, NULL);
	if (!re->code) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		return pc_error_set(err, PC_EINVAL, "at offset %zu: %s", (size_t)offset, (char *)msg);
	}
	re->md = pcre2_match_data_create_from_pattern(re->code, NULL);
	re->mctx = pcre2_match_context_create(NULL);
	re->source = pc_strdup(pattern);
	if (!re->md || !re->mctx || !re->source) {
		pc_regex_release(re);
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	}
	pcre2_set_match_limit(re->mctx, PC_REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(re->mctx, PC_REGEX_DEPTH_LIMIT);
	return 0;
}

int pc_regex_match(pc_regex *re, const char *subject, size_t len)
{
	int rc = pcre2_match(re->code, (PCRE2_SPTR)subject, len, 0, 0, re->md, re->mctx);

	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT)
		return PC_ELIMIT;
	return PC_EINVAL;
}

void pc_regex_release(pc_regex *re)
{
	pcre2_match_data_free(re->md);
	pcre2_match_context_free(re->mctx);
	pcre2_code_free(re->code);
	free(re->source);
	memset(re, 0, sizeof(*re));
}

void pc_rules_free(pc_rules_compiled *r)
{
	size_t i;

	if (!r)
		return;
	pc_regex_release(&r->message);
	pc_regex_release(&r->branch);
	for (i = 0; i < r->ndeny; i++)
		pc_regex_release(&r->deny[i]);
	free(r->deny);
	free(r);
}

static int compile_rules(pc_ctx *ctx, pc_error *err)
{
	const pc_rules *src = &ctx->policy->rules;
	pc_rules_compiled *r;
	size_t i;
	int e;

	if (ctx->rules)
		return 0;
	if (!(r = pc_calloc(1, sizeof(*r))))
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	ctx->rules = r;
	if (src->commit_message) {
		if ((e = pc_regex_compile(&r->message, src->commit_message, err)) < 0)
			return pc_error_prefix(err, "rules.commit_message");
		r->have_message = 1;
	}
	if (src->work_branch_name) {
		if ((e = pc_regex_compile(&r->branch, src->work_branch_name, err)) < 0)
			return pc_error_prefix(err, "rules.work_branch_name");
		r->have_branch = 1;
	}
	if (src->deny_paths.n) {
		if (!(r->deny = pc_calloc(src->deny_paths.n, sizeof(*r->deny))))
			return pc_error_set(err, PC_ENOMEM, "out of memory");
		for (i = 0; i < src->deny_paths.n; i++) {
			if ((e = pc_regex_compile(&r->deny[i], src->deny_paths.items[i], err)) < 0)
				return pc_error_prefix(err, "rules.deny_paths");
			r->ndeny++;
		}
	}
	return 0;
}

static int limit_hit(pc_change *c, const char *rule, const char *what)
{
	return pc_verdict_reject(c->v, "rules", "simplify the pattern in the policy",
		"%s hit the regex match limit on %s; the pattern backtracks too much", rule, what);
}

int pc_rules_branch_name(pc_ctx *ctx, pc_change *c, pc_error *err)
{
	int r;

	if (!ctx->policy->rules.work_branch_name)
		return 0;
	if ((r = compile_rules(ctx, err)) < 0)
		return r;
	r = pc_regex_match(&ctx->rules->branch, c->short_name, strlen(c->short_name));
	if (r == PC_ELIMIT)
		return limit_hit(c, "rules.work_branch_name", c->short_name);
	if (r < 0)
		return pc_error_set(err, PC_EINVAL, "rules.work_branch_name: matching failed");
	if (!r)
		return pc_verdict_reject(c->v, "rules", "rename the branch (git branch -m) and push it again",
			"branch name %s does not match rules.work_branch_name '%s'",
			c->short_name, ctx->policy->rules.work_branch_name);
	return 0;
}

/*
 * A commit's label ("abc1234 (subject)") is made when a message needs it:
 * a push of many commits that breaks no rule reads no subject.
 */
typedef struct commit_label {
	git_repository *repo;
	const git_oid *id;
	int made;
	char text[128];
} commit_label;

static const char *label_of(commit_label *l)
{
	if (!l->made) {
		pc_commit_label(l->text, sizeof(l->text), l->repo, l->id);
		l->made = 1;
	}
	return l->text;
}

static int check_message(pc_ctx *ctx, pc_change *c, git_commit *commit, commit_label *l,
	size_t *nbad)
{
	const char *msg = git_commit_message(commit);
	int r;

	if (!msg)
		msg = "";
	r = pc_regex_match(&ctx->rules->message, msg, strlen(msg));
	if (r == PC_ELIMIT)
		return limit_hit(c, "rules.commit_message", label_of(l));
	if (r == 1 || r < 0) {
		if (r < 0)
			return pc_verdict_reject(c->v, "rules", NULL,
				"commit %s: rules.commit_message could not be matched", label_of(l));
		return 0;
	}
	if ((*nbad)++ < MAX_LISTED)
		return pc_verdict_reject(c->v, "rules",
			"reword it (git rebase -i, then 'reword') and push again",
			"commit %s: message does not match rules.commit_message '%s'",
			label_of(l), ctx->policy->rules.commit_message);
	return 0;
}

typedef struct tree_check {
	pc_ctx *ctx;
	pc_change *c;
	const char *kind;	/* "commit", "tree" */
	const char *label;	/* or, when NULL: */
	commit_label *lazy;
	git_odb *odb;
	pc_error *err;
} tree_check;

static const char *tree_label(tree_check *t)
{
	return t->label ? t->label : label_of(t->lazy);
}

static int check_added(const pc_tree_change *ch, void *payload)
{
	tree_check *t = payload;
	const pc_policy *p = t->ctx->policy;
	pc_rules_compiled *rules = t->ctx->rules;
	size_t j, size;
	git_object_t type;
	int r = 0, m;

	if (!ch->new_mode)
		return 0;	/* deleted */
	for (j = 0; j < rules->ndeny && r == 0; j++) {
		m = pc_regex_match(&rules->deny[j], ch->path, strlen(ch->path));
		if (m == PC_ELIMIT)
			r = limit_hit(t->c, "rules.deny_paths", ch->path);
		else if (m == 1)
			r = pc_verdict_reject(t->c->v, "rules",
				"remove the file from the commits (git rebase -i) and push again",
				"%s %s adds %s, which matches rules.deny_paths '%s'",
				t->kind, tree_label(t), ch->path, p->rules.deny_paths.items[j]);
	}
	if (p->rules.max_blob_size && r == 0 &&
	    (ch->new_mode == GIT_FILEMODE_BLOB || ch->new_mode == GIT_FILEMODE_BLOB_EXECUTABLE)) {
		if (git_odb_read_header(&size, &type, t->odb, &ch->new_id) < 0)
			return pc_error_set(t->err, PC_EIO, "cannot read %s %s: %s", t->kind, tree_label(t),
				git_error_last() ? git_error_last()->message : "unknown error");
		if ((uint64_t)size > p->rules.max_blob_size)
			r = pc_verdict_reject(t->c->v, "rules",
				"keep large files out of the repository (an artifact store, or Git LFS)",
				"%s %s adds %s of %zu bytes, over rules.max_blob_size (%llu bytes)",
				t->kind, tree_label(t), ch->path, size, (unsigned long long)p->rules.max_blob_size);
	}
	/* A rejection is recorded in the verdict; only errors stop the walk. */
	return r < 0 ? r : 0;
}

/*
 * deny_paths and max_blob_size look at every file a new commit brings of
 * its own: a file none of its parents has at that path.  For a merge that
 * is what the merge itself added (an "evil" merge, or a content merge);
 * what it took from a parent is that parent's, checked with it when it was
 * new, or already in the repository.
 */
static int check_tree_changes(pc_ctx *ctx, pc_change *c, pc_newfiles *nf, git_commit *commit,
	commit_label *l, pc_error *err)
{
	unsigned int np = git_commit_parentcount(commit), k;
	git_commit *parent = NULL;
	git_oid *trees = NULL;
	tree_check t;
	int r = 0;

	memset(&t, 0, sizeof(t));
	if (np && !(trees = pc_calloc(np, sizeof(*trees))))
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	for (k = 0; k < np; k++) {
		if (git_commit_parent(&parent, commit, k) < 0)
			goto git_error;
		git_oid_cpy(&trees[k], git_commit_tree_id(parent));
		git_commit_free(parent);
		parent = NULL;
	}
	if (git_repository_odb(&t.odb, ctx->repo) < 0)
		goto git_error;
	t.ctx = ctx;
	t.c = c;
	t.kind = "commit";
	t.lazy = l;
	t.err = err;
	r = pc_newfiles_run(nf, git_commit_tree_id(commit), trees, np, check_added, &t, err);
	goto done;
git_error:
	r = pc_error_set(err, PC_EIO, "cannot read commit %s: %s", label_of(l),
		git_error_last() ? git_error_last()->message : "unknown error");
done:
	git_odb_free(t.odb);
	free(trees);
	git_commit_free(parent);
	return r;
}

/*
 * A ref to a tree or a blob, directly or through annotated tags, brings no
 * commit but stores those objects all the same: every file of the tree is
 * its own, and the blob must fit max_blob_size.
 */
static int check_object(pc_ctx *ctx, pc_change *c, pc_error *err)
{
	const pc_policy *p = ctx->policy;
	git_object *obj = NULL, *target = NULL;
	char hex[8];
	tree_check t;
	git_object_size_t size;
	int r = 0;

	memset(&t, 0, sizeof(t));
	if (git_object_lookup(&obj, ctx->repo, &c->u->new_id, GIT_OBJECT_ANY) < 0)
		goto git_error;
	if (git_object_type(obj) == GIT_OBJECT_TAG ? git_tag_peel(&target, (git_tag *)obj) < 0 :
	    git_object_dup(&target, obj) < 0)
		goto git_error;
	pc_oid_short(hex, git_object_id(target));
	if (git_object_type(target) == GIT_OBJECT_TREE) {
		if (git_repository_odb(&t.odb, ctx->repo) < 0)
			goto git_error;
		t.ctx = ctx;
		t.c = c;
		t.kind = "tree";
		t.label = hex;
		t.err = err;
		r = pc_repo_new_files(ctx->repo, (git_tree *)target, NULL, 0, check_added, &t, err);
	} else if (git_object_type(target) == GIT_OBJECT_BLOB && p->rules.max_blob_size &&
	    (size = git_blob_rawsize((git_blob *)target)) > p->rules.max_blob_size) {
		r = pc_verdict_reject(c->v, "rules",
			"keep large files out of the repository (an artifact store, or Git LFS)",
			"%s points at blob %s of %llu bytes, over rules.max_blob_size (%llu bytes)",
			c->u->ref, hex, (unsigned long long)size, (unsigned long long)p->rules.max_blob_size);
	}
	goto done;
git_error:
	r = pc_error_set(err, PC_EIO, "cannot read %s: %s", c->u->ref,
		git_error_last() ? git_error_last()->message : "unknown error");
done:
	git_odb_free(t.odb);
	git_object_free(target);
	git_object_free(obj);
	return r;
}

/*
 * The signature and the signed payload of a commit, read as git reads them
 * (see pc_sshsig_split_commit), so that what this hook accepts is what
 * git verify-commit accepts.  *found is 0 when git sees no signature.
 */
static int commit_signature(pc_ctx *ctx, const git_oid *id, pc_buf *payload, pc_buf *sig,
	int *found, pc_error *err)
{
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	int r;

	*found = 0;
	if (git_repository_odb(&odb, ctx->repo) < 0 || git_odb_read(&obj, odb, id) < 0) {
		r = pc_error_set(err, PC_EIO, "cannot read a new commit: %s",
			git_error_last() ? git_error_last()->message : "unknown error");
		goto done;
	}
	r = pc_sshsig_split_commit(git_odb_object_data(obj), git_odb_object_size(obj), payload, sig);
	if (r == PC_ENOTFOUND) {
		r = 0;
		goto done;
	}
	if (r < 0) {
		r = pc_error_set(err, r, "out of memory");
		goto done;
	}
	/* ssh-keygen reads up to the first END line: so does this check. */
	pc_buf_truncate(sig, pc_sshsig_armor_extent(sig->ptr, sig->len));
	*found = 1;
done:
	git_odb_object_free(obj);
	git_odb_free(odb);
	return r;
}

/* *signed_by (may be NULL) receives the policy user whose key made a valid signature. */
static int check_signature(pc_ctx *ctx, pc_change *c, git_commit *commit, const char *label,
	const char **signed_by, pc_error *err)
{
	pc_buf sig = PC_BUF_INIT, data = PC_BUF_INIT;
	pc_sshkey *signer = NULL;
	pc_error e = PC_ERROR_INIT;
	const char *user = NULL;
	char why[256];
	int r, found;

	if ((r = commit_signature(ctx, git_commit_id(commit), &data, &sig, &found, err)) < 0)
		goto done;
	if (!found) {
		r = pc_verdict_reject(c->v, "rules",
			"sign it (git config gpg.format ssh; git commit --amend -S) with a key listed in the policy",
			"commit %s is not signed (rules.signed_commits)", label);
		goto done;
	}
	if (pc_sshsig_verify(&signer, sig.ptr, sig.len, "git", (const unsigned char *)data.ptr,
			data.len, &e) < 0) {
		r = pc_verdict_reject(c->v, "rules", "sign it again with an SSH key listed in the policy",
			"commit %s: signature does not verify: %s", label, e.msg);
		goto done;
	}
	if ((r = pc_keyring_user(ctx, signer, pc_signing_time(ctx, (int64_t)git_commit_time(commit)),
			&user, why, sizeof(why), err)) < 0)
		goto done;
	if (!user)
		r = pc_verdict_reject(c->v, "rules", "give the key to exactly one user: users.<name>.keys in the policy, or one line of allowed_signers",
			"commit %s is signed by %s", label, why);
	else if (signed_by)
		*signed_by = user;
done:
	pc_sshkey_free(signer);
	pc_buf_release(&sig);
	pc_buf_release(&data);
	return r;
}

int pc_commit_signer(pc_ctx *ctx, git_commit *commit, const char **user, pc_error *err)
{
	pc_verdict scratch;
	pc_change c;
	int r;

	*user = NULL;
	/* The same check as rules.signed_commits; what it would reject is simply no signer. */
	if (pc_verdict_init(&scratch, "", "", "") < 0)
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	memset(&c, 0, sizeof(c));
	c.v = &scratch;
	r = check_signature(ctx, &c, commit, "", user, err);
	pc_verdict_release(&scratch);
	return r < 0 ? r : 0;
}

int pc_rules_check(pc_ctx *ctx, pc_change *c, pc_error *err)
{
	const pc_policy *p = ctx->policy;
	git_commit *commit = NULL;
	pc_newfiles *nf = NULL;
	commit_label l;
	size_t i, nbad = 0;
	int r = 0, need_tree;

	need_tree = p->rules.deny_paths.n || p->rules.max_blob_size;
	if (!p->rules.commit_message && !need_tree && !p->rules.signed_commits)
		return 0;
	if ((r = compile_rules(ctx, err)) < 0)
		return r;
	if (!c->nrepo_new)
		return need_tree ? check_object(ctx, c, err) : 0;
	/* One walker for the change: trees shared by its commits are read once. */
	if (need_tree && pc_newfiles_new(&nf, ctx->repo) < 0)
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	for (i = 0; i < c->nrepo_new && r == 0; i++) {
		if (git_commit_lookup(&commit, ctx->repo, &c->repo_new[i]) < 0) {
			r = pc_error_set(err, PC_EIO, "cannot read a new commit: %s",
				git_error_last() ? git_error_last()->message : "unknown error");
			break;
		}
		memset(&l, 0, sizeof(l));
		l.repo = ctx->repo;
		l.id = &c->repo_new[i];
		/* Merges made by git carry git's own message. */
		if (git_commit_parentcount(commit) <= 1 && p->rules.commit_message)
			r = check_message(ctx, c, commit, &l, &nbad);
		if (r == 0 && need_tree)
			r = check_tree_changes(ctx, c, nf, commit, &l, err);
		if (r == 0 && p->rules.signed_commits)
			r = check_signature(ctx, c, commit, label_of(&l), NULL, err);
		git_commit_free(commit);
		commit = NULL;
	}
	pc_newfiles_free(nf);
	if (r == 0 && nbad > MAX_LISTED)
		r = pc_verdict_reject(c->v, "rules", NULL,
			"and %zu more commits whose message does not match rules.commit_message",
			nbad - MAX_LISTED);
	return r;
}
