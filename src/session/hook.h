/*
 * hook.h: the hook programs' logic.  The files in hooks/ are one-line main()s over
 * these; everything a hook does is here, in the library, so it is tested
 * the same way the CLI is.
 *
 * pre-receive and update exit 0 (accepted) or 1 (rejected); any error
 * rejects (fail closed) with a message on stderr, which git shows the
 * pusher as "remote:" lines.
 */
#ifndef PC_HOOK_H
#define PC_HOOK_H

int pc_hook_pre_receive(int argc, char **argv);
int pc_hook_update(int argc, char **argv);
int pc_hook_reference_transaction(int argc, char **argv);

#endif
