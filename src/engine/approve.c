/*
 * approve.c: who approved an update, and whether every CODEOWNERS
 * requirement of the change is met (doc/DESIGN.md section 5).
 *
 * Owners always come from CODEOWNERS at the base commit, never from the
 * pushed content, so nobody approves their own change by editing it.
 */
#include "approve.h"
#include "keyring.h"
#include "sshsig.h"
#include "codeowners.h"
#include "overlay.h"
#include "buf.h"
#include "pushers.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LISTED 5
#define APPROVAL_REF_PREFIX "refs/approvals/"

void pc_approval_obj_release(pc_approval_obj *a)
{
	free(a->target);
	memset(a, 0, sizeof(*a));
}

/* The value of header `name` among the tag headers of [p, end), or NULL. */
static const char *tag_header(const char *p, const char *end, const char *name, size_t *len)
{
	size_t nlen = strlen(name);
	const char *eol;

	while (p < end && *p != '\n') {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			return NULL;
		if ((size_t)(eol - p) > nlen && !memcmp(p, name, nlen) && p[nlen] == ' ') {
			*len = (size_t)(eol - p - nlen - 1);
			return p + nlen + 1;
		}
		p = eol + 1;
	}
	return NULL;
}

/*
 * Seconds from a tagger line "Name <email> 1700000000 +0000"; -1 when the
 * line is not of that form or the number does not fit.
 */
static int64_t tagger_time(const char *v, size_t len)
{
	const char *gt = NULL, *p, *end = v + len;
	int64_t t = 0;

	for (p = v; p < end; p++)
		if (*p == '>')
			gt = p;
	if (!gt || gt + 2 > end || gt[1] != ' ')
		return -1;
	for (p = gt + 2; p < end && *p >= '0' && *p <= '9'; p++) {
		/* the signer wrote this line: a number past int64 is no time */
		if (t > (INT64_MAX - (*p - '0')) / 10)
			return -1;
		t = t * 10 + (*p - '0');
	}
	if (p == gt + 2 || end - p != 6 || p[0] != ' ' || (p[1] != '+' && p[1] != '-'))
		return -1;
	for (p += 2; p < end; p++)
		if (*p < '0' || *p > '9')
			return -1;
	return t;
}

