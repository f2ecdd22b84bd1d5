/*
 * evaluate.c: classify each ref update of a push and run the rules that
 * apply to its class (doc/DESIGN.md section 5).  Everything here returns
 * verdicts; nothing is printed.
 */
#include "engine.h"
#include "keyring.h"
#include "buf.h"
#include "pushers.h"
#include "json.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int pc_ctx_applies(const pc_ctx *ctx, size_t i)
{
	return ctx->applies && i < ctx->push->nupdates && ctx->applies[i];
}

const git_oid *pc_ctx_tip_after(const pc_ctx *ctx, const char *refname)
{
	size_t i;

	for (i = 0; i < ctx->push->nupdates; i++) {
		const pc_update *u = &ctx->push->updates[i];
		if (pc_ctx_applies(ctx, i) && !strcmp(u->ref, refname))
			return git_oid_is_zero(&u->new_id) ? NULL : &u->new_id;
	}
	return pc_refs_get(&ctx->refs, refname);
}

int pc_change_paths(pc_ctx *ctx, pc_change *c, pc_error *err)
{
	int r;

	if (c->have_paths)
		return 0;
	r = pc_repo_changed_paths(&c->paths, ctx->repo, &c->base, &c->u->new_id,
		(size_t)ctx->policy->limits.max_paths, err);
	if (r == PC_ELIMIT)
		pc_error_prefix(err, "limits.max_paths");
	if (r == 0)
		c->have_paths = 1;
	return r;
}

void pc_commit_label(char *out, size_t size, git_repository *repo, const git_oid *id)
{
	git_commit *commit = NULL;
	char hex[8], subject[64];
	const unsigned char *s;
	size_t i = 0, o = 0, n, len;

	pc_oid_short(hex, id);
	subject[0] = '\0';
	if (git_commit_lookup(&commit, repo, id) == 0 &&
	    (s = (const unsigned char *)git_commit_summary(commit))) {
		/*
		 * A subject is pusher-controlled: keep it short, never cut a UTF-8
		 * character in two, and replace control bytes.  Quotes and valid
		 * UTF-8 stay as written; what prints the label (report.c, the
		 * audit log's JSON) escapes bytes that are not valid UTF-8.
		 */
		n = strlen((const char *)s);
		while (i < n) {
			len = pc_utf8_seq_len(s + i, n - i);
			len = len ? len : 1;
			if (o + len + 4 > sizeof(subject))
				break;
			if (s[i] < 0x20)
				subject[o++] = '?';
			else
				memcpy(subject + o, s + i, len), o += len;
			i += len;
		}
		if (i < n)
			subject[o++] = '.', subject[o++] = '.', subject[o++] = '.';
		subject[o] = '\0';
	}
	git_error_clear();
	git_commit_free(commit);
	snprintf(out, size, "%s \"%s\"", hex, subject);
}

static int is_known_user(const pc_ctx *ctx)
{
	return ctx->push->pusher && pc_policy_user(ctx->policy, ctx->push->pusher);
}

static const char *principals_text(pc_buf *b, const pc_strlist *l)
{
	size_t i;

	pc_buf_clear(b);
	for (i = 0; i < l->n; i++)
		pc_buf_printf(b, "%s%s", i ? ", " : "", l->items[i]);
	return l->n ? b->ptr : "nobody";
}

static int classify(const pc_ctx *ctx, pc_change *c)
{
	const pc_policy *p = ctx->policy;
	const char *ref = c->u->ref;

	if (!strncmp(ref, "refs/heads/", 11)) {
		c->short_name = ref + 11;
		if ((c->branch = pc_policy_branch(p, c->short_name)))
			return PC_REF_PROTECTED;
		if (pc_policy_is_work_branch(p, c->short_name))
			return PC_REF_WORK;
		return PC_REF_OTHER;
	}
	if (!strncmp(ref, "refs/tags/", 10)) {
		c->short_name = ref + 10;
		if (p->tag_pattern && pc_glob_match(p->tag_pattern, c->short_name))
			return PC_REF_TAG;
		return PC_REF_OTHER;
	}
	if (!strncmp(ref, "refs/approvals/", 15)) {
		c->short_name = ref + 15;
		return PC_REF_APPROVAL;
	}
	c->short_name = ref;
	return PC_REF_OTHER;
}

