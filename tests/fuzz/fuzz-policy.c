/*
 * fuzz-policy.c: libFuzzer entry for the policy loader (pc_policy_parse).
 * A policy that loads is also expanded back to YAML and queried the way
 * the engine queries it.
 */
#include "policy.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "alice", "@sre", "@org/team", "bob@example.com", "main",
		"feature/x", "" };
	pc_diag diags = PC_DIAG_INIT;
	pc_policy *p = NULL;
	pc_strlist users = PC_STRLIST_INIT;
	FILE *null;
	size_t i;

	if (pc_policy_parse(&p, "policy.yml", (const char *)data, size, &diags) == 0) {
		if ((null = fopen("/dev/null", "w"))) {
			pc_policy_write_expanded(p, null);
			fclose(null);
		}
		for (i = 0; i < PC_ARRAY_SIZE(names); i++) {
			pc_policy_resolve_owner(p, names[i], &users);
			pc_policy_is_admin(p, names[i]);
			pc_policy_is_work_branch(p, names[i]);
		}
	}
	pc_strlist_clear(&users);
	pc_policy_free(p);
	pc_diag_clear(&diags);
	return 0;
}
