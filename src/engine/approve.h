/*
 * approve.h: code-owner approvals (doc/DESIGN.md section 5 "Approvals" and
 * "Approval objects"): who approved, from the pusher and from SSH-signed
 * approval tags stored under refs/approvals/<commit>/<name>.
 */
#ifndef PC_APPROVE_H
#define PC_APPROVE_H

#include "engine.h"

#define PC_APPROVAL_MAGIC "policy-check approval v1"

/* A verified approval object. */
typedef struct pc_approval_obj {
	char *target;		/* the ref it approves an update of */
	git_oid commit;		/* the commit it approves */
	const char *user;	/* the policy user who signed it (owned by the policy) */
	char fingerprint[64];
	char object[PC_HEX_MAX];
} pc_approval_obj;

/*
 * Read and verify the approval tag `tag_id`.  Returns 0 with *ok = 1 and
 * `out` filled when it is valid; *ok = 0 and `why` set when it is not an
 * approval (bad message, bad signature, unknown key, ...); < 0 on errors.
 */
int pc_approval_read(pc_ctx *ctx, const git_oid *tag_id, pc_approval_obj *out, int *ok,
	char *why, size_t why_size, pc_error *err);
void pc_approval_obj_release(pc_approval_obj *a);

#endif
