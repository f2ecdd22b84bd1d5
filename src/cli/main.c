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

static const struct command {
	const char *name;
	int (*fn)(int, char **);
	const char *usage;
} commands[] = {
	{ "lint", cmd_lint, "policy-check lint [--policy FILE] [--repo DIR] [--expand]" },
	{ "check", cmd_check,
	  "policy-check check [--repo DIR] [--policy FILE] [--as USER] [-o OPTION]... REF OLD NEW\n"
	  "       policy-check check [--repo DIR] [--policy FILE] [--as USER] [-o OPTION]... --stdin" },
	{ "owners", cmd_owners, "policy-check owners [--repo DIR] [--rev REV] [--policy FILE] PATH..." },
	{ "approve", cmd_approve,
	  "policy-check approve [--repo DIR] [--target REF] [--key FILE] [--remote NAME | --no-push] COMMIT" },
	{ "promote", cmd_promote,
	  "policy-check promote [--repo DIR] [--policy FILE] [--remote NAME] [--as USER] [--from BRANCH] [--rollback VALUE] [--dry-run] TARGET" },
	{ "install", cmd_install, "policy-check install [--policy FILE] [--hook NAME]... [--force] BARE_REPO..." },
	{ "status", cmd_status, "policy-check status [--repo DIR] [--policy FILE]" },
	{ "audit", cmd_audit,
	  "policy-check audit keygen    --origin NAME PREFIX\n"
	  "       policy-check audit verify    --vkey FILE|KEY [--checkpoint FILE] [--strict] LOG\n"
	  "       policy-check audit show      [--json] [--ref REF] [--decision D] [--since TIME] [--break-glass] LOG\n"
	  "       policy-check audit proof     --index N LOG\n"
	  "       policy-check audit check-proof --vkey FILE|KEY [--checkpoint FILE] [--record FILE] PROOF\n"
	  "       policy-check audit reconcile --repo DIR LOG" },
};

static const char *current_usage;

void cmd_error(const char *fmt, ...)
{
	va_list ap;

	fputs("policy-check: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cmd_die_usage(const char *usage)
{
	fprintf(stderr, "usage: %s\n", usage ? usage : current_usage);
	exit(2);
}

int cmd_getopt(cmd_where *where, int argc, char **argv, const char *shortopts,
	const struct option *longopts)
{
	int c;

	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 'r': where->repo = optarg; break;
		case 'p': where->policy = optarg; break;
		case '?': case ':': cmd_die_usage(NULL);
		default: return c;
		}
	}
	return -1;
}

static void print_help(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: policy-check COMMAND [ARGS]\n\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(fp, "       %s\n", commands[i].usage);
	fprintf(fp, "       policy-check --version | --help | help COMMAND\n\n"
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

int main(int argc, char **argv)
{
	const struct command *cmd;
	int r;

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
		if (argc < 3) {
			print_help(stdout);
			return 0;
		}
		if (!(cmd = find(argv[2]))) {
			cmd_error("unknown command '%s'; see policy-check --help", argv[2]);
			return 2;
		}
		printf("usage: %s\n", cmd->usage);
		return 0;
	}
	if (!(cmd = find(argv[1]))) {
		cmd_error("unknown command '%s'; see policy-check --help", argv[1]);
		return 2;
	}
	current_usage = cmd->usage;
	git_libgit2_init();
	r = cmd->fn(argc - 1, argv + 1);
	git_libgit2_shutdown();
	return r;
}
