/*
 * cmd.h: the subcommands of the policy-check program.  Each takes the
 * arguments after its name (argv[0] is the subcommand) and returns the exit
 * code of doc/DESIGN.md section 8: 0 accepted/valid, 1 rejected/failed,
 * 2 usage or configuration error.
 */
#ifndef PC_CMD_H
#define PC_CMD_H

#include "buf.h"

#include <getopt.h>
#include <stdio.h>

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
 * A command's options, once: the table drives getopt_long, prints -h/--help
 * and names the option in a usage error.  id is what cmd_parse_next returns:
 * the option's letter when has_short (then -LETTER works too), else a value
 * from CMD_LONG_ONLY up.  arg names the value in the help ("FILE"); NULL
 * for a flag.  The table ends with CMD_OPTS_END.
 */
typedef struct cmd_opt {
	int id;
	int has_short;
	const char *name;
	const char *arg;
	const char *help;
} cmd_opt;
#define CMD_LONG_ONLY 256
#define CMD_OPTS_END { 0, 0, NULL, NULL, NULL }

/*
 * A command: name ("check", "audit show"), its synopsis (one line per form,
 * separated by newlines, each without the leading "policy-check "), a
 * one-line summary and its options; or, for a command with subcommands,
 * the NULL-terminated list of their specs.
 */
typedef struct cmd_spec {
	const char *name;
	const char *synopsis;
	const char *summary;
	const cmd_opt *opts;
	const struct cmd_spec *const *subs;
} cmd_spec;

extern const cmd_spec cmd_lint_spec, cmd_check_spec, cmd_owners_spec, cmd_approve_spec,
	cmd_install_spec, cmd_status_spec, cmd_audit_spec, cmd_promote_spec;

typedef struct cmd_parser {
	const cmd_spec *spec;
	int argc;
	char **argv;
	struct option longopts[32];
	char shortopts[64];
} cmd_parser;

/*
 * Start parsing argv (argv[0] is the command's name) by spec, which also
 * becomes the spec of later usage errors.  cmd_parse_next returns the id of
 * the next option (its value in optarg), or -1 when only operands remain:
 * argv[optind..argc-1], options and operands may come in any order, "--"
 * ends the options.  -h and --help print the help and exit 0; an unknown
 * option or a missing value prints the error and the synopsis, exit 2.
 */
void cmd_parse_init(cmd_parser *p, const cmd_spec *spec, int argc, char **argv);
int cmd_parse_next(cmd_parser *p);

/* The synopsis lines, the first after `first` ("usage: "), and the full help. */
void cmd_print_synopsis(FILE *fp, const cmd_spec *spec, const char *first);
void cmd_print_help(FILE *fp, const cmd_spec *spec);
/* The spec whose synopsis cmd_die_usage(NULL) prints. */
void cmd_set_spec(const cmd_spec *spec);

/*
 * --json output: one document built in memory, then written with a newline
 * by cmd_json_finish (which also reports an allocation failure met on the
 * way, and releases).  key is NULL for an array element.  Strings are
 * escaped as the audit log escapes them (src/core/json.h); NULL is null.
 */
typedef struct cmd_json {
	pc_buf b;
	int depth, overflow;
	size_t count[16];
} cmd_json;
#define CMD_JSON_INIT { PC_BUF_INIT, 0, 0, { 0 } }
void cmd_json_open(cmd_json *j, const char *key, char bracket);
void cmd_json_close(cmd_json *j, char bracket);
void cmd_json_str(cmd_json *j, const char *key, const char *value);
void cmd_json_int(cmd_json *j, const char *key, long long value);
void cmd_json_bool(cmd_json *j, const char *key, int value);
void cmd_json_null(cmd_json *j, const char *key);
int cmd_json_finish(cmd_json *j, FILE *fp);
void cmd_json_release(cmd_json *j);

/*
 * getopt_long for a command without a cmd_spec: stores CMD_OPT_REPO and
 * CMD_OPT_POLICY in *where and returns each other option, -1 after the
 * last.  An unknown option or a missing value is a usage error: exit 2.
 */
int cmd_getopt(cmd_where *where, int argc, char **argv, const char *shortopts,
	const struct option *longopts);

/* Print the synopsis of the current command on stderr and exit 2. */
void cmd_die_usage(const char *usage) __attribute__((noreturn));
/* "policy-check COMMAND: <message>", then the synopsis; exit 2. */
void cmd_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Print "policy-check: <message>" on stderr. */
void cmd_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
