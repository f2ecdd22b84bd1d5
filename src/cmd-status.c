/*
 * cmd-status.c: policy-check status (placeholder until its module lands).
 */
#include "cmd.h"

int cmd_status(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cmd_error("status: this command is not available in this build yet");
	return 2;
}
