/*
 * main.c: the policy-check command-line program, a thin dispatcher over
 * the library.
 */
#include "config.h"
#include "cmd.h"

#include <git2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One command a line: name, function, spec (its options and help). */
static const struct command {
	const char *name;
	int (*fn)(int, char **);
	const cmd_spec *spec;
} commands[] = {
	{ "lint", cmd_lint, &cmd_lint_spec },
	{ "check", cmd_check, &cmd_check_spec },
	{ "owners", cmd_owners, &cmd_owners_spec },
	{ "approve", cmd_approve, &cmd_approve_spec },
	{ "promote", cmd_promote, &cmd_promote_spec },
	{ "install", cmd_install, &cmd_install_spec },
	{ "status", cmd_status, &cmd_status_spec },
	{ "audit", cmd_audit, &cmd_audit_spec },
};

static void print_help(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: policy-check COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(fp, "    %-10s  %s\n", commands[i].name, commands[i].spec->summary);
	fputc('\n', fp);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		cmd_print_synopsis(fp, commands[i].spec, "       ");
	fprintf(fp, "       policy-check --version | --help | help COMMAND\n\n"
		"Run 'policy-check help COMMAND' (or COMMAND --help) for a command's options.\n"
		"Exit codes: 0 accepted or valid, 1 rejected or verification failed,\n"
		"2 usage or configuration error.  See policy-check(1).\n");
}

static const struct command *find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* The audit subcommands that read the log and keys only, never a repository. */
static int log_only(const char *sub)
{
	static const char *const subs[] = { "keygen", "verify", "show", "proof", "check-proof", "tiles" };
	size_t i;

	for (i = 0; i < PC_ARRAY_SIZE(subs); i++)
		if (!strcmp(sub, subs[i]))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	const struct command *cmd;
	int r, need_git;

	if (argc < 2) {
		print_help(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("policy-check %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		print_help(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "help")) {
		char *args[] = { NULL, NULL, NULL, NULL };

		if (argc < 3) {
			print_help(stdout);
			return 0;
		}
		if (argc > 4 || !(cmd = find(argv[2]))) {
			cmd_error("unknown command '%s'; see policy-check --help", argv[2]);
			return 2;
		}
		/* "help X [SUB]" is "X [SUB] --help": the same text by construction */
		args[0] = argv[2];
		args[argc - 2] = "--help";
		if (argc == 4)
			args[1] = argv[3];
		return cmd->fn(argc - 1, args);
	}
	if (!(cmd = find(argv[1]))) {
		cmd_error("unknown command '%s'; see policy-check --help", argv[1]);
		return 2;
	}
	cmd_set_spec(cmd->spec);
	/*
	 * libgit2's start-up (it parses the system's CA bundle) costs more than
	 * a proof from the tiles: the audit subcommands that read only the log
	 * go without it; every other command (reconcile, report) starts it.
	 */
	need_git = strcmp(argv[1], "audit") || argc < 3 || !log_only(argv[2]);
	if (need_git)
		git_libgit2_init();
	r = cmd->fn(argc - 1, argv + 1);
	if (need_git)
		git_libgit2_shutdown();
	return r;
}
