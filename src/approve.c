/*
 * approve.c: who approved an update, and whether every CODEOWNERS
 * requirement of the change is met (DESIGN.md section 5).
 *
 * Owners always come from CODEOWNERS at the base commit, never from the
 * pushed content, so nobody approves their own change by editing it.
 */
#include "approve.h"
#include "codeowners.h"
#include "overlay.h"
#include "buf.h"

#include <stdlib.h>
#include <string.h>

#define MAX_LISTED 5
#define APPROVAL_REF_PREFIX "refs/approvals/"

struct pc_keyring {
	struct keyring_entry {
		const char *user;
		pc_sshkey *key;
	} *keys;
	size_t n, alloc;
	pc_signers *signers;
};

void pc_keyring_free(struct pc_keyring *k)
{
	size_t i;

	if (!k)
		return;
	for (i = 0; i < k->n; i++)
		pc_sshkey_free(k->keys[i].key);
	free(k->keys);
	pc_signers_free(k->signers);
	free(k);
}

static int keyring_load(pc_ctx *ctx, pc_error *err)
{
	const pc_policy *p = ctx->policy;
	struct pc_keyring *k;
	pc_diag diags = PC_DIAG_INIT;
	size_t i, j;
	int r;

	if (ctx->keyring)
		return 0;
	if (!(k = pc_calloc(1, sizeof(*k))))
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	ctx->keyring = k;
	for (i = 0; i < p->nusers; i++) {
		for (j = 0; j < p->users[i].keys.n; j++) {
			pc_sshkey *key = NULL;
			if ((r = pc_sshkey_parse(&key, p->users[i].keys.items[j], err)) < 0)
				return pc_error_prefix(err, "users.%s.keys", p->users[i].name);
			if (pc_grow((void **)&k->keys, &k->alloc, k->n + 1, sizeof(*k->keys)) < 0) {
				pc_sshkey_free(key);
				return pc_error_set(err, PC_ENOMEM, "out of memory");
			}
			k->keys[k->n].user = p->users[i].name;
			k->keys[k->n++].key = key;
		}
	}
	if (p->allowed_signers) {
		if ((r = pc_signers_load(&k->signers, p->allowed_signers, &diags)) < 0) {
			pc_diag_to_error(&diags, err);
			pc_diag_clear(&diags);
			return r;
		}
		pc_diag_clear(&diags);
	}
	return 0;
}

int pc_keyring_user(pc_ctx *ctx, const pc_sshkey *key, int64_t when, const char **user,
	pc_error *err)
{
	const pc_user *u;
	size_t i;
	int r;

	*user = NULL;
	if ((r = keyring_load(ctx, err)) < 0)
		return r;
	for (i = 0; i < ctx->keyring->n; i++)
		if (pc_sshkey_equal(ctx->keyring->keys[i].key, key)) {
			*user = ctx->keyring->keys[i].user;
			return 0;
		}
	if (!ctx->keyring->signers)
		return 0;
	/*
	 * Principals in allowed_signers are patterns (e.g. *@ops.example.com):
	 * ask for each user's email, as ssh-keygen -Y verify -I would.
	 */
	for (i = 0; i < ctx->policy->nusers; i++) {
		u = &ctx->policy->users[i];
		if (u->email && pc_signers_allows(ctx->keyring->signers, key, u->email, "git", when) == 1) {
			*user = u->name;
			break;
		}
	}
	return 0;
}

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

/* Seconds from a tagger line "Name <email> 1700000000 +0000". */
static int64_t tagger_time(const char *v, size_t len)
{
	const char *gt = NULL, *p;
	int64_t t = 0;

	for (p = v; p < v + len; p++)
		if (*p == '>')
			gt = p;
	if (!gt)
		return 0;
	for (p = gt + 1; p < v + len && *p == ' '; p++)
		;
	for (; p < v + len && *p >= '0' && *p <= '9'; p++) {
		/* the signer wrote this line: a number past int64 is no time */
		if (t > (INT64_MAX - (*p - '0')) / 10)
			return 0;
		t = t * 10 + (*p - '0');
	}
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
	v = tag_header(raw, end, "tagger", &vlen);
	if ((r = pc_keyring_user(ctx, signer, v ? tagger_time(v, vlen) : 0, &user, err)) < 0)
		goto done;
	if (!user) {
		snprintf(why, why_size, "it is signed by %s, a key of no user of the policy", out->fingerprint);
		r = 0;
		goto done;
	}
	out->user = user;
	git_oid_tostr(out->object, sizeof(out->object), tag_id);
	*ok = 1;
	r = 0;
done:
	if (!*ok && r == 0) {
		free(out->target);
		out->target = NULL;
	}
	pc_sshkey_free(signer);
	git_odb_object_free(obj);
	git_odb_free(odb);
	return r;
}