static int classify_op(pc_ctx *ctx, pc_change *c, pc_error *err)
{
	const pc_update *u = c->u;
	int r;

	if (git_oid_is_zero(&u->old_id))
		c->v->op = PC_OP_CREATE;
	else if (git_oid_is_zero(&u->new_id))
		c->v->op = PC_OP_DELETE;
	else if (git_oid_equal(&u->old_id, &u->new_id))
		c->v->op = PC_OP_UPDATE;
	else {
		r = git_graph_descendant_of(ctx->repo, &u->new_id, &u->old_id);
		if (r < 0) {
			/* Tags and other non-commits: any change is a rewrite. */
			git_error_clear();
			r = 0;
		}
		c->v->op = r ? PC_OP_UPDATE : PC_OP_FORCE;
	}
	(void)err;
	return 0;
}

/* The commits this update brings: new to the ref, and new to the repository. */
static int compute_new_commits(pc_ctx *ctx, pc_change *c, pc_error *err)
{
	size_t limit = (size_t)ctx->policy->limits.max_commits;
	git_object *obj = NULL;
	const git_oid *trunk;
	char trunk_ref[512];
	int r;

	git_object *commit = NULL;
	git_oid tip;

	if (c->v->op == PC_OP_DELETE)
		return 0;
	if (git_object_lookup(&obj, ctx->repo, &c->u->new_id, GIT_OBJECT_ANY) < 0) {
		git_error_clear();
		return pc_error_set(err, PC_ENOTFOUND, "the pushed object %s is missing", c->v->new_hex);
	}
	/*
	 * An annotated tag brings the commits it points at; a ref to a tree
	 * or blob brings none.
	 */
	r = git_object_peel(&commit, obj, GIT_OBJECT_COMMIT);
	git_object_free(obj);
	if (r < 0) {
		git_error_clear();
		return 0;
	}
	git_oid_cpy(&tip, git_object_id(commit));
	git_object_free(commit);

	r = pc_repo_walk(&c->repo_new, &c->nrepo_new, ctx->repo, &tip,
		ctx->hide, ctx->nhide, limit, err);
	if (r == PC_ELIMIT)
		return pc_error_set(err, PC_ELIMIT,
			"push brings more than %zu new commits (limits.max_commits)", limit);
	if (r < 0)
		return r;
	if (c->v->op == PC_OP_CREATE) {
		snprintf(trunk_ref, sizeof(trunk_ref), "refs/heads/%s",
			ctx->policy->trunk ? ctx->policy->trunk : "main");
		if ((trunk = pc_refs_get(&ctx->refs, trunk_ref)))
			git_oid_cpy(&c->base, trunk);
		/* New to the ref is new to the repository: the same walk, done once. */
		if (c->nrepo_new) {
			if (!(c->branch_new = pc_calloc(c->nrepo_new, sizeof(*c->branch_new))))
				return pc_error_set(err, PC_ENOMEM, "out of memory");
			memcpy(c->branch_new, c->repo_new, c->nrepo_new * sizeof(*c->branch_new));
		}
		c->nbranch_new = c->nrepo_new;
		r = 0;
	} else {
		git_oid_cpy(&c->base, &c->u->old_id);
		r = pc_repo_walk(&c->branch_new, &c->nbranch_new, ctx->repo, &tip,
			&c->u->old_id, 1, limit, err);
	}
	if (r == PC_ELIMIT)
		return pc_error_set(err, PC_ELIMIT,
			"update brings more than %zu commits (limits.max_commits)", limit);
	return r;
}

/*
 * A valid approval of a commit the server lacks stores that commit too:
 * what it brings is walked from the commit its name gives (the approval
 * check made sure the tag points there; the tag object itself is read
 * raw there, as libgit2 may refuse to parse it).
 */
static int approval_new_commits(pc_ctx *ctx, pc_change *c, pc_error *err)
{
	size_t limit = (size_t)ctx->policy->limits.max_commits;
	git_oid named;
	int r;

	if (c->v->op != PC_OP_CREATE || c->v->nreasons ||
	    git_oid_fromstrn(&named, c->short_name, GIT_OID_HEXSZ) < 0)
		return 0;
	r = pc_repo_walk(&c->repo_new, &c->nrepo_new, ctx->repo, &named, ctx->hide, ctx->nhide, limit, err);
	if (r == PC_ELIMIT)
		return pc_error_set(err, PC_ELIMIT,
			"push brings more than %zu new commits (limits.max_commits)", limit);
	return r;
}

