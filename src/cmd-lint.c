/*
 * cmd-lint.c: policy-check lint (placeholder until its module lands).
 */
#include "cmd.h"

int cmd_lint(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cmd_error("lint: this command is not available in this build yet");
	return 2;
}
