/*
 * publish.h: the server's policy, published for pushers at the read-only
 * ref refs/meta/policy-check (doc/DESIGN.md section 11), and read back in
 * a clone by `policy-check check`.
 *
 * The ref points at a commit whose tree holds policy.yml (the bytes of the
 * policy file the hooks load, so its digest is the one audit records name)
 * and, when the policy names one, allowed_signers (its bytes).  Nothing
 * else: never the audit key, never the audit log.
 */
#ifndef PC_PUBLISH_H
#define PC_PUBLISH_H

#include "common.h"
#include "policy.h"

#include <git2.h>

#define PC_PUBLISH_REF "refs/meta/policy-check"
#define PC_PUBLISH_POLICY "policy.yml"
#define PC_PUBLISH_SIGNERS "allowed_signers"

/*
 * Make refs/meta/policy-check of repo hold `p` (loaded from p->path).
 * *updated (optional) is 1 when the ref was created or moved, 0 when it
 * already held this policy, or when another process moved it meanwhile
 * (it published what it loaded; the next push publishes again if that
 * was older).  A policy file that changed since `p` was loaded is not
 * published: the next push publishes it.
 */
int pc_publish_policy(git_repository *repo, const pc_policy *p, int *updated, pc_error *err);

/*
 * Write the policy published at `ref` of repo (a commit as above) into the
 * new private directory dir (mkdtemp'd by the caller) and load it; its
 * allowed_signers is the published copy.  PC_ENOTFOUND when ref is absent.
 * Diagnostics of an invalid policy go to fp.
 */
int pc_publish_load(pc_policy **out, git_repository *repo, const char *ref, const char *dir,
	FILE *fp, pc_error *err);
/* Remove what pc_publish_load wrote into dir, and dir. */
void pc_publish_cleanup(const char *dir);

#endif
