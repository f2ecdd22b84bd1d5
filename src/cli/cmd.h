/*
 * cmd.h: the subcommands of the policy-check program.  Each takes the
 * arguments after its name (argv[0] is the subcommand) and returns the exit
 * code of doc/DESIGN.md section 8: 0 accepted/valid, 1 rejected/failed,
 * 2 usage or configuration error.
 */
#ifndef PC_CMD_H
#define PC_CMD_H

#include <getopt.h>

int cmd_lint(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_owners(int argc, char **argv);
int cmd_approve(int argc, char **argv);
int cmd_promote(int argc, char **argv);
int cmd_install(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_audit(int argc, char **argv);

struct pc_policy;
struct git_repository;
/* Load --policy FILE, or the repository's policy; prints diagnostics. */
int cmd_load_policy(struct pc_policy **out, const char *policy_path, struct git_repository *repo);

/*
 * Where a command works: --repo DIR (default ".") and --policy FILE
 * (default NULL: the repository's policy).
 */
typedef struct cmd_where {
	const char *repo;
	const char *policy;
} cmd_where;
#define CMD_WHERE_INIT { ".", NULL }
#define CMD_OPT_REPO { "repo", required_argument, NULL, 'r' }
#define CMD_OPT_POLICY { "policy", required_argument, NULL, 'p' }
#define CMD_OPT_END { NULL, 0, NULL, 0 }

/*
 * getopt_long for the commands: stores CMD_OPT_REPO and CMD_OPT_POLICY in
 * *where and returns each other option, -1 after the last.  An unknown
 * option or a missing value is a usage error (getopt has named it): exit 2.
 */
int cmd_getopt(cmd_where *where, int argc, char **argv, const char *shortopts,
	const struct option *longopts);

/* Print "policy-check: <message>" on stderr. */
void cmd_die_usage(const char *usage) __attribute__((noreturn));
void cmd_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