static int check_protected(pc_ctx *ctx, pc_change *c, pc_error *err)
{
	const pc_policy *p = ctx->policy;
	pc_buf b = PC_BUF_INIT;
	int r = 0;

	if (!is_known_user(ctx)) {
		r = pc_verdict_reject(c->v, "protect", "push as a user the policy knows (see identity.env and users)",
			"%s is protected and the pusher is %s", c->short_name,
			ctx->push->pusher ? "not a user of the policy" : "unidentified");
		goto done;
	}
	switch (c->v->op) {
	case PC_OP_DELETE:
		r = pc_verdict_reject(c->v, "protect", NULL,
			"protected branch %s cannot be deleted", c->short_name);
		break;
	case PC_OP_FORCE:
		r = pc_verdict_reject(c->v, "protect",
			"fetch, merge the remote changes into your branch and push without --force",
			"non-fast-forward update of protected branch %s is not allowed", c->short_name);
		break;
	case PC_OP_CREATE:
		/* An admin's creation bootstraps the branch: no from/require/approvals. */
		if (!pc_policy_is_admin(p, ctx->push->pusher))
			r = pc_verdict_reject(c->v, "protect", "ask an admin to create it",
				"only admins (%s) may create protected branch %s",
				principals_text(&b, &p->admins), c->short_name);
		break;
	case PC_OP_UPDATE:
		if (git_oid_equal(&c->u->old_id, &c->u->new_id))
			break;
		if ((r = pc_promote_check(ctx, c, err)) < 0)
			break;
		if (p->nenvironments && (r = pc_environment_check(ctx, c, err)) < 0)
			break;
		r = pc_approve_check(ctx, c, err);
		break;
	}
done:
	pc_buf_release(&b);
	return r;
}

static int check_work(pc_ctx *ctx, pc_change *c, pc_error *err)
{
	if (!is_known_user(ctx))
		return pc_verdict_reject(c->v, "protect", "push as a user the policy knows (see identity.env and users)",
			"work branch %s needs a known pusher, and the pusher is %s", c->short_name,
			ctx->push->pusher ? "not a user of the policy" : "unidentified");
	if (c->v->op == PC_OP_CREATE)
		return pc_rules_branch_name(ctx, c, err);
	return 0;
}

static int check_tag(pc_ctx *ctx, pc_change *c)
{
	const pc_policy *p = ctx->policy;
	pc_buf b = PC_BUF_INIT;
	int r = 0;

	if (c->v->op != PC_OP_CREATE) {
		r = pc_verdict_reject(c->v, "protect", "create a new tag instead",
			"tags are immutable: %s cannot be %s", c->short_name,
			c->v->op == PC_OP_DELETE ? "deleted" : "moved");
	} else if (!is_known_user(ctx) || !pc_policy_user_in(p, ctx->push->pusher, &p->tag_create)) {
		r = pc_verdict_reject(c->v, "protect", "ask one of them to push the tag",
			"tag %s may only be created by %s", c->short_name,
			principals_text(&b, &p->tag_create));
	}
	pc_buf_release(&b);
	return r;
}

static int check_other(pc_ctx *ctx, pc_change *c)
{
	if (ctx->policy->other_refs_allow)
		return 0;
	return pc_verdict_reject(c->v, "protect",
		"push to a branch named in branches or work_branches, or a tag matching tags.pattern",
		"%s matches no rule of the policy (other_refs: deny)", c->u->ref);
}

static void change_release(pc_change *c)
{
	free(c->branch_new);
	free(c->repo_new);
	free(c->resolutions);
	pc_strlist_clear(&c->paths);
}

static int judge(pc_ctx *ctx, pc_change *c, pc_error *err)
{
	int r;

	c->v->ref_class = classify(ctx, c);
	if ((r = classify_op(ctx, c, err)) < 0)
		return r;
	if (c->v->ref_class != PC_REF_APPROVAL && (r = compute_new_commits(ctx, c, err)) < 0)
		return r;
	switch (c->v->ref_class) {
	case PC_REF_PROTECTED:
		r = check_protected(ctx, c, err);
		break;
	case PC_REF_WORK:
		r = check_work(ctx, c, err);
		break;
	case PC_REF_TAG:
		r = check_tag(ctx, c);
		break;
	case PC_REF_APPROVAL:
		if ((r = pc_approval_ref_check(ctx, c, err)) < 0 || (r = approval_new_commits(ctx, c, err)) < 0)
			return r;
		return c->nrepo_new ? pc_rules_check(ctx, c, err) : 0;
	case PC_REF_OTHER:
		r = check_other(ctx, c);
		break;
	}
	if (r < 0)
		return r;
	/* Every ref that stores something new, whatever its class. */
	if (c->v->op != PC_OP_DELETE)
		r = pc_rules_check(ctx, c, err);
	return r;
}

