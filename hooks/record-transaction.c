/*
 * record-transaction: what the reference-transaction hook program runs for
 * the "committed" and "aborted" states, to record what git did.  All logic
 * is in the library (src/session/hook.c); see policy-check(1).
 */
#include "hook.h"

int main(int argc, char **argv)
{
	return pc_hook_reference_transaction(argc, argv);
}
