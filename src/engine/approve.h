/*
 * approve.h: code-owner approvals (doc/DESIGN.md section 5 "Approvals" and
 * "Approval objects"): who approved, from the pusher and from SSH-signed
 * approval tags stored under refs/approvals/<commit>/<name>.
 */
#ifndef PC_APPROVE_H
#define PC_APPROVE_H

#include "engine.h"
#include "sshkey.h"

#include <stdint.h>

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
/*
 * The policy-free half of pc_approval_read: the tag `tag_id` names a
 * commit, carries the approval message and an SSH signature that verifies
 * (namespace git).  Returns 0 with *signer (caller frees) and *target
 * (caller frees) set, *tagged the tagger time or -1; or 0 with both NULL
 * and `why` set when it is no such tag; < 0 on errors.  Who the signer is
 * needs the policy (pc_keyring_user).
 */
int pc_approval_parse(git_repository *repo, const git_oid *tag_id, git_oid *commit, char **target,
	pc_sshkey **signer, int64_t *tagged, char *why, size_t why_size, pc_error *err);

/*
 * Where an approval of `commit_hex` for `target` by `who` is stored:
 * refs/approvals/COMMIT/BRANCH/WHO for a target refs/heads/BRANCH, or
 * refs/approvals/COMMIT/TARGET/WHO with the full target when it is not a
 * branch or the branch's own name starts with "refs/", so that each name
 * reads back as exactly one target (pc_approval_name_target).  WHO is the
 * signer's policy user, or pc_approval_name_from_email of an email.
 * Returns 0, or -1 when the name does not fit or is no valid ref name.
 */
int pc_approval_ref_name(char *out, size_t size, const char *commit_hex, const char *target,
	const char *who);
/* The target a TARGET part of an approval ref name stands for, into out. */
int pc_approval_name_target(char *out, size_t size, const char *part, size_t len);
/* An email as the WHO of an approval ref: letters, digits, '.', '-', '_'; others become '-'. */
void pc_approval_name_from_email(char *out, size_t size, const char *email);

#endif