static const char *option_value(const pc_strlist *options, const char *key)
{
	size_t i, klen = strlen(key);

	for (i = 0; options && i < options->n; i++) {
		const char *o = options->items[i];
		if (!strncmp(o, key, klen) && (o[klen] == '=' || o[klen] == '\0'))
			return o[klen] == '=' ? o + klen + 1 : "";
	}
	return NULL;
}

/*
 * Break-glass turns every policy violation of the push into an accepted,
 * recorded exception, for the listed groups only; internal errors still
 * reject (fail closed).
 */
static int apply_break_glass(pc_ctx *ctx, pc_verdict *verdicts, size_t n)
{
	const pc_policy *p = ctx->policy;
	const char *reason = option_value(ctx->push->options, "break-glass");
	const char *user = ctx->push->pusher;
	pc_buf b = PC_BUF_INIT;
	size_t i, len;
	int member = 0;

	if (!reason)
		return 0;
	for (i = 0; user && i < p->break_glass_groups.n; i++)
		if (pc_policy_user_is(p, user, p->break_glass_groups.items[i]))
			member = 1;
	len = strlen(reason);
	for (i = 0; i < n; i++) {
		if (!member)
			pc_verdict_reject(&verdicts[i], "break-glass", NULL,
				"%s may not use break-glass (break_glass.groups: %s)",
				user ? user : "an unidentified pusher", principals_text(&b, &p->break_glass_groups));
		else if (len < 10)
			pc_verdict_reject(&verdicts[i], "break-glass",
				"say why, e.g. -o break-glass=\"INC-123 restore prd after failed deploy\"",
				"break-glass needs a reason of at least 10 characters");
		else {
			free(verdicts[i].break_glass);
			verdicts[i].break_glass = pc_strdup(reason);
			if (!verdicts[i].break_glass)
				pc_verdict_internal(&verdicts[i], NULL, "out of memory");
			else if (!verdicts[i].internal)
				verdicts[i].accept = 1;
		}
	}
	pc_buf_release(&b);
	return 0;
}

/*
 * The OLD of an update is what the client claims; git compares it with the
 * ref only later, under the ref lock, and refuses the update when they
 * differ (a zero OLD: the ref must not exist).  An update git will not
 * apply must not count for anything: not as a no-op, not as the tip of its
 * branch for another ref's promotion check.  So every claim is checked
 * against the repository first, and an update that names a ref another
 * update of the push names too is refused: git applies at most one of
 * them, and which one depends on git, not on us.
 *
 * Neither dry-run nor break-glass accepts such an update: git refuses it
 * anyway, and a record saying "accept" would claim a value the ref never
 * had.
 */
static int ref_value_now(git_oid *out, int *exists, git_repository *repo, const char *view,
	const char *ref, pc_error *err)
{
	char *name = pc_refs_view_name(view, ref);
	int r;

	*exists = 0;
	if (!name)
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	r = git_reference_name_to_id(out, repo, name);
	free(name);

	*exists = r == 0;
	if (r == GIT_ENOTFOUND) {
		git_error_clear();
		memset(out, 0, sizeof(*out));
		return 0;
	}
	if (r < 0) {
		const git_error *e = git_error_last();
		r = pc_error_set(err, PC_EIO, "cannot read %s: %s", ref,
			e && e->message ? e->message : "unknown error");
		git_error_clear();
		return r;
	}
	return 0;
}

