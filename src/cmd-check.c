/*
 * cmd-check.c: policy-check check (placeholder until its module lands).
 */
#include "cmd.h"

int cmd_check(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cmd_error("check: this command is not available in this build yet");
	return 2;
}
