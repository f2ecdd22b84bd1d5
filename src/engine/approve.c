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

#include <ctype.h>
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

int pc_approval_parse(git_repository *repo, const git_oid *tag_id, git_oid *commit, char **target,
	pc_sshkey **signer, int64_t *tagged, char *why, size_t why_size, pc_error *err)
{
	static const char magic[] = PC_APPROVAL_MAGIC "\n\ntarget: ";
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	pc_sshkey *key = NULL;
	pc_error e = PC_ERROR_INIT;
	const char *raw, *end, *v, *msg, *sig;
	size_t len, vlen, payload_len, sig_len, tlen;
	int r = 0, valid = 0;

	*target = NULL;
	*signer = NULL;
	*tagged = -1;
	if (git_repository_odb(&odb, repo) < 0 || git_odb_read(&obj, odb, tag_id) < 0) {
		git_error_clear();
		snprintf(why, why_size, "object is missing");
		goto done;
	}
	if (git_odb_object_type(obj) != GIT_OBJECT_TAG) {
		snprintf(why, why_size, "it is a %s, not an annotated tag",
			git_object_type2string(git_odb_object_type(obj)));
		goto done;
	}
	raw = git_odb_object_data(obj);
	len = git_odb_object_size(obj);
	if (pc_sshsig_split_tag(raw, len, &payload_len, &sig, &sig_len) < 0) {
		snprintf(why, why_size, "the tag has no SSH signature (sign it with git tag -s and gpg.format=ssh)");
		goto done;
	}
	end = raw + payload_len;
	if (!(v = tag_header(raw, end, "object", &vlen)) || vlen != GIT_OID_HEXSZ ||
	    git_oid_fromstrn(commit, v, vlen) < 0 ||
	    !(v = tag_header(raw, end, "type", &vlen)) || vlen != 6 || memcmp(v, "commit", 6)) {
		snprintf(why, why_size, "the tag does not point at a commit");
		goto done;
	}
	if (!(msg = memmem(raw, payload_len, "\n\n", 2))) {
		snprintf(why, why_size, "the tag has no message");
		goto done;
	}
	msg += 2;
	tlen = (size_t)(end - msg);
	if (tlen < sizeof(magic) || memcmp(msg, magic, sizeof(magic) - 1) || end[-1] != '\n') {
		snprintf(why, why_size, "the message is not '%s' followed by 'target: REF'", PC_APPROVAL_MAGIC);
		goto done;
	}
	if (!(*target = pc_strndup(msg + sizeof(magic) - 1, tlen - (sizeof(magic) - 1) - 1))) {
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
	if (git_reference_name_is_valid(&valid, *target) < 0 || !valid || strncmp(*target, "refs/", 5)) {
		snprintf(why, why_size, "the target is not a full ref name (e.g. refs/heads/main)");
		goto done;
	}
	if (pc_sshsig_verify(&key, sig, sig_len, "git", (const unsigned char *)raw, payload_len, &e) < 0) {
		pc_sshkey_free(key);
		key = NULL;
		snprintf(why, why_size, "the signature does not verify: %s", e.msg);
		goto done;
	}
	v = tag_header(raw, end, "tagger", &vlen);
	*tagged = v ? tagger_time(v, vlen) : -1;
	*signer = key;
	key = NULL;	/* transferred */
done:
	/* Either a verified signer and its target, or neither. */
	if (!*signer) {
		free(*target);
		*target = NULL;
	}
	git_odb_object_free(obj);
	git_odb_free(odb);
	return r;
}

int pc_approval_read(pc_ctx *ctx, const git_oid *tag_id, pc_approval_obj *out, int *ok,
	char *why, size_t why_size, pc_error *err)
{
	pc_sshkey *signer = NULL;
	const char *user = NULL;
	char signer_why[384];
	int64_t tagged;
	int r;

	memset(out, 0, sizeof(*out));
	*ok = 0;
	if ((r = pc_approval_parse(ctx->repo, tag_id, &out->commit, &out->target, &signer, &tagged,
			why, why_size, err)) < 0 || !signer)
		goto done;
	pc_sshkey_fingerprint(signer, out->fingerprint);
	/* Key validity (valid-after, valid-before) at the tagger time, if it can be believed. */
	if ((r = pc_keyring_user(ctx, signer, pc_signing_time(ctx, tagged), &user, signer_why,
			sizeof(signer_why), err)) < 0)
		goto done;
	if (!user) {
		snprintf(why, why_size, "it is signed by %s", signer_why);
		goto done;
	}
	out->user = user;
	git_oid_tostr(out->object, sizeof(out->object), tag_id);
	*ok = 1;
done:
	/* The caller releases `out` only when *ok: on every other way out, even an error. */
	if (!*ok) {
		free(out->target);
		out->target = NULL;
	}
	pc_sshkey_free(signer);
	return r;
}

int pc_approval_name_target(char *out, size_t size, const char *part, size_t len)
{
	int n;

	if (len >= 5 && !memcmp(part, "refs/", 5))
		n = snprintf(out, size, "%.*s", (int)len, part);
	else
		n = snprintf(out, size, "refs/heads/%.*s", (int)len, part);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int pc_approval_ref_name(char *out, size_t size, const char *commit_hex, const char *target,
	const char *who)
{
	const char *part = target;
	int n, valid = 0;

	if (!strncmp(target, "refs/heads/", 11) && strncmp(target + 11, "refs/", 5))
		part = target + 11;
	n = snprintf(out, size, APPROVAL_REF_PREFIX "%s/%s/%s", commit_hex, part, who);
	if (n < 0 || (size_t)n >= size || strchr(who, '/') ||
	    git_reference_name_is_valid(&valid, out) < 0 || !valid) {
		git_error_clear();
		return -1;
	}
	return 0;
}

void pc_approval_name_from_email(char *out, size_t size, const char *email)
{
	size_t i, o = 0;

	if (!size)
		return;
	for (i = 0; email[i] && o + 1 < size; i++) {
		char ch = email[i];
		out[o++] = isalnum((unsigned char)ch) || ch == '.' || ch == '-' || ch == '_' ? ch : '-';
	}
	out[o] = '\0';
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

/*
 * A name refs/approvals/COMMIT/TARGET/WHO must say what the object says:
 * its target, and, when WHO is a user name of the policy, its signer.
 * Otherwise one user could take the name another's approval of a commit
 * and target needs (the refs are create-only), or file an approval of
 * main where readers look for staging's.  Any other WHO (the email form
 * approve writes when it has no policy to name the signer) claims no user
 * and stays free, as a name of one part (COMMIT/NAME, the first layout)
 * does.
 */
static int check_name(pc_ctx *ctx, pc_change *c, const pc_approval_obj *a, const char *rest)
{
	const char *last = strrchr(rest, '/');
	char named[512], expected[512], hint[600], hex[GIT_OID_HEXSZ + 1];

	if (!last)
		return 0;
	git_oid_tostr(hex, sizeof(hex), &a->commit);
	if (pc_approval_ref_name(expected, sizeof(expected), hex, a->target, a->user) < 0)
		snprintf(expected, sizeof(expected), APPROVAL_REF_PREFIX "%s/%s", hex, a->user);
	snprintf(hint, sizeof(hint), "push it as %s", expected);
	if (pc_approval_name_target(named, sizeof(named), rest, (size_t)(last - rest)) < 0 ||
	    strcmp(named, a->target))
		return pc_verdict_reject(c->v, "approval", hint,
			"%s names the target %s, but the approval is for %s", c->u->ref, named, a->target);
	if (strcmp(last + 1, a->user) && pc_policy_user(ctx->policy, last + 1))
		return pc_verdict_reject(c->v, "approval", hint,
			"%s names %s as its approver, but %s signed it", c->u->ref, last + 1, a->user);
	return 0;
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
	if ((r = check_name(ctx, c, a, slash + 1)) != 0)
		return r < 0 ? pc_error_set(err, r, "out of memory") : 0;
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
	pc_strlist kept_users;		/* approvals.keep_on_rebase: users whose approval of */
	pc_strlist kept_why;		/* another commit did not carry over, and why */
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
	pc_strlist_clear(&s->kept_users);
	pc_strlist_clear(&s->kept_why);
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
				    pc_verdict_add_approval_for(c->v, a->user, "signature", a->fingerprint, a->object,
					    c->v->new_hex) < 0)
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

/*
 * What would unblock a requirement nobody left can meet: another user with
 * a key among its owners, or break-glass by its members (named, so that
 * the pusher knows whom to call).
 */
static void unblock_text(pc_buf *b, const pc_policy *p, const requirement *q)
{
	size_t i, j, n = 0;

	pc_buf_printf(b, "another user with a key must be added to its approvers (%s)", q->owners_text.ptr);
	for (i = 0; i < p->nusers; i++)
		for (j = 0; j < p->break_glass_groups.n; j++)
			if (pc_policy_user_is(p, p->users[i].name, p->break_glass_groups.items[j])) {
				if (n < MAX_LISTED)
					pc_buf_printf(b, "%s%s", n ? ", " : ", or break-glass by one of ",
						p->users[i].name);
				else if (n == MAX_LISTED)
					pc_buf_puts(b, ", ...");
				n++;
				break;
			}
	if (!n)
		pc_buf_puts(b, " (break_glass.groups is empty: nobody can break the glass)");
}

static int report_requirement(pc_ctx *ctx, pc_change *c, const approvals_state *s,
	const requirement *q, const char *co_file)
{
	pc_buf have = PC_BUF_INIT, hint = PC_BUF_INIT, where = PC_BUF_INIT, who = PC_BUF_INIT;
	pc_buf nokey = PC_BUF_INIT, unblock = PC_BUF_INIT;
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
	/*
	 * Name only owners whose approval can count: not barred, not counted
	 * already, with a key to sign; say why the others cannot.
	 */
	for (i = 0, nwho = 0; i < q->users.n; i++) {
		const char *name = q->users.items[i];
		const pc_user *u = pc_policy_user(ctx->policy, name);
		pc_error e = PC_ERROR_INIT;
		int sign = 1;

		if (find_barred(s, name) || pc_strlist_has(&s->approvers, name))
			continue;
		if (u && pc_keyring_can_sign(ctx, u, &sign, &e) < 0)
			sign = 1;	/* a hint only: the keyring's error is reported where it counts */
		if (!sign)
			pc_buf_printf(&nokey, "; %s cannot approve it: no key of theirs is in the policy "
				"(users.%s.keys, or allowed_signers for %s)", name, name, u->email ? u->email : "their email");
		else
			pc_buf_printf(&who, "%s%s", nwho++ ? ", " : "", name);
	}
	pc_buf_printf(&hint, "policy-check approve %s --target %s", short_new, c->u->ref);
	if (!q->users.n) {
		pc_buf_printf(&hint, " (the owners name no user of the policy: fix CODEOWNERS)");
	} else {
		int more = q->need - count;

		if (nwho >= (size_t)more)
			pc_buf_printf(&hint, " (by %s%s)", more > 1 ? "any of " : "one of ", who.ptr);
		else {
			unblock_text(&unblock, ctx->policy, q);
			if (nwho)
				pc_buf_printf(&hint, " (by %s, but it needs %d more and nobody else can give one: %s)",
					who.ptr, more, unblock.ptr);
			else
				pc_buf_printf(&hint, " (nobody left can approve it: %s)", unblock.ptr);
		}
	}
	for (i = 0; i < q->users.n; i++)
		if ((b = find_barred(s, q->users.items[i])))
			pc_buf_printf(&hint, "; %s cannot approve it: %s", b->user, b->why);
	pc_buf_puts(&hint, nokey.ptr);
	for (i = 0; i < s->kept_users.n; i++)
		if (pc_strlist_has(&q->users, s->kept_users.items[i]) &&
		    !pc_strlist_has(&s->approvers, s->kept_users.items[i]))	/* another one carried */
			pc_buf_printf(&hint, "; %s", s->kept_why.items[i]);
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
	pc_buf_release(&nokey);
	pc_buf_release(&unblock);
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

/*
 * approvals.keep_on_rebase: an approval of another commit A for this ref
 * counts when what A brings onto the target, diff(merge-base(A, OLD), A),
 * is the change pushed, diff(OLD, NEW), on every path the approver's
 * approval is needed for (doc/DESIGN.md section 11).
 */

/* One file-level difference, owned. */
typedef struct file_change {
	char *path;
	git_oid old_id, new_id;
	uint32_t old_mode, new_mode;
	size_t row;			/* its place in the diff, in git's order */
} file_change;

typedef struct file_changes {
	file_change *v;
	size_t n, alloc, limit;
	pc_error *err;
} file_changes;

static void file_changes_clear(file_changes *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	l->v = NULL;
	l->n = l->alloc = 0;
}

static int add_file_change(const pc_tree_change *ch, void *payload)
{
	file_changes *l = payload;
	file_change *f;

	if (l->n >= l->limit)
		return pc_error_set(l->err, PC_ELIMIT, "more than %zu changed paths", l->limit);
	if (pc_grow((void **)&l->v, &l->alloc, l->n + 1, sizeof(*l->v)) < 0)
		return pc_error_set(l->err, PC_ENOMEM, "out of memory");
	f = &l->v[l->n];
	if (!(f->path = pc_strdup(ch->path)))
		return pc_error_set(l->err, PC_ENOMEM, "out of memory");
	git_oid_cpy(&f->old_id, &ch->old_id);
	git_oid_cpy(&f->new_id, &ch->new_id);
	f->old_mode = ch->old_mode;
	f->new_mode = ch->new_mode;
	f->row = l->n++;
	return 0;
}

/* The tree of commit `id`, or NULL for a zero id (the empty tree). */
static int commit_tree_of(git_tree **out, git_repository *repo, const git_oid *id, pc_error *err)
{
	git_commit *commit = NULL;
	int r = 0;

	*out = NULL;
	if (git_oid_is_zero(id))
		return 0;
	if (git_commit_lookup(&commit, repo, id) < 0 || git_commit_tree(out, commit) < 0)
		r = pc_error_set(err, PC_EIO, "cannot read commit: %s",
			git_error_last() ? git_error_last()->message : "unknown error");
	git_commit_free(commit);
	return r;
}

/* The differences between commits from and to, sorted by path. */
static int file_changes_of(file_changes *out, git_repository *repo, const git_oid *from,
	const git_oid *to, size_t limit, pc_error *err)
{
	git_tree *a = NULL, *b = NULL;
	int r;

	out->limit = limit;
	out->err = err;
	if ((r = commit_tree_of(&a, repo, from, err)) < 0 || (r = commit_tree_of(&b, repo, to, err)) < 0)
		goto done;
	r = pc_repo_diff_trees(repo, a, b, add_file_change, out, err);
done:
	git_tree_free(a);
	git_tree_free(b);
	return r;
}

static int change_cmp(const void *a, const void *b)
{
	return strcmp(((const file_change *)a)->path, ((const file_change *)b)->path);
}

static const file_change *find_change(const file_changes *l, const char *path)
{
	file_change key;

	key.path = (char *)path;
	return l->n ? bsearch(&key, l->v, l->n, sizeof(*l->v), change_cmp) : NULL;
}

static int same_change(const file_change *a, const file_change *b)
{
	return git_oid_equal(&a->old_id, &b->old_id) && git_oid_equal(&a->new_id, &b->new_id) &&
		a->old_mode == b->old_mode && a->new_mode == b->new_mode;
}

/* 1 when user is one of `principals` (users, or groups with or without '@'). */
static int principals_have(const pc_policy *p, const pc_strlist *principals, const char *user)
{
	size_t i;

	for (i = 0; i < principals->n; i++) {
		const char *name = principals->items[i][0] == '@' ? principals->items[i] + 1 : principals->items[i];
		const pc_group *g = pc_policy_group(p, name);

		if (g ? pc_strlist_has(&g->members, user) : !strcmp(name, user))
			return 1;
	}
	return 0;
}

/* What one user's approval is needed for, besides CODEOWNERS rules. */
typedef struct keep_scope {
	const char *user;
	int all;		/* the branch's approvers: the whole change */
	unsigned char *envs;	/* environments whose approvers include the user */
	int any_env;
} keep_scope;

/* 1 when a non-optional CODEOWNERS rule matching path names user (CODEOWNERS at OLD). */
static int owner_of(pc_ctx *ctx, approvals_state *s, const pc_codeowners *co, pc_co_match *m,
	size_t ns, const char *path, const char *user, int *out)
{
	pc_strlist users = PC_STRLIST_INIT;
	size_t i, j;

	*out = 0;
	if (!co)
		return 0;
	pc_codeowners_match(co, path, m);
	for (j = 0; j < ns && !*out; j++) {
		const pc_co_section *sec = pc_codeowners_section(co, m[j].section);
		const requirement *q = NULL;

		if (!m[j].rule || !m[j].owners || !m[j].owners->n || sec->optional)
			continue;
		for (i = 0; i < s->nreqs && !q; i++)
			if (s->reqs[i].rule == m[j].rule)
				q = &s->reqs[i];
		if (q) {
			*out = pc_strlist_has(&q->users, user);
			continue;
		}
		pc_strlist_clear(&users);
		for (i = 0; i < m[j].owners->n; i++)
			if (pc_policy_resolve_owner(ctx->policy, m[j].owners->items[i], &users) == PC_ENOMEM) {
				pc_strlist_clear(&users);
				return PC_ENOMEM;
			}
		*out = pc_strlist_has(&users, user);
	}
	pc_strlist_clear(&users);
	return 0;
}

/* 1 when the path's environments (row of a path_envs matrix) meet the user's. */
static int env_covers(const keep_scope *k, size_t m, const unsigned char *row, int shared)
{
	size_t j;

	if (!k->any_env)
		return 0;
	for (j = 0; j < m; j++)
		if (k->envs[j] && (shared || (row && row[j])))
			return 1;
	return 0;
}

typedef struct touched {
	const pc_strlist *paths;	/* sorted */
	const char *hit;
} touched;

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int touched_cb(const pc_tree_change *ch, void *payload)
{
	touched *t = payload;
	const char *key = ch->path;
	char **hit;

	if ((hit = bsearch(&key, t->paths->items, t->paths->n, sizeof(char *), str_cmp))) {
		t->hit = *hit;
		return 1;
	}
	return 0;
}

/*
 * Whether the target changed one of `covered` (sorted) since `fork`: each
 * commit of OLD --not fork against its first parent.  *why is set when it
 * did (or when that cannot be told within the limit).
 */
static int target_touched(pc_ctx *ctx, pc_change *c, const git_oid *fork, const pc_strlist *covered,
	pc_buf *why, pc_error *err)
{
	const pc_policy *p = ctx->policy;
	git_oid *ids = NULL;
	git_commit *commit = NULL;
	git_tree *tree = NULL, *parent = NULL;
	touched t;
	size_t n = 0, i;
	char label[128];
	int r;

	r = pc_repo_walk(&ids, &n, ctx->repo, &c->base, fork, 1, (size_t)p->limits.max_rebase_commits, err);
	if (r == PC_ELIMIT) {
		pc_buf_printf(why, "%s moved more than %llu commits since the approved commit forked from it "
			"(limits.max_rebase_commits)", c->u->ref, (unsigned long long)p->limits.max_rebase_commits);
		r = 0;
		goto done;
	}
	if (r < 0)
		goto done;
	t.paths = covered;
	for (i = 0; i < n; i++) {
		git_commit_free(commit);
		git_tree_free(tree);
		git_tree_free(parent);
		commit = NULL;
		tree = parent = NULL;
		if (git_commit_lookup(&commit, ctx->repo, &ids[i]) < 0 || git_commit_tree(&tree, commit) < 0 ||
		    (git_commit_parentcount(commit) &&
		     (r = commit_tree_of(&parent, ctx->repo, git_commit_parent_id(commit, 0), err)) < 0)) {
			r = r < 0 ? r : pc_error_set(err, PC_EIO, "cannot read commit: %s",
				git_error_last() ? git_error_last()->message : "unknown error");
			goto done;
		}
		t.hit = NULL;
		r = pc_repo_diff_trees(ctx->repo, parent, tree, touched_cb, &t, err);
		if (r < 0)
			goto done;
		if (t.hit) {
			pc_commit_label(label, sizeof(label), ctx->repo, &ids[i]);
			pc_buf_printf(why, "%s was changed on %s since the approved commit forked from it (commit %s)",
				t.hit, c->u->ref, label);
			break;
		}
	}
	r = 0;
done:
	git_commit_free(commit);
	git_tree_free(tree);
	git_tree_free(parent);
	free(ids);
	return r;
}

/* The pushed change, diff(OLD, NEW) sorted by path; each row is its index in c->paths. */
typedef struct pushed_change {
	int ready;
	file_changes changes;
} pushed_change;

/*
 * Does the approval of A (approved, its changes sorted; a_envs/a_shared
 * over them) cover the same change as the push, for user k->user?  *why
 * is empty when it does, and *covered the number of paths it covers.
 */
static int keep_compare(pc_ctx *ctx, pc_change *c, approvals_state *s, const keep_scope *k,
	const pc_codeowners *co, pc_co_match *m, size_t ns, const pushed_change *pc,
	const unsigned char *path_envs, const unsigned char *path_shared,
	const file_changes *approved, const unsigned char *a_envs, const unsigned char *a_shared,
	const git_oid *fork, size_t *covered_n, pc_buf *why, pc_error *err)
{
	const pc_policy *p = ctx->policy;
	size_t me = p->nenvironments, i;
	pc_strlist covered = PC_STRLIST_INIT;
	const file_change *f, *g;
	int r, own;

	*covered_n = 0;
	for (i = 0; i < pc->changes.n; i++) {
		size_t row;

		f = &pc->changes.v[i];
		row = f->row;
		if ((r = owner_of(ctx, s, co, m, ns, f->path, k->user, &own)) < 0)
			goto nomem;
		if (!own && !k->all && !env_covers(k, me, path_envs ? path_envs + row * me : NULL,
				path_shared && path_shared[row]))
			continue;
		++*covered_n;
		if (pc_strlist_add(&covered, f->path) < 0)
			goto nomem;
		if (!(g = find_change(approved, f->path))) {
			pc_buf_printf(why, "%s is changed by this push, not by the approved commit", f->path);
			goto out;
		}
		if (!same_change(f, g)) {
			pc_buf_printf(why, "%s differs from what was approved", f->path);
			goto out;
		}
	}
	for (i = 0; i < approved->n; i++) {
		f = &approved->v[i];
		if ((r = owner_of(ctx, s, co, m, ns, f->path, k->user, &own)) < 0)
			goto nomem;
		if (!own && !k->all && !env_covers(k, me, a_envs ? a_envs + f->row * me : NULL,
				a_shared && a_shared[f->row]))
			continue;
		if (!find_change(&pc->changes, f->path)) {
			pc_buf_printf(why, "%s is changed by the approved commit, not by this push", f->path);
			goto out;
		}
	}
	if (!*covered_n)
		goto out;
	/* Approved and pushed agree; the target must not have moved under them. */
	qsort(covered.items, covered.n, sizeof(char *), str_cmp);
	if ((r = target_touched(ctx, c, fork, &covered, why, err)) < 0)
		goto done;
out:
	r = pc_buf_error(why) ? pc_error_set(err, PC_ENOMEM, "out of memory") : 0;
	goto done;
nomem:
	r = pc_error_set(err, PC_ENOMEM, "out of memory");
done:
	pc_strlist_clear(&covered);
	return r;
}

typedef struct keep_candidate {
	git_oid tag, commit;
	int64_t time;
	const char *ref;
} keep_candidate;

/* Newest first (by the tagger time, which only orders), then by ref name. */
static int candidate_cmp(const void *a, const void *b)
{
	const keep_candidate *x = a, *y = b;

	if (x->time != y->time)
		return x->time > y->time ? -1 : 1;
	return strcmp(x->ref, y->ref);
}

/*
 * Without verifying anything: 1 when tag `id` looks like an approval of
 * commit `named` for exactly `target`, with *time its tagger time.  Only
 * the candidates it passes are verified (pc_approval_read) and compared.
 */
static int approval_peek(git_odb *odb, const git_oid *id, const git_oid *named, const char *target,
	int64_t *time)
{
	static const char magic[] = PC_APPROVAL_MAGIC "\n\ntarget: ";
	git_odb_object *obj = NULL;
	const char *raw, *end, *v, *sig;
	char hex[PC_HEX_MAX];
	size_t len, vlen, payload_len, sig_len, tlen = strlen(target), slen;
	int ok = 0;

	if (git_odb_read(&obj, odb, id) < 0) {
		git_error_clear();
		return 0;
	}
	if (git_odb_object_type(obj) != GIT_OBJECT_TAG)
		goto done;
	raw = git_odb_object_data(obj);
	len = git_odb_object_size(obj);
	if (pc_sshsig_split_tag(raw, len, &payload_len, &sig, &sig_len) < 0)
		goto done;
	end = raw + payload_len;
	git_oid_tostr(hex, sizeof(hex), named);
	if (!(v = tag_header(raw, end, "object", &vlen)) || vlen != GIT_OID_HEXSZ || memcmp(v, hex, vlen))
		goto done;
	slen = sizeof(magic) - 1 + tlen + 1;
	if (payload_len < slen + 2 || memcmp(end - slen, magic, sizeof(magic) - 1) ||
	    memcmp(end - 1 - tlen, target, tlen) || end[-1] != '\n' || end[-slen - 1] != '\n' ||
	    end[-slen - 2] != '\n')
		goto done;
	v = tag_header(raw, end, "tagger", &vlen);
	*time = v ? tagger_time(v, vlen) : -1;
	ok = 1;
done:
	git_odb_object_free(obj);
	return ok;
}

/* 1 when a requirement that user can help meet is not met yet. */
static int keep_wanted(const approvals_state *s, const char *user)
{
	size_t i, j;
	int count;

	for (i = 0; i < s->nreqs; i++) {
		const requirement *q = &s->reqs[i];

		if (user && !pc_strlist_has(&q->users, user))
			continue;
		for (j = 0, count = 0; j < s->approvers.n; j++)
			count += pc_strlist_has(&q->users, s->approvers.items[j]);
		if (count < q->need)
			return 1;
	}
	return 0;
}

/* Why user's approval for commit `hex` does not carry over (the first, newest, one said). */
static int keep_refused(approvals_state *s, const char *user, const git_oid *commit, const char *why)
{
	char hex[8];
	char *msg;
	int r;

	if (pc_strlist_has(&s->kept_users, user))
		return 0;
	pc_oid_short(hex, commit);
	if (!(msg = pc_asprintf("%s's approval for %s does not carry over: %s", user, hex, why)))
		return PC_ENOMEM;
	r = pc_strlist_add(&s->kept_why, msg) < 0 || pc_strlist_add(&s->kept_users, user) < 0 ? PC_ENOMEM : 0;
	free(msg);
	return r;
}

/* Approval refs of other commits that name this ref as their target, newest first. */
static int keep_candidates(pc_ctx *ctx, pc_change *c, keep_candidate **out, size_t *nout, pc_error *err)
{
	const pc_push *push = ctx->push;
	static const size_t plen = sizeof(APPROVAL_REF_PREFIX) - 1;
	keep_candidate *v = NULL;
	size_t n = 0, alloc = 0, i, pass;
	git_odb *odb = NULL;
	git_oid named;
	int64_t t;
	int r;

	*out = NULL;
	*nout = 0;
	if (git_repository_odb(&odb, ctx->repo) < 0) {
		r = pc_error_set(err, PC_EIO, "cannot open the object database: %s",
			git_error_last() ? git_error_last()->message : "unknown error");
		goto done;
	}
	for (pass = 0; pass < 2; pass++) {
		size_t nrefs = pass ? push->nupdates : ctx->refs.n;

		for (i = 0; i < nrefs; i++) {
			const char *ref = pass ? push->updates[i].ref : ctx->refs.names[i];
			const git_oid *id = pass ? &push->updates[i].new_id : &ctx->refs.targets[i];
			const char *name = ref + plen;

			if (strncmp(ref, APPROVAL_REF_PREFIX, plen) || git_oid_is_zero(id) ||
			    strlen(name) <= GIT_OID_HEXSZ || name[GIT_OID_HEXSZ] != '/' ||
			    strspn(name, "0123456789abcdef") != GIT_OID_HEXSZ ||
			    git_oid_fromstrn(&named, name, GIT_OID_HEXSZ) < 0 || git_oid_equal(&named, &c->u->new_id))
				continue;
			if (pass ? pc_refs_get(&ctx->refs, ref) || !pc_ctx_applies(ctx, i) : deleted_by_push(push, ref))
				continue;
			if (!approval_peek(odb, id, &named, c->u->ref, &t))
				continue;
			if (pc_grow((void **)&v, &alloc, n + 1, sizeof(*v)) < 0) {
				r = pc_error_set(err, PC_ENOMEM, "out of memory");
				goto done;
			}
			git_oid_cpy(&v[n].tag, id);
			git_oid_cpy(&v[n].commit, &named);
			v[n].time = t;
			v[n].ref = ref;
			n++;
		}
	}
	if (n)
		qsort(v, n, sizeof(*v), candidate_cmp);
	*out = v;
	*nout = n;
	v = NULL;
	r = 0;
done:
	free(v);
	git_odb_free(odb);
	return r;
}

/* The environments each approved path reaches, at the approved commit (as for the push at NEW). */
static int approved_envs(pc_ctx *ctx, pc_change *c, const git_oid *fork, const git_oid *commit,
	const file_changes *approved, unsigned char **envs, unsigned char **shared, pc_error *err)
{
	pc_update fake = *c->u;
	pc_change syn;
	size_t i;
	int r;

	memset(&syn, 0, sizeof(syn));
	git_oid_cpy(&fake.new_id, commit);
	syn.u = &fake;
	syn.v = c->v;
	syn.short_name = c->short_name;
	syn.branch = c->branch;
	git_oid_cpy(&syn.base, fork);
	syn.have_paths = 1;
	for (i = 0; i < approved->n; i++)
		if (pc_strlist_add(&syn.paths, approved->v[i].path) < 0) {
			pc_strlist_clear(&syn.paths);
			return pc_error_set(err, PC_ENOMEM, "out of memory");
		}
	r = pc_overlay_path_envs(envs, shared, NULL, ctx, &syn, err);
	pc_strlist_clear(&syn.paths);
	return r;
}

/*
 * One candidate approval (verified, of user k->user for commit A): counts
 * it, or says why not in the hint.
 */
static int keep_one(pc_ctx *ctx, pc_change *c, approvals_state *s, keep_scope *k,
	const pc_approval_obj *a, const pc_codeowners *co, pc_co_match *m, size_t ns,
	pushed_change *pushed, const unsigned char *path_envs, const unsigned char *path_shared,
	pc_error *err)
{
	const pc_policy *p = ctx->policy;
	file_changes approved;
	unsigned char *a_envs = NULL, *a_shared = NULL;
	pc_buf why = PC_BUF_INIT;
	pc_error e = PC_ERROR_INIT;
	char hex[PC_HEX_MAX];
	git_oid fork;
	size_t i, covered = 0;
	int r;

	memset(&approved, 0, sizeof(approved));
	r = git_merge_base(&fork, ctx->repo, &a->commit, &c->base);
	if (r == GIT_ENOTFOUND) {
		git_error_clear();
		pc_buf_printf(&why, "it shares no history with %s", c->u->ref);
		goto refuse;
	}
	if (r < 0) {
		pc_buf_printf(&why, "the approved commit cannot be read: %s",
			git_error_last() ? git_error_last()->message : "unknown error");
		git_error_clear();
		goto refuse;
	}
	if (git_oid_equal(&fork, &a->commit)) {
		r = 0;	/* already on the target: the approval was used up there */
		goto done;
	}
	if (!pushed->ready) {
		r = file_changes_of(&pushed->changes, ctx->repo, &c->base, &c->u->new_id,
			(size_t)p->limits.max_paths, err);
		if (r < 0)
			goto done;
		if (pushed->changes.n != c->paths.n) {
			r = pc_error_set(err, PC_EINVAL, "the changed paths of %s were counted twice differently",
				c->u->ref);
			goto done;
		}
		for (i = 0; i < pushed->changes.n; i++)
			if (strcmp(pushed->changes.v[i].path, c->paths.items[i])) {
				r = pc_error_set(err, PC_EINVAL, "the changed paths of %s were listed twice differently",
					c->u->ref);
				goto done;
			}
		qsort(pushed->changes.v, pushed->changes.n, sizeof(file_change), change_cmp);
		pushed->ready = 1;
	}
	r = file_changes_of(&approved, ctx->repo, &fork, &a->commit, (size_t)p->limits.max_paths, &e);
	if (r == PC_ENOMEM) {
		r = pc_error_set(err, r, "out of memory");
		goto done;
	}
	if (r < 0) {
		pc_buf_printf(&why, "the approved change cannot be read: %s%s", e.msg,
			r == PC_ELIMIT ? " (limits.max_paths)" : "");
		goto refuse;
	}
	qsort(approved.v, approved.n, sizeof(file_change), change_cmp);
	for (i = 0; i < approved.n; i++)
		approved.v[i].row = i;
	if (k->any_env && (r = approved_envs(ctx, c, &fork, &a->commit, &approved, &a_envs, &a_shared, &e)) < 0) {
		if (r == PC_ENOMEM) {
			r = pc_error_set(err, r, "out of memory");
			goto done;
		}
		pc_buf_printf(&why, "cannot tell which environments the approved change reaches: %s", e.msg);
		goto refuse;
	}
	if ((r = keep_compare(ctx, c, s, k, co, m, ns, pushed, path_envs, path_shared, &approved,
			a_envs, a_shared, &fork, &covered, &why, err)) < 0)
		goto done;
	if (why.len)
		goto refuse;
	if (covered) {
		/* Counted as a signature for what it approved; the bars of NEW's commits still apply. */
		git_oid_tostr(hex, sizeof(hex), &a->commit);
		if (add_approver(s, p->self_approval, a->user) < 0 ||
		    (pc_strlist_has(&s->approvers, a->user) && !pc_verdict_has_approver(c->v, a->user) &&
		     pc_verdict_add_approval_for(c->v, a->user, "signature", a->fingerprint, a->object, hex) < 0))
			goto nomem;
	}
	r = 0;
	goto done;
refuse:
	if (pc_buf_error(&why) || keep_refused(s, a->user, &a->commit, why.ptr) < 0)
		goto nomem;
	r = 0;
	goto done;
nomem:
	r = pc_error_set(err, PC_ENOMEM, "out of memory");
done:
	free(a_envs);
	free(a_shared);
	file_changes_clear(&approved);
	pc_buf_release(&why);
	return r;
}

/*
 * approvals.keep_on_rebase, when a requirement is not met by approvals of
 * NEW: look at up to limits.max_approval_candidates approvals of other
 * commits for this ref, newest first.
 */
static int keep_approvals(pc_ctx *ctx, pc_change *c, approvals_state *s, const pc_codeowners *co,
	pc_co_match *m, size_t ns, const unsigned char *path_envs, const unsigned char *path_shared,
	pc_error *err)
{
	const pc_policy *p = ctx->policy;
	keep_candidate *cand = NULL;
	pushed_change pushed;
	keep_scope k;
	pc_approval_obj mine;
	const pc_approval_obj *a;
	const char *why;
	size_t n = 0, i, j, tried = 0;
	int ok, r;

	memset(&pushed, 0, sizeof(pushed));
	memset(&k, 0, sizeof(k));
	if ((r = keep_candidates(ctx, c, &cand, &n, err)) < 0)
		goto done;
	if (p->nenvironments && !(k.envs = pc_calloc(p->nenvironments, 1)))
		goto nomem;
	for (i = 0; i < n && tried < p->limits.max_approval_candidates; i++) {
		tried++;
		if ((r = approval_get(ctx, &cand[i].tag, &a, &ok, &why, err)) < 0)
			goto done;
		if (!ok || strcmp(a->target, c->u->ref) || !git_oid_equal(&a->commit, &cand[i].commit))
			continue;
		if (pc_strlist_has(&s->approvers, a->user) || pc_strlist_has(&s->excluded, a->user) ||
		    !keep_wanted(s, a->user))
			continue;
		if (!p->self_approval && find_barred(s, a->user)) {
			if (add_approver(s, 0, a->user) < 0)	/* the hint says why they cannot */
				goto nomem;
			continue;
		}
		/* A copy: reading more approvals may move the cache's entries (the strings stay). */
		mine = *a;
		k.user = mine.user;
		k.all = c->branch && principals_have(p, &c->branch->approvers, k.user);
		k.any_env = 0;
		for (j = 0; j < p->nenvironments; j++) {
			k.envs[j] = (unsigned char)principals_have(p, &p->environments[j].approvers, k.user);
			k.any_env |= k.envs[j];
		}
		if ((r = keep_one(ctx, c, s, &k, &mine, co, m, ns, &pushed, path_envs, path_shared, err)) < 0)
			goto done;
		if (!keep_wanted(s, NULL))
			break;
	}
	r = 0;
	goto done;
nomem:
	r = pc_error_set(err, PC_ENOMEM, "out of memory");
done:
	free(k.envs);
	file_changes_clear(&pushed.changes);
	free(cand);
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
	if (p->keep_on_rebase && !git_oid_is_zero(&c->base) && keep_wanted(&s, NULL) &&
	    (r = keep_approvals(ctx, c, &s, co, m, ns, path_envs, path_shared, err)) < 0)
		goto done;
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
