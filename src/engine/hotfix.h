/*
 * hotfix.h: the words of a hotfix follow-up, shared by the pusher's
 * report, `policy-check status` and `policy-check audit reconcile`.
 */
#ifndef PC_HOTFIX_H
#define PC_HOTFIX_H

#include "buf.h"
#include "policy.h"
#include "util.h"

/*
 * Append "hotfix/x: 2 commits on main not yet on staging, develop: merge
 * hotfix/x into develop, then staging" to out.  `missing` lists the
 * branches still without them, nearest to `target` first; the merges are
 * named in the order the require chain accepts them, farthest first.
 * `target` may be a full ref name.  Names are copied as they are: the
 * caller makes them safe to print.
 */
void pc_hotfix_text(pc_buf *out, const pc_strlist *branches, size_t ncommits, const char *target,
	const pc_strlist *missing);

/*
 * The branches a hotfix commit of `b` must still be merged into: its
 * require chain (main: staging, then develop), nearest first, into out.
 */
int pc_hotfix_chain(pc_strlist *out, const pc_policy *p, const pc_branch *b);

#endif