static void reject_claim(pc_verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reject_claim(pc_verdict *v, const char *fmt, ...)
{
	char msg[PC_UPDATE_LINE_MAX + 256];	/* a ref name is at most a line */
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (pc_verdict_reject(v, "protect", "git fetch, then push again from what the server has",
	    "%s", msg) < 0)
		pc_verdict_internal(v, NULL, "out of memory");
	else
		v->internal++;
}

static int cmp_update_ref(const void *a, const void *b)
{
	return strcmp((*(const pc_update *const *)a)->ref, (*(const pc_update *const *)b)->ref);
}

/* Mark in ctx->applies (as 2) every update whose ref another update names too. */
static int mark_repeated_refs(pc_ctx *ctx, pc_error *err)
{
	const pc_push *push = ctx->push;
	const pc_update **by_ref;
	size_t i;

	if (push->nupdates < 2)
		return 0;
	if (!(by_ref = pc_calloc(push->nupdates, sizeof(*by_ref))))
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	for (i = 0; i < push->nupdates; i++)
		by_ref[i] = &push->updates[i];
	qsort(by_ref, push->nupdates, sizeof(*by_ref), cmp_update_ref);
	for (i = 1; i < push->nupdates; i++)
		if (!strcmp(by_ref[i - 1]->ref, by_ref[i]->ref))
			ctx->applies[by_ref[i - 1] - push->updates] = ctx->applies[by_ref[i] - push->updates] = 2;
	free(by_ref);
	return 0;
}

static int check_claims(pc_ctx *ctx, pc_verdict *verdicts, pc_error *err)
{
	const pc_push *push = ctx->push;
	char now_hex[8], sent_hex[8];
	git_oid now;
	size_t i;
	int exists, r;

	if (!(ctx->applies = pc_calloc(push->nupdates ? push->nupdates : 1, 1)))
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	if ((r = mark_repeated_refs(ctx, err)) < 0)
		return r;
	for (i = 0; i < push->nupdates; i++) {
		const pc_update *u = &push->updates[i];

		if (ctx->applies[i] == 2) {
			ctx->applies[i] = 0;
			reject_claim(&verdicts[i], "%s is named by more than one command of this push; "
				"git applies at most one of them", u->ref);
			continue;
		}
		/*
		 * refs/meta/ is the server's own: refs/meta/policy-check is the
		 * policy the hooks publish (session/publish.c).  Nobody pushes
		 * there, admins and break-glass included: the policy changes
		 * on the server, and the ref follows it.
		 */
		if (!strncmp(u->ref, "refs/meta/", 10)) {
			if (pc_verdict_reject(&verdicts[i], "protect",
			    "refs/meta/policy-check follows the server's policy file: change that, on the server",
			    "%s is kept by the server (it publishes the policy there); nobody pushes to refs/meta/",
			    u->ref) < 0)
				pc_verdict_internal(&verdicts[i], NULL, "out of memory");
			else
				verdicts[i].internal++;
			continue;
		}
		if ((r = ref_value_now(&now, &exists, ctx->repo, push->ref_view, u->ref, err)) < 0)
			return r;
		if (git_oid_equal(&now, &u->old_id)) {
			ctx->applies[i] = 1;
			continue;
		}
		pc_oid_short(sent_hex, &u->old_id);
		if (exists) {
			pc_oid_short(now_hex, &now);
			reject_claim(&verdicts[i], "your view of %s is stale (it is at %s, you sent %s): "
				"fetch and retry", u->ref, now_hex, sent_hex);
		} else
			reject_claim(&verdicts[i], "your view of %s is stale (it does not exist, you sent %s): "
				"fetch and retry", u->ref, sent_hex);
	}
	return 0;
}

/*
 * A commit is new to the repository when no ref reaches it.  Approval
 * refs do not count: anyone may push one, and a commit that only an
 * approval reaches must still pass the push rules when a branch brings it.
 */
static int build_hide(pc_ctx *ctx, pc_error *err)
{
	const pc_update *u;
	git_object *obj = NULL, *commit = NULL;
	size_t i, j;

	if (!(ctx->hide = pc_calloc(ctx->refs.n, sizeof(git_oid))))
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	for (i = 0; i < ctx->refs.n; i++) {
		if (!strncmp(ctx->refs.names[i], "refs/approvals/", 15))
			continue;
		/*
		 * A ref this push updates was at OLD before it.  In the hooks
		 * that is its value; policy-check check in a clone whose
		 * branch is already at NEW must not take NEW's commits for
		 * old ones (they would pass the push rules unchecked, and
		 * their first pusher would be unknown).
		 */
		for (j = 0, u = NULL; j < ctx->push->nupdates && !u; j++)
			if (!strcmp(ctx->push->updates[j].ref, ctx->refs.names[i]))
				u = &ctx->push->updates[j];
		if (!u || git_oid_equal(&u->old_id, &ctx->refs.targets[i])) {
			git_oid_cpy(&ctx->hide[ctx->nhide++], &ctx->refs.ids[i]);
			continue;
		}
		if (git_oid_is_zero(&u->old_id))
			continue;
		if (git_object_lookup(&obj, ctx->repo, &u->old_id, GIT_OBJECT_ANY) == 0 &&
		    git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) == 0)
			git_oid_cpy(&ctx->hide[ctx->nhide++], git_object_id(commit));
		git_error_clear();
		git_object_free(commit);
		git_object_free(obj);
		commit = obj = NULL;
	}
	return 0;
}

