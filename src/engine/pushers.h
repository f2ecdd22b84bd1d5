/*
 * pushers.h: the first-pusher index, the record of who first pushed each
 * commit to this repository (doc/policy-check-policy.5, self_approval).
 *
 * It lives in $GIT_DIR/policy-check/pushers/, one append-only file per
 * first byte of the commit id ("00" to "ff"), one line per entry:
 *
 *	<commit hex> <user> <hex HMAC-SHA256(K, "policy-check pusher v1\n" <commit hex> " " <user>)>
 *
 * K is derived from the audit signing key (pc_note_signer_derive, label
 * PC_PUSHERS_KEY_LABEL), so whoever can write these files but cannot read
 * the audit key cannot make an entry that authenticates.  Writers hold an
 * exclusive flock of $GIT_DIR/policy-check/pushers.lock; readers take no
 * lock and ignore a final line without its newline.  A lookup reads the
 * file of the commit's first byte once per process and binary-searches it.
 */
#ifndef PC_PUSHERS_H
#define PC_PUSHERS_H

#include "common.h"
#include "util.h"

#include <git2.h>

#define PC_PUSHERS_KEY_LABEL "policy-check first-pusher index v1"
#define PC_PUSHERS_DIR "policy-check/pushers"
/* A bucket file larger than this is refused (fail closed). */
#define PC_PUSHERS_BUCKET_MAX (64u << 20)

typedef struct pc_pushers pc_pushers;

/*
 * Open the index of the repository whose git directory is gitdir,
 * authenticated with a key derived from the audit key at key_path (the
 * policy's audit.key and audit.origin).  The key is loaded on first use,
 * so a repository without an index needs no key.
 */
int pc_pushers_open(pc_pushers **out, const char *gitdir, const char *key_path,
	const char *origin, pc_error *err);
void pc_pushers_free(pc_pushers *px);

/*
 * The users that entries of the index name as first pushers of commit:
 * each entry that authenticates adds its user to users (once); each entry
 * that does not adds "FILE line N" to bad, and names nobody.
 */
int pc_pushers_lookup(pc_pushers *px, const git_oid *commit, pc_strlist *users,
	pc_strlist *bad, pc_error *err);

/*
 * Append one entry per commit of ids (duplicates once) naming user, under
 * the lock, and fdatasync them.  Fails (with a message) when anything
 * cannot be written; the caller then rejects the push.
 */
int pc_pushers_record(pc_pushers *px, const char *user, const git_oid *ids, size_t n,
	pc_error *err);

#endif
