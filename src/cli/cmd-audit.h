/*
 * cmd-audit.h: what `audit report` (cmd-audit-report.c) shares with the
 * other audit subcommands (cmd-audit.c): one verifier-key loader, one time
 * parser, one ref matcher, one terminal-safe text filter and one reading of
 * void records.
 */
#ifndef PC_CMD_AUDIT_H
#define PC_CMD_AUDIT_H

#include "cmd.h"
#include "audit.h"
#include "note.h"

#include <stdint.h>

extern const cmd_spec cmd_audit_report_spec;
int cmd_audit_report(int argc, char **argv);

/* --vkey: the key itself, or a file whose first line is the key; prints the error. */
int cmd_audit_load_vkey(pc_note_verifier *v, const char *arg);
/* A time as --since takes it (YYYY-MM-DD..., or 30m, 1h, 7d, 2w ago): ms since 1970. */
int cmd_audit_parse_when(const char *s, int64_t *ms);
/* A record's time (RFC 3339) as ms since 1970. */
int cmd_audit_parse_time(const char *s, int64_t *ms);
/* --ref matching: a full name, a short branch or tag name, or a glob. */
int cmd_audit_ref_matches(const char *pattern, const char *ref);
/*
 * Append s to out as audit show prints it: control bytes, invalid UTF-8 and
 * bidirectional overrides as escapes.  Returns the width in columns.
 */
size_t cmd_audit_put_display(pc_buf *out, const char *s);
/* The void records of a log, and whether one of them took back e. */
int cmd_audit_collect_voids(pc_strlist *voids, const char *log, pc_error *err);
int cmd_audit_is_voided(const pc_strlist *voids, const pc_audit_entry *e);

#endif
