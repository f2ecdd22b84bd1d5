/*
 * approve.h: code-owner approvals (DESIGN.md section 5 "Approvals" and
 * "Approval objects"): who approved, from the pusher and from SSH-signed
 * approval tags stored under refs/approvals/<commit>/<name>.
 */
#ifndef PC_APPROVE_H
#define PC_APPROVE_H

#include "engine.h"
#include "sshsig.h"

#define PC_APPROVAL_MAGIC "policy-check approval v1"

/*
 * The policy user whose key made a signature at time `when`: a key in
 * users.<name>.keys, or a key the allowed_signers file gives for a
 * principal that is a user's email (namespace "git").  *user is NULL when
 * no user owns the key, or when it could be more than one (an
 * allowed_signers line whose principals match several users' emails, or
 * lines that give the key to different users): `why` then says which,
 * starting with the key's fingerprint ("SHA256:..., a key of no user of
 * the policy").
 */
int pc_keyring_user(pc_ctx *ctx, const pc_sshkey *key, int64_t when, const char **user,
	char *why, size_t why_size, pc_error *err);
/*
 * The time at which to check a key's validity for a signature that claims
 * `claimed` (a tagger or committer time; <= 0 when absent or unreadable):
 * the claim when it is present and not after the push, otherwise the push
 * time, so that a missing or made-up time cannot revive an expired key.
 */
int64_t pc_signing_time(const pc_ctx *ctx, int64_t claimed);

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
