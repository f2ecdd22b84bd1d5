/*
 * keyring.h: the policy user who made an SSH signature, from the keys in
 * users.<name>.keys and the allowed_signers file.  Approvals (approve.c)
 * and rules.signed_commits (rules.c) ask it; a key that could be more than
 * one user's counts for nobody.
 */
#ifndef PC_KEYRING_H
#define PC_KEYRING_H

#include "engine.h"
#include "sshkey.h"

#include <stdint.h>

/*
 * The policy user whose key made a signature at time `when`: a key in
 * users.<name>.keys, or a key the allowed_signers file gives for a
 * principal that is a user's email (namespace "git").  *user is NULL when
 * no user owns the key, or when it could be more than one (an
 * allowed_signers line whose principals match several users' emails, or
 * lines that give the key to different users): `why` then says which,
 * starting with the key's fingerprint ("SHA256:..., a key of no user of
 * the policy").  The keys are read on the first call and kept in
 * ctx->keyring; an error reading them is the same on every call.
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
/*
 * *yes = 1 when user u can sign an approval at all: a key in
 * users.<name>.keys, or an allowed_signers line for namespace git whose
 * principals match their email (validity times aside).  For hints: nobody
 * is told to ask someone who has no key.
 */
int pc_keyring_can_sign(pc_ctx *ctx, const pc_user *u, int *yes, pc_error *err);
/* Free ctx->keyring at the end of the push (NULL is fine). */
void pc_keyring_free(struct pc_keyring *k);

#endif
