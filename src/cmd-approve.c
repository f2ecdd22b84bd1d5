/*
 * cmd-approve.c: policy-check approve (placeholder until its module lands).
 */
#include "cmd.h"

int cmd_approve(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cmd_error("approve: this command is not available in this build yet");
	return 2;
}
