/*
 * signers.h: git's allowed_signers files, which say which principals a
 * key may sign for, in which namespaces and when.
 */
#ifndef PC_SIGNERS_H
#define PC_SIGNERS_H

#include "common.h"
#include "diag.h"
#include "util.h"
#include "sshkey.h"

#include <stdint.h>

/*
 * git's allowed_signers format (ssh-keygen(1) ALLOWED SIGNERS):
 *
 *   principals [options] keytype base64 [comment]
 *
 * principals is a comma-separated list of patterns (`*`, `?`, and `!` to
 * exclude), optionally in double quotes.  Options: namespaces="a,b"
 * (patterns), valid-after="TIME", valid-before="TIME"; values must be
 * quoted, as ssh-keygen requires.  TIME is YYYYMMDD, YYYYMMDDHHMM or
 * YYYYMMDDHHMMSS, in UTC when followed by Z (or UTC), otherwise in the
 * local time zone read exactly as ssh-keygen reads it: as the zone's
 * standard time (mktime with tm_isdst 0), so during summer time it is one
 * hour later than the wall clock shows.  Write Z to avoid that.  The key
 * may be used at valid-after and at valid-before (both ends included).
 * cert-authority is refused: only plain keys are supported.  Every problem
 * is a FILE:LINE:COLUMN diagnostic and the whole file is then refused
 * (ssh-keygen would skip the line; failing closed is the safer choice for
 * a server).
 */
typedef struct pc_signers pc_signers;

#define PC_SIGNERS_MAX_SIZE (4 << 20)

int pc_signers_load(pc_signers **out, const char *path, pc_diag *diags);
int pc_signers_parse(pc_signers **out, const char *name, const char *text, size_t len,
	pc_diag *diags);
void pc_signers_free(pc_signers *s);
/*
 * Principals (e.g. emails) for which `key` may sign in namespace `ns` at
 * time `when` (seconds since the epoch; valid-after / valid-before and
 * namespaces= honoured).  Appended to `principals`.
 *
 * What is appended are the principal patterns of every matching line
 * (not the "!" exclusions), without duplicates; they may contain
 * wildcards, so use pc_signers_allows to test one identity.  Returns 0
 * (also when nothing matched) or PC_ENOMEM.
 */
int pc_signers_lookup(const pc_signers *s, const pc_sshkey *key, const char *ns,
	int64_t when, pc_strlist *principals);
/*
 * 1 when `principal` may sign with `key` in namespace `ns` at `when`: the
 * check `ssh-keygen -Y verify -I principal` makes.  Principal entries are
 * patterns, so this is how to test an identity such as an email.
 */
int pc_signers_allows(const pc_signers *s, const pc_sshkey *key, const char *principal,
	const char *ns, int64_t when);
/*
 * The lines of the file one by one, for checks across lines and users
 * (policy-check lint): entry i (i < pc_signers_count) gives its principal
 * pattern list, its key and where the principals were written.  Returns 1
 * when the entry may sign in namespace `ns` (NULL: any), else 0.
 */
size_t pc_signers_count(const pc_signers *s);
int pc_signers_entry(const pc_signers *s, size_t i, const char *ns, const char **principals,
	const pc_sshkey **key, unsigned *line, unsigned *column);
/*
 * OpenSSH pattern-list matching, as principals and namespaces= are read:
 * 1 match, 0 no match, -1 excluded by "!".
 */
int pc_sshsig_match_list(const char *s, const char *list);

#endif
