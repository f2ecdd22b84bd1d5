/*
 * cmd-owners.c: policy-check owners (placeholder until its module lands).
 */
#include "cmd.h"

int cmd_owners(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cmd_error("owners: this command is not available in this build yet");
	return 2;
}
