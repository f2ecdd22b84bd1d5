/*
 * verdict.c: building verdicts.
 */
#include "verdict.h"
#include "util.h"
#include "buf.h"

#include <stdlib.h>
#include <string.h>

const char *pc_op_name(pc_op op)
{
	switch (op) {
	case PC_OP_CREATE: return "create";
	case PC_OP_UPDATE: return "update";
	case PC_OP_FORCE: return "force";
	case PC_OP_DELETE: return "delete";
	}
	return "update";
}

int pc_verdict_init(pc_verdict *v, const char *ref, const char *old_hex, const char *new_hex)
{
	memset(v, 0, sizeof(*v));
	if (!(v->ref = pc_strdup(ref)))
		return PC_ENOMEM;
	snprintf(v->old_hex, sizeof(v->old_hex), "%s", old_hex);
	snprintf(v->new_hex, sizeof(v->new_hex), "%s", new_hex);
	v->accept = 1;
	return 0;
}

static void reason_release(pc_reason *r)
{
	free(r->rule);
	free(r->message);
	free(r->hint);
}

static void approval_release(pc_approval *a)
{
	free(a->user);
	free(a->via);
	free(a->key);
	free(a->object);
	free(a->made_for);
}

static int add_reason(pc_verdict *v, const char *rule, const char *hint, const char *fmt, va_list ap)
{
	pc_reason *r;
	pc_buf msg = PC_BUF_INIT;

	/* Reject first: even when the reason cannot be stored, the verdict stands. */
	v->violations++;
	v->accept = 0;
	if (pc_grow((void **)&v->reasons, &v->areasons, v->nreasons + 1, sizeof(*v->reasons)) < 0)
		return PC_ENOMEM;
	pc_buf_vprintf(&msg, fmt, ap);
	if (pc_buf_error(&msg)) {
		pc_buf_release(&msg);
		return PC_ENOMEM;
	}
	r = &v->reasons[v->nreasons];
	r->rule = pc_strdup(rule);
	r->message = pc_buf_detach(&msg);
	r->hint = hint ? pc_strdup(hint) : NULL;
	if (!r->rule || !r->message || (hint && !r->hint)) {
		reason_release(r);
		return PC_ENOMEM;
	}
	v->nreasons++;
	return 0;
}

int pc_verdict_reject(pc_verdict *v, const char *rule, const char *hint, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = add_reason(v, rule, hint, fmt, ap);
	va_end(ap);
	return r;
}

int pc_verdict_internal(pc_verdict *v, const char *hint, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	v->internal++;
	r = add_reason(v, "internal", hint, fmt, ap);
	va_end(ap);
	return r;
}

int pc_verdict_add_approval(pc_verdict *v, const char *user, const char *via,
	const char *key, const char *object)
{
	return pc_verdict_add_approval_for(v, user, via, key, object, NULL);
}

int pc_verdict_add_approval_for(pc_verdict *v, const char *user, const char *via,
	const char *key, const char *object, const char *made_for)
{
	pc_approval *a;

	if (pc_grow((void **)&v->approvals, &v->aapprovals, v->napprovals + 1, sizeof(*v->approvals)) < 0)
		return PC_ENOMEM;
	a = &v->approvals[v->napprovals];
	a->user = pc_strdup(user);
	a->via = pc_strdup(via);
	a->key = key ? pc_strdup(key) : NULL;
	a->object = object ? pc_strdup(object) : NULL;
	a->made_for = made_for ? pc_strdup(made_for) : NULL;
	if (!a->user || !a->via || (key && !a->key) || (object && !a->object) ||
	    (made_for && !a->made_for)) {
		approval_release(a);
		return PC_ENOMEM;
	}
	v->napprovals++;
	return 0;
}

int pc_verdict_has_approver(const pc_verdict *v, const char *user)
{
	size_t i;

	for (i = 0; i < v->napprovals; i++)
		if (!strcmp(v->approvals[i].user, user))
			return 1;
	return 0;
}

void pc_reasons_free(pc_reason *reasons, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		reason_release(&reasons[i]);
	free(reasons);
}

void pc_approvals_free(pc_approval *approvals, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		approval_release(&approvals[i]);
	free(approvals);
}

void pc_verdict_release(pc_verdict *v)
{
	pc_reasons_free(v->reasons, v->nreasons);
	pc_approvals_free(v->approvals, v->napprovals);
	free(v->ref);
	free(v->break_glass);
	free(v->codeowners);
	pc_strlist_clear(&v->hotfix_commits);
	pc_strlist_clear(&v->hotfix_branches);
	pc_strlist_clear(&v->hotfix_follow_up);
	memset(v, 0, sizeof(*v));
}