int pc_approval_read(pc_ctx *ctx, const git_oid *tag_id, pc_approval_obj *out, int *ok,
	char *why, size_t why_size, pc_error *err)
{
	static const char magic[] = PC_APPROVAL_MAGIC "\n\ntarget: ";
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	pc_sshkey *signer = NULL;
	pc_error e = PC_ERROR_INIT;
	const char *raw, *end, *v, *msg, *sig, *user = NULL;
	char signer_why[384];
	size_t len, vlen, payload_len, sig_len, tlen;
	int r, valid = 0;

	memset(out, 0, sizeof(*out));
	*ok = 0;
	if (git_repository_odb(&odb, ctx->repo) < 0 || git_odb_read(&obj, odb, tag_id) < 0) {
		git_error_clear();
		snprintf(why, why_size, "object is missing");
		r = 0;
		goto done;
	}
	if (git_odb_object_type(obj) != GIT_OBJECT_TAG) {
		snprintf(why, why_size, "it is a %s, not an annotated tag",
			git_object_type2string(git_odb_object_type(obj)));
		r = 0;
		goto done;
	}
	raw = git_odb_object_data(obj);
	len = git_odb_object_size(obj);
	if (pc_sshsig_split_tag(raw, len, &payload_len, &sig, &sig_len) < 0) {
		snprintf(why, why_size, "the tag has no SSH signature (sign it with git tag -s and gpg.format=ssh)");
		r = 0;
		goto done;
	}
	end = raw + payload_len;
	if (!(v = tag_header(raw, end, "object", &vlen)) || vlen != GIT_OID_HEXSZ ||
	    git_oid_fromstrn(&out->commit, v, vlen) < 0 ||
	    !(v = tag_header(raw, end, "type", &vlen)) || vlen != 6 || memcmp(v, "commit", 6)) {
		snprintf(why, why_size, "the tag does not point at a commit");
		r = 0;
		goto done;
	}
	if (!(msg = memmem(raw, payload_len, "\n\n", 2))) {
		snprintf(why, why_size, "the tag has no message");
		r = 0;
		goto done;
	}
	msg += 2;
	tlen = (size_t)(end - msg);
	if (tlen < sizeof(magic) || memcmp(msg, magic, sizeof(magic) - 1) || end[-1] != '\n') {
		snprintf(why, why_size, "the message is not '%s' followed by 'target: REF'", PC_APPROVAL_MAGIC);
		r = 0;
		goto done;
	}
	if (!(out->target = pc_strndup(msg + sizeof(magic) - 1, tlen - (sizeof(magic) - 1) - 1))) {
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
	if (git_reference_name_is_valid(&valid, out->target) < 0 || !valid ||
	    strncmp(out->target, "refs/", 5)) {
		snprintf(why, why_size, "the target is not a full ref name (e.g. refs/heads/main)");
		r = 0;
		goto done;
	}
	if (pc_sshsig_verify(&signer, sig, sig_len, "git", (const unsigned char *)raw, payload_len, &e) < 0) {
		snprintf(why, why_size, "the signature does not verify: %s", e.msg);
		r = 0;
		goto done;
	}
	pc_sshkey_fingerprint(signer, out->fingerprint);
	/* Key validity (valid-after, valid-before) at the tagger time, if it can be believed. */
	v = tag_header(raw, end, "tagger", &vlen);
	if ((r = pc_keyring_user(ctx, signer, pc_signing_time(ctx, v ? tagger_time(v, vlen) : -1),
			&user, signer_why, sizeof(signer_why), err)) < 0)
		goto done;
	if (!user) {
		snprintf(why, why_size, "it is signed by %s", signer_why);
		r = 0;
		goto done;
	}
	out->user = user;
	git_oid_tostr(out->object, sizeof(out->object), tag_id);
	*ok = 1;
	r = 0;
done:
	/* The caller releases `out` only when *ok: on every other way out, even an error. */
	if (!*ok) {
		free(out->target);
		out->target = NULL;
	}
	pc_sshkey_free(signer);
	git_odb_object_free(obj);
	git_odb_free(odb);
	return r;
}

/*
 * Approval objects read during one push, by object id: each is verified
 * once however many checks look at it (its own ref, the other approvals
 * of its commit, the branch updates it approves).
 */
struct pc_approval_cache {
	struct cached_approval {
		int used, ok;
		git_oid id;
		pc_approval_obj a;
		char *why;
	} *slots;
	size_t n, cap;		/* cap: 0 or a power of two, at most half full */
};

void pc_approval_cache_free(struct pc_approval_cache *cache)
{
	size_t i;

	if (!cache)
		return;
	for (i = 0; i < cache->cap; i++) {
		pc_approval_obj_release(&cache->slots[i].a);
		free(cache->slots[i].why);
	}
	free(cache->slots);
	free(cache);
}

static size_t cache_slot(const struct pc_approval_cache *cache, const git_oid *id)
{
	size_t h = 0, i;

	for (i = 0; i < sizeof(h); i++)
		h = h << 8 | id->id[i];
	for (h &= cache->cap - 1; cache->slots[h].used && !git_oid_equal(&cache->slots[h].id, id);
	     h = (h + 1) & (cache->cap - 1))
		;
	return h;
}

static int cache_grow(struct pc_approval_cache *cache)
{
	struct pc_approval_cache bigger = *cache;
	size_t i, h;

	bigger.cap = cache->cap ? cache->cap * 2 : 64;
	if (!(bigger.slots = pc_calloc(bigger.cap, sizeof(*bigger.slots))))
		return PC_ENOMEM;
	for (i = 0; i < cache->cap; i++)
		if (cache->slots[i].used) {
			h = cache_slot(&bigger, &cache->slots[i].id);
			bigger.slots[h] = cache->slots[i];
		}
	free(cache->slots);
	*cache = bigger;
	return 0;
}

/*
 * pc_approval_read through the push's cache: *a (owned by the cache) is
 * the approval when *ok, else *why says why it is none.
 */
static int approval_get(pc_ctx *ctx, const git_oid *id, const pc_approval_obj **a, int *ok,
	const char **why, pc_error *err)
{
	struct pc_approval_cache *cache = ctx->approvals;
	struct cached_approval *e;
	char text[512];
	size_t h;
	int r;

	if (!cache && !(cache = ctx->approvals = pc_calloc(1, sizeof(*cache))))
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	if ((cache->n + 1) * 2 > cache->cap && cache_grow(cache) < 0)
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	h = cache_slot(cache, id);
	e = &cache->slots[h];
	if (!e->used) {
		text[0] = '\0';
		if ((r = pc_approval_read(ctx, id, &e->a, &e->ok, text, sizeof(text), err)) < 0)
			return r;
		if (!e->ok && !(e->why = pc_strdup(text))) {
			pc_approval_obj_release(&e->a);
			return pc_error_set(err, PC_ENOMEM, "out of memory");
		}
		git_oid_cpy(&e->id, id);
		e->used = 1;
		cache->n++;
	}
	*a = &e->a;
	*ok = e->ok;
	*why = e->why ? e->why : "";
	return 0;
}

/* 1 when this push deletes `ref`. */
static int deleted_by_push(const pc_push *push, const char *ref)
{
	size_t i;

	for (i = 0; i < push->nupdates; i++)
		if (git_oid_is_zero(&push->updates[i].new_id) && !strcmp(push->updates[i].ref, ref))
			return 1;
	return 0;
}

/* What `ref` points at before the push (the tag object of an approval), or NULL. */
static const git_oid *ref_target(const pc_refs *refs, const char *ref)
{
	size_t i;

	for (i = 0; i < refs->n; i++)
		if (!strcmp(refs->names[i], ref))
			return &refs->targets[i];
	return NULL;
}

/*
 * The approval refs of one commit as they stand when update `upto` of the
 * push is applied: those before the push that it does not delete, then the
 * ones earlier updates of the push create.  Calls fn for each until it
 * returns non-zero.
 */
typedef int (*approval_ref_fn)(pc_ctx *ctx, const char *ref, const git_oid *id, void *payload);

static int each_approval_ref(pc_ctx *ctx, const char *prefix, size_t upto, approval_ref_fn fn,
	void *payload)
{
	const pc_push *push = ctx->push;
	size_t i, plen = strlen(prefix);
	int r;

	for (i = 0; i < ctx->refs.n; i++)
		if (!strncmp(ctx->refs.names[i], prefix, plen) && !deleted_by_push(push, ctx->refs.names[i]) &&
		    (r = fn(ctx, ctx->refs.names[i], &ctx->refs.targets[i], payload)) != 0)
			return r;
	for (i = 0; i < upto && i < push->nupdates; i++)
		if (!strncmp(push->updates[i].ref, prefix, plen) && !git_oid_is_zero(&push->updates[i].new_id) &&
		    !ref_target(&ctx->refs, push->updates[i].ref) &&
		    (r = fn(ctx, push->updates[i].ref, &push->updates[i].new_id, payload)) != 0)
			return r;
	return 0;
}

static int count_ref(pc_ctx *ctx, const char *ref, const git_oid *id, void *payload)
{
	(void)ctx; (void)ref; (void)id;
	++*(size_t *)payload;
	return 0;
}

typedef struct same_approval {
	const pc_approval_obj *mine;
	const char *ref;	/* out: the earlier approval of the same triple */
	pc_error *err;
} same_approval;

static int find_same(pc_ctx *ctx, const char *ref, const git_oid *id, void *payload)
{
	same_approval *s = payload;
	const pc_approval_obj *a;
	const char *why;
	int ok, r;

	if ((r = approval_get(ctx, id, &a, &ok, &why, s->err)) < 0)
		return r;
	if (ok && !strcmp(a->user, s->mine->user) && !strcmp(a->target, s->mine->target) &&
	    git_oid_equal(&a->commit, &s->mine->commit)) {
		s->ref = ref;
		return 1;
	}
	return 0;
}

/*
 * Deleting an approval revokes it: the user who signed it may, and admins
 * may delete any.  The signer is read from what the ref points at before
 * the push, not from the OLD value the pusher sent.
 */
static int approval_delete_check(pc_ctx *ctx, pc_change *c, pc_error *err)
{
	const char *pusher = ctx->push->pusher, *why;
	const pc_approval_obj *a = NULL;
	const git_oid *target;
	int ok = 0, r;

	if (pusher && pc_policy_is_admin(ctx->policy, pusher))
		return 0;
	if ((target = ref_target(&ctx->refs, c->u->ref)) &&
	    (r = approval_get(ctx, target, &a, &ok, &why, err)) < 0)
		return r;
	if (ok && pusher && !strcmp(a->user, pusher))
		return 0;
	if (ok)
		return pc_verdict_reject(c->v, "approval", "ask the signer or an admin to delete it",
			"approval %s can only be deleted by the user who signed it (%s) or admins",
			c->u->ref, a->user);
	return pc_verdict_reject(c->v, "approval", "ask an admin to delete it",
		"approval %s can only be deleted by admins: %s", c->u->ref,
		target ? "it is no valid approval of a user" : "it does not exist");
}

int pc_approval_ref_check(pc_ctx *ctx, pc_change *c, pc_error *err)
{
	const pc_policy *p = ctx->policy;
	const char *name = c->short_name, *slash, *why;
	const pc_approval_obj *a;
	pc_approval_obj mine;
	same_approval same;
	char prefix[128];
	git_oid named;
	size_t count = 1, self = (size_t)(c->u - ctx->push->updates);
	int ok, r;

	if (c->v->op == PC_OP_DELETE)
		return approval_delete_check(ctx, c, err);	/* whatever its name: it may be cleaned up */
	/* Lower-case hex only, as git writes ids: one name per commit, one limit per commit. */
	slash = strchr(name, '/');
	if (!slash || slash - name != GIT_OID_HEXSZ || !slash[1] ||
	    strspn(name, "0123456789abcdef") != GIT_OID_HEXSZ ||
	    git_oid_fromstrn(&named, name, GIT_OID_HEXSZ) < 0)
		return pc_verdict_reject(c->v, "approval", "use refs/approvals/<full commit id>/<name>",
			"%s is not refs/approvals/<commit-id>/<name>", c->u->ref);
	if (c->v->op != PC_OP_CREATE)
		return pc_verdict_reject(c->v, "approval", "push a new approval under another name",
			"approval refs are create-only: %s already exists", c->u->ref);
	if (!ctx->push->pusher || !pc_policy_user(p, ctx->push->pusher))
		return pc_verdict_reject(c->v, "approval", "push as a user the policy knows",
			"approvals may only be pushed by a known user");
	/* Counted before any signature is verified: the bound holds the work down too. */
	snprintf(prefix, sizeof(prefix), APPROVAL_REF_PREFIX "%.*s/", GIT_OID_HEXSZ, name);
	each_approval_ref(ctx, prefix, self, count_ref, &count);
	if (count > p->limits.max_approvals_per_commit)
		return pc_verdict_reject(c->v, "approval",
			"delete approvals that are no longer needed, or raise limits.max_approvals_per_commit",
			"commit %.*s would have %zu approval refs, more than limits.max_approvals_per_commit (%llu)",
			GIT_OID_HEXSZ, name, count, (unsigned long long)p->limits.max_approvals_per_commit);
	if ((r = approval_get(ctx, &c->u->new_id, &a, &ok, &why, err)) < 0)
		return r;
	if (!ok)
		return pc_verdict_reject(c->v, "approval",
			"make approvals with policy-check approve, or git tag -s as policy-check(1) shows",
			"%s is not a valid approval: %s", c->u->ref, why);
	if (!git_oid_equal(&a->commit, &named))
		return pc_verdict_reject(c->v, "approval", NULL,
			"%s approves another commit than its name says", c->u->ref);
	/* A copy: reading more approvals may move the cache's entries (the strings stay). */
	mine = *a;
	same.mine = &mine;
	same.ref = NULL;
	same.err = err;
	if ((r = each_approval_ref(ctx, prefix, self, find_same, &same)) < 0)
		return r;
	if (same.ref)
		return pc_verdict_reject(c->v, "approval",
			"one approval per commit, target and approver counts: delete the other one first to replace it",
			"%s already approved %.*s for %s with %s", mine.user, GIT_OID_HEXSZ, name, mine.target,
			same.ref);
	r = pc_verdict_add_approval(c->v, mine.user, "signature", mine.fingerprint, mine.object);
	return r < 0 ? pc_error_set(err, r, "out of memory") : 0;
}

/* One requirement: N distinct approvers among `users`. */
typedef struct requirement {
	const pc_co_rule *rule;		/* NULL for a branch's or environment's approvers */
	const char *section;		/* section name or NULL */
	const char *what;		/* for approvers requirements: "branches.main.approvers" */
	pc_strlist users;		/* who may approve */
	pc_buf owners_text;		/* "@sre @alice" as written */
	int need;
	const char *first_path;
	size_t npaths;
} requirement;

/*
 * A user who may not approve this update, and why: a fact (first pushed or
 * signed a commit of it) or a claim (named by a commit's author or
 * committer e-mail, which the pusher writes).  A claim only ever adds a
 * user; nothing here removes one.
 */
typedef struct barred {
	const char *user;	/* owned by the policy */
	char *why;
	int fact;
} barred;

typedef struct approvals_state {
	pc_strlist approvers;		/* users who approved (after self-approval exclusion) */
	pc_strlist excluded;		/* barred users who approved but do not count */
	barred *barred;
	size_t nbarred, abarred;
	requirement *reqs;
	size_t nreqs, areqs;
	pc_strlist unowned;
	size_t nunowned;
	pc_strlist labels;		/* storage for requirement labels */
} approvals_state;

static void state_release(approvals_state *s)
{
	size_t i;

	for (i = 0; i < s->nreqs; i++) {
		pc_strlist_clear(&s->reqs[i].users);
		pc_buf_release(&s->reqs[i].owners_text);
	}
	for (i = 0; i < s->nbarred; i++)
		free(s->barred[i].why);
	free(s->barred);
	free(s->reqs);
	pc_strlist_clear(&s->approvers);
	pc_strlist_clear(&s->excluded);
	pc_strlist_clear(&s->unowned);
	pc_strlist_clear(&s->labels);
}

static const barred *find_barred(const approvals_state *s, const char *user)
{
	size_t i;

	for (i = 0; i < s->nbarred; i++)
		if (!strcmp(s->barred[i].user, user))
			return &s->barred[i];
	return NULL;
}

static int add_approver(approvals_state *s, int self_approval, const char *user)
{
	pc_strlist *to = !self_approval && find_barred(s, user) ? &s->excluded : &s->approvers;

	if (pc_strlist_has(to, user))
		return 0;
	return pc_strlist_add(to, user);
}

/* Bar user; the first fact found is the reason shown, else the first claim. */
static int bar(approvals_state *s, const pc_user *u, int fact, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int bar(approvals_state *s, const pc_user *u, int fact, const char *fmt, ...)
{
	barred *b = (barred *)find_barred(s, u->name);
	pc_buf why = PC_BUF_INIT;
	va_list ap;

	if (b && (b->fact || !fact))
		return 0;
	va_start(ap, fmt);
	pc_buf_vprintf(&why, fmt, ap);
	va_end(ap);
	if (pc_buf_error(&why))
		goto nomem;
	if (!b) {
		if (pc_grow((void **)&s->barred, &s->abarred, s->nbarred + 1, sizeof(*s->barred)) < 0)
			goto nomem;
		b = &s->barred[s->nbarred++];
		b->user = u->name;
		b->why = NULL;
	}
	free(b->why);
	b->why = pc_buf_detach(&why);
	b->fact = fact;
	return b->why ? 0 : PC_ENOMEM;
nomem:
	pc_buf_release(&why);
	return PC_ENOMEM;
}

static int oid_cmp(const void *a, const void *b)
{
	return git_oid_cmp(a, b);
}

/* "carol", "carol and dave", or a note that nobody is on record. */
static void pushers_text(pc_buf *b, const pc_strlist *pushers)
{
	size_t i;

	pc_buf_clear(b);
	if (!pushers->n) {
		pc_buf_puts(b, "no first push of it is on record (it predates the first-pusher index)");
		return;
	}
	for (i = 0; i < pushers->n; i++)
		pc_buf_printf(b, "%s%s", i ? (i + 1 == pushers->n ? " and " : ", ") : "", pushers->items[i]);
	pc_buf_printf(b, " first pushed it");
}

/* A claimed e-mail (author or committer) of a commit bars the user it names. */
static int bar_claim(pc_ctx *ctx, approvals_state *s, const git_signature *who, const char *role,
	const char *label, const pc_buf *pushed)
{
	const pc_user *u;

	if (!who || !who->email || !(u = pc_policy_user_by_email(ctx->policy, who->email)))
		return 0;
	return bar(s, u, 0, "commit %s names %s as its %s, and %s", label, u->email, role, pushed->ptr);
}

/* 1 when `id` is a merge promote.c accepted as a conflict resolution: content of its own. */
static int is_resolution(const pc_change *c, const git_oid *id)
{
	size_t i;

	for (i = 0; i < c->nresolutions; i++)
		if (git_oid_equal(&c->resolutions[i], id))
			return 1;
	return 0;
}

/*
 * Everyone who may not approve the update, from each non-merge commit it
 * brings and each conflict resolution (other merges of a promotion bring
 * no content of their own): who first pushed it to this server (the
 * pusher for commits new in this push, else the first-pusher index), who
 * signed it, and whom its author and committer e-mails name.
 */
static int collect_barred(pc_ctx *ctx, pc_change *c, approvals_state *s, pc_error *err)
{
	const pc_policy *p = ctx->policy;
	const char *pusher = ctx->push->pusher, *signer;
	git_commit *commit = NULL;
	git_oid *fresh = NULL;
	pc_strlist pushers = PC_STRLIST_INIT, bad = PC_STRLIST_INIT;
	pc_buf pushed = PC_BUF_INIT;
	const pc_user *u;
	char label[128];
	size_t i, j;
	int r = 0;

	if (c->nrepo_new) {
		if (!(fresh = pc_calloc(c->nrepo_new, sizeof(*fresh))))
			goto nomem;
		memcpy(fresh, c->repo_new, c->nrepo_new * sizeof(*fresh));
		qsort(fresh, c->nrepo_new, sizeof(*fresh), oid_cmp);
	}
	for (i = 0; i < c->nbranch_new; i++) {
		const git_oid *id = &c->branch_new[i];

		git_commit_free(commit);
		if (git_commit_lookup(&commit, ctx->repo, id) < 0) {
			r = pc_error_set(err, PC_EIO, "cannot read commit: %s",
				git_error_last() ? git_error_last()->message : "unknown error");
			goto done;
		}
		if (git_commit_parentcount(commit) > 1 && !is_resolution(c, id))
			continue;
		pc_commit_label(label, sizeof(label), ctx->repo, id);
		pc_strlist_clear(&pushers);
		pc_strlist_clear(&bad);
		if (pusher && fresh && bsearch(id, fresh, c->nrepo_new, sizeof(*fresh), oid_cmp) &&
		    pc_strlist_add(&pushers, pusher) < 0)
			goto nomem;
		if (!ctx->pushers && (r = pc_pushers_open(&ctx->pushers, git_repository_path(ctx->repo),
				p->audit_key, p->audit_origin, err)) < 0)
			goto done;
		if ((r = pc_pushers_lookup(ctx->pushers, id, &pushers, &bad, err)) < 0)
			goto done;
		for (j = 0; j < bad.n; j++)
			if ((r = pc_verdict_reject(c->v, "approval",
					"the index was changed without the audit key: administrators, see doc/SECURITY.md",
					"first-pusher index entry %s for commit %s does not authenticate; it was ignored",
					bad.items[j], label)) < 0)
				goto nomem;
		for (j = 0; j < pushers.n; j++)
			if ((u = pc_policy_user(p, pushers.items[j])) &&
			    bar(s, u, 1, "%s first pushed commit %s", u->name, label) < 0)
				goto nomem;
		if ((r = pc_commit_signer(ctx, commit, &signer, err)) < 0)
			goto done;
		if (signer && (u = pc_policy_user(p, signer)) &&
		    bar(s, u, 1, "%s signed commit %s", u->name, label) < 0)
			goto nomem;
		pushers_text(&pushed, &pushers);
		if (pc_buf_error(&pushed) ||
		    bar_claim(ctx, s, git_commit_author(commit), "author", label, &pushed) < 0 ||
		    bar_claim(ctx, s, git_commit_committer(commit), "committer", label, &pushed) < 0)
			goto nomem;
	}
	r = 0;
	goto done;
nomem:
	r = pc_error_set(err, PC_ENOMEM, "out of memory");
done:
	git_commit_free(commit);
	free(fresh);
	pc_strlist_clear(&pushers);
	pc_strlist_clear(&bad);
	pc_buf_release(&pushed);
	return r;
}

static int is_approval_ref_for(const char *ref, const char *prefix)
{
	return !strncmp(ref, prefix, strlen(prefix));
}

/* The pusher and every valid approval object for exactly NEW and this ref. */
static int collect_approvers(pc_ctx *ctx, pc_change *c, approvals_state *s, pc_error *err)
{
	const pc_policy *p = ctx->policy;
	const pc_push *push = ctx->push;
	char prefix[128];
	const pc_approval_obj *a;
	const char *why;
	size_t i, pass;
	int ok, r = 0;

	if (!p->self_approval && (r = collect_barred(ctx, c, s, err)) < 0)
		goto done;
	if (p->pusher_is_approval && push->pusher && pc_policy_user(p, push->pusher)) {
		if (add_approver(s, p->self_approval, push->pusher) < 0)
			goto nomem;
		if (pc_strlist_has(&s->approvers, push->pusher) &&
		    pc_verdict_add_approval(c->v, push->pusher, "pusher", NULL, NULL) < 0)
			goto nomem;
	}
	snprintf(prefix, sizeof(prefix), APPROVAL_REF_PREFIX "%s/", c->v->new_hex);
	/* pass 0: approvals already stored; pass 1: approvals created by this push */
	for (pass = 0; pass < 2; pass++) {
		size_t n = pass ? push->nupdates : ctx->refs.n;
		for (i = 0; i < n; i++) {
			const char *ref = pass ? push->updates[i].ref : ctx->refs.names[i];
			const git_oid *id = pass ? &push->updates[i].new_id : &ctx->refs.targets[i];

			if (!is_approval_ref_for(ref, prefix) || git_oid_is_zero(id))
				continue;
			if (pass && pc_refs_get(&ctx->refs, ref))
				continue;	/* an update of an existing approval ref: rejected on its own */
			if (pass && !pc_ctx_applies(ctx, i))
				continue;	/* git will not create it */
			if (!pass && deleted_by_push(push, ref))
				continue;	/* revoked by this push */
			if ((r = approval_get(ctx, id, &a, &ok, &why, err)) < 0)
				goto done;
			if (ok && !strcmp(a->target, c->u->ref) && git_oid_equal(&a->commit, &c->u->new_id)) {
				if (!pc_strlist_has(&s->approvers, a->user) &&
				    (p->self_approval || !find_barred(s, a->user)) &&
				    pc_verdict_add_approval(c->v, a->user, "signature", a->fingerprint, a->object) < 0)
					goto nomem;
				if (add_approver(s, p->self_approval, a->user) < 0)
					goto nomem;
			}
		}
	}
	r = 0;
	goto done;
nomem:
	r = pc_error_set(err, PC_ENOMEM, "out of memory");
done:
	return r;
}

static requirement *find_req(approvals_state *s, const pc_co_rule *rule, const char *what, int need)
{
	size_t i;

	for (i = 0; i < s->nreqs; i++)
		if (s->reqs[i].rule == rule && s->reqs[i].need == need &&
		    (rule || (what && s->reqs[i].what && !strcmp(s->reqs[i].what, what))))
			return &s->reqs[i];
	return NULL;
}

static requirement *new_req(approvals_state *s)
{
	requirement *q;

	if (pc_grow((void **)&s->reqs, &s->areqs, s->nreqs + 1, sizeof(*s->reqs)) < 0)
		return NULL;
	q = &s->reqs[s->nreqs++];
	memset(q, 0, sizeof(*q));
	pc_buf_init(&q->owners_text, 0);
	return q;
}

static int add_owner_req(pc_ctx *ctx, approvals_state *s, const pc_codeowners *co,
	const pc_co_match *m, const char *path, int need)
{
	const pc_co_section *sec = pc_codeowners_section(co, m->section);
	requirement *q = find_req(s, m->rule, NULL, need);
	size_t i;

	if (!q) {
		if (!(q = new_req(s)))
			return PC_ENOMEM;
		q->rule = m->rule;
		q->section = sec->name[0] ? sec->name : NULL;
		q->need = need;
		q->first_path = path;
		for (i = 0; i < m->owners->n; i++) {
			pc_buf_printf(&q->owners_text, "%s%s", i ? " " : "", m->owners->items[i]);
			/* Unknown owners approve nothing; lint reports them. */
			pc_policy_resolve_owner(ctx->policy, m->owners->items[i], &q->users);
		}
	}
	q->npaths++;
	return 0;
}

static int add_approvers_req(pc_ctx *ctx, approvals_state *s, const char *what,
	const pc_strlist *principals, int need, const char *first_path)
{
	const pc_policy *p = ctx->policy;
	requirement *q;
	size_t i, j;

	if (!principals->n || find_req(s, NULL, what, need))
		return 0;
	if (pc_strlist_add(&s->labels, what) < 0 || !(q = new_req(s)))
		return PC_ENOMEM;
	q->what = s->labels.items[s->labels.n - 1];
	q->need = need;
	q->first_path = first_path;
	q->npaths = 0;
	for (i = 0; i < principals->n; i++) {
		const char *name = principals->items[i][0] == '@' ? principals->items[i] + 1 : principals->items[i];
		const pc_group *g = pc_policy_group(p, name);

		pc_buf_printf(&q->owners_text, "%s%s", i ? " " : "", principals->items[i]);
		if (g) {
			for (j = 0; j < g->members.n; j++)
				if (!pc_strlist_has(&q->users, g->members.items[j]))
					pc_strlist_add(&q->users, g->members.items[j]);
		} else if (!pc_strlist_has(&q->users, name)) {
			pc_strlist_add(&q->users, name);
		}
	}
	return 0;
}

static int default_need(const pc_ctx *ctx, const pc_change *c, const unsigned char *envs)
{
	const pc_policy *p = ctx->policy;
	int need = -1;
	size_t j;

	for (j = 0; envs && j < p->nenvironments; j++)
		if (envs[j] && p->environments[j].approvals > need)
			need = p->environments[j].approvals;
	if (need < 0 && c->branch && c->branch->approvals >= 0)
		need = c->branch->approvals;
	return need < 0 ? p->approvals_required : need;
}

static int load_codeowners(pc_ctx *ctx, pc_change *c, pc_codeowners **co, char **file,
	pc_error *err)
{
	const pc_policy *p = ctx->policy;
	pc_diag diags = PC_DIAG_INIT;
	char blob_id[PC_HEX_MAX];
	int r;

	r = pc_codeowners_load(co, file, blob_id, ctx->repo, &c->base, &p->codeowners,
		(size_t)p->limits.max_codeowners_size, &diags, err);
	if (r < 0 && diags.n)
		pc_diag_to_error(&diags, err);
	pc_diag_clear(&diags);
	if (r == PC_ENOTFOUND)
		return 0;
	if (r == PC_ELIMIT)
		return pc_error_prefix(err, "limits.max_codeowners_size");
	if (r < 0)
		return pc_error_prefix(err, "CODEOWNERS at the base commit is invalid");
	if (!(c->v->codeowners = pc_strdup(blob_id)))
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	return 0;
}

static void approvers_text(pc_buf *b, const requirement *q, const pc_strlist *approvers,
	int *count)
{
	size_t i;

	*count = 0;
	pc_buf_clear(b);
	for (i = 0; i < approvers->n; i++)
		if (pc_strlist_has(&q->users, approvers->items[i]))
			pc_buf_printf(b, "%s%s", (*count)++ ? ", " : "", approvers->items[i]);
}

static int report_requirement(pc_ctx *ctx, pc_change *c, const approvals_state *s,
	const requirement *q, const char *co_file)
{
	pc_buf have = PC_BUF_INIT, hint = PC_BUF_INIT, where = PC_BUF_INIT, who = PC_BUF_INIT;
	const barred *b;
	char short_new[8];
	size_t i, nwho;
	int count, r;

	approvers_text(&have, q, &s->approvers, &count);
	if (count >= q->need) {
		pc_buf_release(&have);
		return 0;
	}
	git_oid_tostr(short_new, sizeof(short_new), &c->u->new_id);
	/* Name only owners whose approval can count; say why the others cannot. */
	for (i = 0, nwho = 0; i < q->users.n; i++)
		if (!find_barred(s, q->users.items[i]))
			pc_buf_printf(&who, "%s%s", nwho++ ? ", " : "", q->users.items[i]);
	pc_buf_printf(&hint, "policy-check approve %s --target %s", short_new, c->u->ref);
	if (nwho)
		pc_buf_printf(&hint, " (by %s%s)", q->need > 1 ? "any of " : "one of ", who.ptr);
	else if (q->users.n)
		pc_buf_printf(&hint, " (none of its owners may: an owner who made no commit of it must)");
	else
		pc_buf_printf(&hint, " (the owners name no user of the policy: fix CODEOWNERS)");
	for (i = 0; i < q->users.n; i++)
		if ((b = find_barred(s, q->users.items[i])))
			pc_buf_printf(&hint, "; %s cannot approve it: %s", b->user, b->why);
	if (q->rule)
		pc_buf_printf(&where, "%s%s%s(%s:%u)", q->section ? "in [" : "", q->section ? q->section : "",
			q->section ? "] " : "", co_file, q->rule->line);
	else
		pc_buf_printf(&where, "(%s)", q->what);
	if (q->npaths > 1)
		r = pc_verdict_reject(c->v, "approval", hint.ptr,
			"%s and %zu more paths need %d approval%s from %s %s, have %d%s%s%s",
			q->first_path, q->npaths - 1, q->need, q->need == 1 ? "" : "s", q->owners_text.ptr,
			where.ptr, count, count ? " (" : "", have.ptr, count ? ")" : "");
	else
		r = pc_verdict_reject(c->v, "approval", hint.ptr,
			"%s needs %d approval%s from %s %s, has %d%s%s%s",
			q->first_path ? q->first_path : c->u->ref, q->need, q->need == 1 ? "" : "s",
			q->owners_text.ptr, where.ptr, count, count ? " (" : "", have.ptr, count ? ")" : "");
	pc_buf_release(&have);
	pc_buf_release(&hint);
	pc_buf_release(&where);
	pc_buf_release(&who);
	return r;
}

/*
 * A CODEOWNERS this update brings decides every later update of the
 * branch: refuse one that does not parse or names owners the policy does
 * not know, before it can lock the branch.
 */
static int check_pushed_codeowners(pc_ctx *ctx, pc_change *c, pc_error *err)
{
	const pc_policy *p = ctx->policy;
	pc_codeowners *co = NULL;
	pc_diag diags = PC_DIAG_INIT;
	pc_strlist users = PC_STRLIST_INIT;
	pc_error e = PC_ERROR_INIT;
	char *file = NULL;
	size_t i, j;
	int r, touched = 0;

	for (i = 0; i < c->paths.n && !touched; i++)
		touched = pc_strlist_has(&p->codeowners, c->paths.items[i]);
	if (!touched)
		return 0;
	r = pc_codeowners_load(&co, &file, NULL, ctx->repo, &c->u->new_id, &p->codeowners,
		(size_t)p->limits.max_codeowners_size, &diags, &e);
	if (r == PC_ENOTFOUND) {
		r = 0;
		goto done;
	}
	if (r == PC_ENOMEM) {
		r = pc_error_set(err, r, "out of memory");
		goto done;
	}
	if (r < 0) {
		if (diags.n)
			pc_diag_to_error(&diags, &e);
		r = pc_verdict_reject(c->v, "approval",
			"fix CODEOWNERS and push again: every later update of the branch is judged by it",
			"the pushed CODEOWNERS is invalid: %s", e.msg);
		goto done;
	}
	for (i = 0; i < pc_codeowners_nrules(co) && r == 0; i++) {
		const pc_co_rule *rule = pc_codeowners_rule(co, i);
		for (j = 0; j < rule->owners.n && r == 0; j++)
			if (pc_policy_resolve_owner(p, rule->owners.items[j], &users) == PC_ENOTFOUND)
				r = pc_verdict_reject(c->v, "approval",
					"name users, groups or user emails of the policy as owners",
					"the pushed %s:%u names unknown owner %s, who could never approve",
					file, rule->line, rule->owners.items[j]);
	}
done:
	pc_strlist_clear(&users);
	pc_diag_clear(&diags);
	pc_codeowners_free(co);
	free(file);
	return r;
}

int pc_approve_check(pc_ctx *ctx, pc_change *c, pc_error *err)
{
	const pc_policy *p = ctx->policy;
	approvals_state s;
	pc_codeowners *co = NULL;
	pc_co_match *m = NULL;
	unsigned char *envs = NULL, *env_any = NULL;
	char *co_file = NULL;
	char *what = NULL;
	unsigned char *path_envs = NULL, *path_shared = NULL;
	size_t i, j, ns = 0;
	int r, owned, need;

	memset(&s, 0, sizeof(s));
	if ((r = pc_change_paths(ctx, c, err)) < 0 || (r = check_pushed_codeowners(ctx, c, err)) < 0 ||
	    (r = load_codeowners(ctx, c, &co, &co_file, err)) < 0)
		goto done;
	if ((r = collect_approvers(ctx, c, &s, err)) < 0)
		goto done;
	if (co) {
		ns = pc_codeowners_nsections(co);
		if (!(m = pc_calloc(ns, sizeof(*m))))
			goto nomem;
	}
	if (p->nenvironments &&
	    (!(envs = pc_calloc(p->nenvironments, 1)) || !(env_any = pc_calloc(p->nenvironments, 1))))
		goto nomem;
	/* Pattern3: the environments a path reaches, links and includes followed (shared: all). */
	if (p->nenvironments && (r = pc_overlay_path_envs(&path_envs, &path_shared, NULL, ctx, c, err)) < 0)
		goto done;
	for (i = 0; i < c->paths.n; i++) {
		const char *path = c->paths.items[i];

		for (j = 0; envs && j < p->nenvironments; j++) {
			envs[j] = path_shared[i] || path_envs[i * p->nenvironments + j];
			env_any[j] |= envs[j];
		}
		need = default_need(ctx, c, envs);
		owned = 0;
		if (co)
			pc_codeowners_match(co, path, m);
		for (j = 0; j < ns; j++) {
			const pc_co_section *sec = pc_codeowners_section(co, m[j].section);
			if (!m[j].rule || !m[j].owners || !m[j].owners->n || sec->optional)
				continue;
			owned = 1;
			if (add_owner_req(ctx, &s, co, &m[j], path,
					sec->approvals > 0 ? sec->approvals : need) < 0)
				goto nomem;
		}
		if (!owned && p->unowned_deny) {
			if (s.nunowned++ < MAX_LISTED && pc_strlist_add(&s.unowned, path) < 0)
				goto nomem;
		}
	}
	/* A branch's or environment's approvers cover the whole change. */
	if (c->paths.n && c->branch && c->branch->approvers.n) {
		if (!(what = pc_asprintf("branches.%s.approvers", c->branch->name)))
			goto nomem;
		need = c->branch->approvals >= 0 ? c->branch->approvals : p->approvals_required;
		if (add_approvers_req(ctx, &s, what, &c->branch->approvers, need, NULL) < 0)
			goto nomem;
	}
	for (j = 0; env_any && j < p->nenvironments; j++) {
		const pc_environment *env = &p->environments[j];
		if (!env_any[j] || !env->approvers.n)
			continue;
		free(what);
		if (!(what = pc_asprintf("environments.%s.approvers", env->name)))
			goto nomem;
		need = env->approvals >= 0 ? env->approvals : p->approvals_required;
		if (add_approvers_req(ctx, &s, what, &env->approvers, need, NULL) < 0)
			goto nomem;
	}
	for (i = 0; i < s.nreqs; i++)
		if ((r = report_requirement(ctx, c, &s, &s.reqs[i], co_file)) < 0)
			goto done;
	for (i = 0; i < s.nunowned && i < MAX_LISTED; i++)
		if ((r = pc_verdict_reject(c->v, "approval",
				"add a CODEOWNERS line for it on the target branch first",
				"%s has no code owner (approvals.unowned: deny)", s.unowned.items[i])) < 0)
			goto done;
	if (s.nunowned > MAX_LISTED &&
	    (r = pc_verdict_reject(c->v, "approval", NULL, "and %zu more paths have no code owner",
			s.nunowned - MAX_LISTED)) < 0)
		goto done;
	r = 0;
	goto done;
nomem:
	r = pc_error_set(err, PC_ENOMEM, "out of memory");
done:
	free(what);
	free(co_file);
	free(envs);
	free(env_any);
	free(path_envs);
	free(path_shared);
	free(m);
	pc_codeowners_free(co);
	state_release(&s);
	return r;
}