int pc_evaluate(pc_verdict *verdicts, const pc_push *push, pc_error *err)
{
	pc_ctx ctx;
	pc_change c;
	pc_error e = PC_ERROR_INIT;
	char old_hex[PC_HEX_MAX], new_hex[PC_HEX_MAX];
	size_t i, rejected = 0;
	int r;

	memset(&ctx, 0, sizeof(ctx));
	ctx.push = push;
	ctx.repo = push->repo;
	ctx.policy = push->policy;
	ctx.now = (int64_t)time(NULL);
	for (i = 0; i < push->nupdates; i++) {
		git_oid_tostr(old_hex, sizeof(old_hex), &push->updates[i].old_id);
		git_oid_tostr(new_hex, sizeof(new_hex), &push->updates[i].new_id);
		if (pc_verdict_init(&verdicts[i], push->updates[i].ref, old_hex, new_hex) < 0) {
			while (i-- > 0)
				pc_verdict_release(&verdicts[i]);
			return pc_error_set(err, PC_ENOMEM, "out of memory");
		}
		verdicts[i].dry_run = push->policy->dry_run;
	}
	if ((r = pc_refs_load_view(&ctx.refs, ctx.repo, push->ref_view, &e)) < 0 || (r = build_hide(&ctx, &e)) < 0 ||
	    (r = check_claims(&ctx, verdicts, &e)) < 0) {
		for (i = 0; i < push->nupdates; i++)
			pc_verdict_internal(&verdicts[i], PC_INTERNAL_HINT, "%s", e.msg);
		goto finish;
	}
	for (i = 0; i < push->nupdates; i++) {
		memset(&c, 0, sizeof(c));
		c.u = &push->updates[i];
		c.v = &verdicts[i];
		pc_error_clear(&e);
		if (!pc_ctx_applies(&ctx, i)) {
			/* rejected by check_claims; the class and op only describe it */
			c.v->ref_class = classify(&ctx, &c);
			classify_op(&ctx, &c, &e);
			continue;
		}
		r = judge(&ctx, &c, &e);
		if (r == PC_ELIMIT) {
			/*
			 * A limit cut the checks short: what was not checked cannot
			 * be accepted, so neither break-glass nor dry-run lets it by.
			 */
			pc_verdict_reject(c.v, "rules",
				"split the push into smaller pushes, or raise the limit under limits: in the policy",
				"%s", e.msg);
			c.v->internal++;
		}
		else if (r < 0)
			pc_verdict_internal(c.v, PC_INTERNAL_HINT, "%s",
				e.msg[0] ? e.msg : "evaluation failed");
		if (push->new_commits) {
			push->new_commits[i].ids = c.repo_new;	/* transferred */
			push->new_commits[i].n = c.nrepo_new;
			c.repo_new = NULL;
		}
		change_release(&c);
	}
finish:
	apply_break_glass(&ctx, verdicts, push->nupdates);
	for (i = 0; i < push->nupdates; i++) {
		if (push->policy->dry_run && !verdicts[i].internal)
			verdicts[i].accept = 1;
		if (!verdicts[i].accept)
			rejected++;
	}
	/* pre-receive is all or nothing: git applies none of the refs of a rejected push. */
	if (push->all_or_nothing && rejected) {
		for (i = 0; i < push->nupdates; i++) {
			if (!verdicts[i].accept)
				continue;
			/*
			 * A work branch is what approvers fetch to see the commit
			 * they are asked to approve: it should not wait for the
			 * protected branch that was rejected with it.
			 */
			pc_verdict_reject(&verdicts[i], "push",
				verdicts[i].ref_class == PC_REF_WORK ?
				"push this work branch alone first, so that approvers can fetch the commits they are asked to approve" :
				NULL,
				"not applied: another ref of this push was rejected");
		}
	}
	pc_refs_clear(&ctx.refs);
	free(ctx.hide);
	free(ctx.applies);
	pc_rules_free(ctx.rules);
	pc_keyring_free(ctx.keyring);
	pc_approval_cache_free(ctx.approvals);
	pc_pushers_free(ctx.pushers);
	return 0;
}
