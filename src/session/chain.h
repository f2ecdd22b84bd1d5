/*
 * chain.h: the repository's own hooks, run after policy-check's
 * (doc/DESIGN.md section 11, "Chained hooks").
 *
 * `policy-check install` keeps a hook it finds in place of its own by
 * moving it into hooks/NAME.d/; the pre-receive and update hooks run every
 * executable file there, in byte order of their names, once policy-check
 * has accepted the push, each with what git gave ours (pre-receive: the
 * same "OLD NEW REF" lines on stdin; update: REF OLD NEW as arguments) and
 * the same environment.  The first that fails rejects the push.
 */
#ifndef PC_CHAIN_H
#define PC_CHAIN_H

#include "session.h"

/*
 * Run the hooks of hooks/NAME.d/ of s->repo for s->updates (`name` is
 * "pre-receive" or "update").  Returns 0 when every one succeeded (or
 * there are none), else 1 with the failing hook ("hooks/NAME.d/FILE exited
 * with status N") in why; < 0 when they could not be run, with err set.
 */
int pc_chain_run(pc_session *s, const char *name, char *why, size_t whysize, pc_error *err);

/* Names of hooks/NAME.d/ that are skipped: dot files, backups, samples. */
int pc_chain_skipped(const char *file);

#endif
