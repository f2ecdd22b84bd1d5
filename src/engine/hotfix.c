/*
 * hotfix.c: a protected branch's `hotfix_from` (doc/policy-check-policy.5,
 * HOTFIXES).  A commit of the update that is not on a required branch
 * skips `require` when a branch matching hotfix_from reaches it after this
 * push and no other branch does: a commit some feature branch or
 * protected branch also holds is work that must go the usual way, not a
 * hotfix, whatever the branch that carries it is called.  Everything else
 * (from, approvals, rules, clean merges) applies as to any update.  The
 * commits that skipped are recorded in the verdict, with the branches of
 * the require chain they must still be merged into: the follow-ups that
 * status and audit reconcile report.
 */
#include "engine.h"
#include "hotfix.h"
#include "buf.h"

#include <stdlib.h>
#include <string.h>

#define MAX_LISTED 5
/* Bounds of the work that only names the hotfix branches in messages. */
#define MAX_NAMED 8
#define MAX_EXAMINED 64
#define MAX_PROBED 32
/* Depth of the require chain followed for follow-ups. */
#define MAX_CHAIN 16

static int match_any(const pc_strlist *patterns, const char *name)
{
	size_t i;

	for (i = 0; i < patterns->n; i++)
		if (pc_glob_match(patterns->items[i], name))
			return 1;
	return 0;
}

static int record_skip(pc_hotfix_state *s, pc_verdict *v, const git_oid *id, pc_error *err)
{
	char hex[GIT_OID_HEXSZ + 1];
	int r;

	if ((r = pc_oidset_add(&s->recorded, id)) <= 0)
		return r < 0 ? pc_error_set(err, PC_ENOMEM, "out of memory") : 0;
	git_oid_tostr(hex, sizeof(hex), id);
	if (pc_grow((void **)&s->skipped, &s->askipped, s->nskipped + 1, sizeof(*s->skipped)) < 0 ||
	    pc_strlist_add(&v->hotfix_commits, hex) < 0)
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	git_oid_cpy(&s->skipped[s->nskipped++], id);
	return 0;
}

