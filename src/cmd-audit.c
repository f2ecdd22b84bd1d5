/*
 * cmd-audit.c: policy-check audit (placeholder until its module lands).
 */
#include "cmd.h"

int cmd_audit(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cmd_error("audit: this command is not available in this build yet");
	return 2;
}