int pc_approval_ref_check(pc_ctx *ctx, pc_change *c, pc_error *err)
{
	const char *name = c->short_name, *slash;
	pc_approval_obj a;
	git_oid named;
	char why[512];
	int ok, r;

	slash = strchr(name, '/');
	if (!slash || slash - name != GIT_OID_HEXSZ || !slash[1] ||
	    git_oid_fromstrn(&named, name, GIT_OID_HEXSZ) < 0)
		return pc_verdict_reject(c->v, "approval", "use refs/approvals/<full commit id>/<name>",
			"%s is not refs/approvals/<commit-id>/<name>", c->u->ref);
	if (c->v->op == PC_OP_DELETE) {
		if (ctx->push->pusher && pc_policy_is_admin(ctx->policy, ctx->push->pusher))
			return 0;
		return pc_verdict_reject(c->v, "approval", NULL,
			"approval %s can only be deleted by admins", c->u->ref);
	}
	if (c->v->op != PC_OP_CREATE)
		return pc_verdict_reject(c->v, "approval", "push a new approval under another name",
			"approval refs are create-only: %s already exists", c->u->ref);
	if (!ctx->push->pusher || !pc_policy_user(ctx->policy, ctx->push->pusher))
		return pc_verdict_reject(c->v, "approval", "push as a user the policy knows",
			"approvals may only be pushed by a known user");
	if ((r = pc_approval_read(ctx, &c->u->new_id, &a, &ok, why, sizeof(why), err)) < 0)
		return r;
	if (!ok)
		return pc_verdict_reject(c->v, "approval",
			"make approvals with policy-check approve, or git tag -s as policy-check(1) shows",
			"%s is not a valid approval: %s", c->u->ref, why);
	if (!git_oid_equal(&a.commit, &named)) {
		pc_approval_obj_release(&a);
		return pc_verdict_reject(c->v, "approval", NULL,
			"%s approves another commit than its name says", c->u->ref);
	}
	r = pc_verdict_add_approval(c->v, a.user, "signature", a.fingerprint, a.object);
	pc_approval_obj_release(&a);
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

typedef struct approvals_state {
	pc_strlist approvers;		/* users who approved (after self-approval exclusion) */
	pc_strlist excluded;		/* authors who approved but do not count */
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
	free(s->reqs);
	pc_strlist_clear(&s->approvers);
	pc_strlist_clear(&s->excluded);
	pc_strlist_clear(&s->unowned);
	pc_strlist_clear(&s->labels);
}

static int add_approver(approvals_state *s, const pc_strlist *authors, const char *user)
{
	pc_strlist *to = authors && pc_strlist_has(authors, user) ? &s->excluded : &s->approvers;

	if (pc_strlist_has(to, user))
		return 0;
	return pc_strlist_add(to, user);
}

/* Authors (by email) of the non-merge commits of the update. */
static int collect_authors(pc_ctx *ctx, pc_change *c, pc_strlist *authors, pc_error *err)
{
	git_commit *commit = NULL;
	const pc_user *u;
	size_t i;

	for (i = 0; i < c->nbranch_new; i++) {
		if (git_commit_lookup(&commit, ctx->repo, &c->branch_new[i]) < 0)
			return pc_error_set(err, PC_EIO, "cannot read commit: %s",
				git_error_last() ? git_error_last()->message : "unknown error");
		if (git_commit_parentcount(commit) <= 1 && git_commit_author(commit) &&
		    (u = pc_policy_user_by_email(ctx->policy, git_commit_author(commit)->email)) &&
		    !pc_strlist_has(authors, u->name) && pc_strlist_add(authors, u->name) < 0) {
			git_commit_free(commit);
			return pc_error_set(err, PC_ENOMEM, "out of memory");
		}
		git_commit_free(commit);
	}
	return 0;
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
	pc_strlist authors = PC_STRLIST_INIT;
	char prefix[128], why[512];
	pc_approval_obj a;
	size_t i, pass;
	int ok, r = 0;

	if (!p->self_approval && (r = collect_authors(ctx, c, &authors, err)) < 0)
		goto done;
	if (p->pusher_is_approval && push->pusher && pc_policy_user(p, push->pusher)) {
		if (add_approver(s, p->self_approval ? NULL : &authors, push->pusher) < 0)
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
			if ((r = pc_approval_read(ctx, id, &a, &ok, why, sizeof(why), err)) < 0)
				goto done;
			if (ok && !strcmp(a.target, c->u->ref) && git_oid_equal(&a.commit, &c->u->new_id)) {
				if (!pc_strlist_has(&s->approvers, a.user) && !pc_strlist_has(&authors, a.user) &&
				    pc_verdict_add_approval(c->v, a.user, "signature", a.fingerprint, a.object) < 0) {
					pc_approval_obj_release(&a);
					goto nomem;
				}
				r = add_approver(s, p->self_approval ? NULL : &authors, a.user);
			}
			pc_approval_obj_release(&a);
			if (r < 0)
				goto nomem;
		}
	}
	r = 0;
	goto done;
nomem:
	r = pc_error_set(err, PC_ENOMEM, "out of memory");
done:
	pc_strlist_clear(&authors);
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
	char short_new[8];
	size_t i;
	int count, r;

	approvers_text(&have, q, &s->approvers, &count);
	if (count >= q->need) {
		pc_buf_release(&have);
		return 0;
	}
	git_oid_tostr(short_new, sizeof(short_new), &c->u->new_id);
	for (i = 0; i < q->users.n; i++)
		pc_buf_printf(&who, "%s%s", i ? ", " : "", q->users.items[i]);
	pc_buf_printf(&hint, "policy-check approve %s --target %s", short_new, c->u->ref);
	if (q->users.n)
		pc_buf_printf(&hint, " (by %s%s)", q->need > 1 ? "any of " : "one of ", who.ptr);
	else
		pc_buf_printf(&hint, " (the owners name no user of the policy: fix CODEOWNERS)");
	for (i = 0; i < s->excluded.n; i++)
		if (pc_strlist_has(&q->users, s->excluded.items[i]))
			pc_buf_printf(&hint, "; %s authored commits of this push and cannot approve it",
				s->excluded.items[i]);
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