int pc_hotfix_skip(pc_hotfix_state *s, pc_ctx *ctx, pc_change *c, const char *required,
	git_oid *miss, size_t *nmiss, pc_error *err)
{
	static char all_branches[] = "**";
	char *all_items[] = { all_branches };
	const pc_strlist all = { all_items, 1, 1 };
	const pc_branch *b = c->branch;
	pc_buf hot = PC_BUF_INIT, what = PC_BUF_INIT, hint = PC_BUF_INIT;
	char label[128];
	size_t i, keep = 0, shared = 0;
	int r = PC_ERROR;

	if (!s->ready) {
		if ((r = pc_promote_reachable(&s->hot, ctx, c, &b->hotfix_from, NULL, err)) < 0 ||
		    (r = pc_promote_reachable(&s->other, ctx, c, &all, &b->hotfix_from, err)) < 0)
			goto done;
		s->ready = 1;
	}
	for (i = 0; i < b->hotfix_from.n; i++)
		pc_buf_printf(&hot, "%s%s", i ? ", " : "", b->hotfix_from.items[i]);
	pc_buf_printf(&what, "is on %s but also on another branch, so it is no hotfix commit; "
		"%s takes only changes already on %s", hot.ptr, b->name, required);
	pc_buf_printf(&hint, "merge it into %s first, or make the fix anew on the hotfix branch "
		"(only commits that no other branch holds may skip %s)", required, required);
	for (i = 0; i < *nmiss; i++) {
		if (!pc_oidset_has(&s->hot, &miss[i])) {
			miss[keep++] = miss[i];
			continue;
		}
		if (!pc_oidset_has(&s->other, &miss[i])) {
			if ((r = record_skip(s, c->v, &miss[i], err)) < 0)
				goto done;
			continue;
		}
		if (shared++ >= MAX_LISTED)
			continue;
		pc_commit_label(label, sizeof(label), ctx->repo, &miss[i]);
		if ((r = pc_verdict_reject(c->v, "promotion", hint.ptr, "commit %s %s", label, what.ptr)) < 0)
			goto done;
	}
	if (shared > MAX_LISTED &&
	    (r = pc_verdict_reject(c->v, "promotion", hint.ptr, "and %zu more commits %s",
			shared - MAX_LISTED, what.ptr)) < 0)
		goto done;
	if (pc_buf_error(&hot) || pc_buf_error(&what) || pc_buf_error(&hint)) {
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
	*nmiss = keep;
	r = 0;
done:
	pc_buf_release(&hot);
	pc_buf_release(&what);
	pc_buf_release(&hint);
	return r;
}

int pc_hotfix_chain(pc_strlist *out, const pc_policy *p, const pc_branch *b)
{
	const pc_branch *next;
	size_t k, i;

	for (i = 0; i < b->require.n; i++)
		if (strcmp(b->require.items[i], b->name) && !pc_strlist_has(out, b->require.items[i]) &&
		    pc_strlist_add(out, b->require.items[i]) < 0)
			return PC_ENOMEM;
	for (k = 0; k < out->n && out->n < MAX_CHAIN; k++) {
		if (pc_is_glob(out->items[k]) || !(next = pc_policy_branch(p, out->items[k])))
			continue;
		for (i = 0; i < next->require.n; i++)
			if (strcmp(next->require.items[i], b->name) &&
			    !pc_strlist_has(out, next->require.items[i]) &&
			    pc_strlist_add(out, next->require.items[i]) < 0)
				return PC_ENOMEM;
	}
	return 0;
}

/* 1 when the branch at `tip` holds one of the (first MAX_PROBED) skipped commits. */
static int holds_skipped(const pc_hotfix_state *s, pc_ctx *ctx, const git_oid *tip)
{
	size_t j;

	for (j = 0; j < s->nskipped && j < MAX_PROBED; j++)
		if (git_oid_equal(tip, &s->skipped[j]) ||
		    git_graph_descendant_of(ctx->repo, tip, &s->skipped[j]) == 1)
			return 1;
	git_error_clear();
	return 0;
}

/* The hotfix branches (after this push) that hold skipped commits, for the messages. */
static int name_branches(pc_strlist *out, const pc_hotfix_state *s, pc_ctx *ctx, const pc_branch *b)
{
	const pc_push *push = ctx->push;
	const git_oid *tip;
	const char *name;
	size_t i, examined = 0;

	for (i = 0; i < ctx->refs.n + push->nupdates && out->n < MAX_NAMED && examined < MAX_EXAMINED; i++) {
		if (i < ctx->refs.n) {
			name = ctx->refs.names[i];
			tip = pc_ctx_tip_after(ctx, name);
		} else {
			/* branches this push creates */
			name = push->updates[i - ctx->refs.n].ref;
			tip = &push->updates[i - ctx->refs.n].new_id;
			if (pc_refs_get(&ctx->refs, name) || git_oid_is_zero(tip) ||
			    !pc_ctx_applies(ctx, i - ctx->refs.n))
				continue;
		}
		if (!tip || strncmp(name, "refs/heads/", 11) || !match_any(&b->hotfix_from, name + 11) ||
		    pc_strlist_has(out, name + 11))
			continue;
		examined++;
		if (holds_skipped(s, ctx, tip) && pc_strlist_add(out, name + 11) < 0)
			return PC_ENOMEM;
	}
	return 0;
}

int pc_hotfix_follow_ups(pc_hotfix_state *s, pc_ctx *ctx, pc_change *c, pc_error *err)
{
	if (!s->nskipped)
		return 0;
	if (pc_hotfix_chain(&c->v->hotfix_follow_up, ctx->policy, c->branch) < 0 ||
	    name_branches(&c->v->hotfix_branches, s, ctx, c->branch) < 0)
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	return 0;
}

void pc_hotfix_state_release(pc_hotfix_state *s)
{
	pc_oidset_clear(&s->hot);
	pc_oidset_clear(&s->other);
	pc_oidset_clear(&s->recorded);
	free(s->skipped);
	memset(s, 0, sizeof(*s));
}

void pc_hotfix_text(pc_buf *out, const pc_strlist *branches, size_t ncommits, const char *target,
	const pc_strlist *missing)
{
	size_t i;

	if (!strncmp(target, "refs/heads/", 11))
		target += 11;
	for (i = 0; i < branches->n; i++)
		pc_buf_printf(out, "%s%s", i ? ", " : "", branches->items[i]);
	if (!branches->n)
		pc_buf_puts(out, "(a hotfix branch since deleted)");
	pc_buf_printf(out, ": %zu commit%s on %s not yet on ", ncommits, ncommits == 1 ? "" : "s", target);
	for (i = 0; i < missing->n; i++)
		pc_buf_printf(out, "%s%s", i ? ", " : "", missing->items[i]);
	pc_buf_puts(out, ": merge ");
	if (branches->n == 1)
		pc_buf_puts(out, branches->items[0]);
	else
		pc_buf_puts(out, branches->n ? "those branches" : "the commits");
	pc_buf_puts(out, " into ");
	for (i = missing->n; i > 0; i--)
		pc_buf_printf(out, "%s%s", missing->items[i - 1],
			i == 1 ? "" : i == 2 ? ", then " : ", ");
}
