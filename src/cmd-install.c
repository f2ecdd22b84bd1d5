/*
 * cmd-install.c: policy-check install (placeholder until its module lands).
 */
#include "cmd.h"

int cmd_install(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cmd_error("install: this command is not available in this build yet");
	return 2;
}
