/*
 * report.h: what the pusher reads (doc/DESIGN.md section 6).  The reporter
 * formats verdicts; it never decides.
 */
#ifndef PC_REPORT_H
#define PC_REPORT_H

#include "verdict.h"

#include <stdio.h>

/* The reasons of v, each line after `indent`, pusher-written text made safe for a terminal. */
void pc_report_reasons(FILE *fp, const pc_verdict *v, const char *indent);
/*
 * One block per ref: accepted refs get one line (plus approvals), rejected
 * ones every reason with its hint.  `first_seq` < 0 omits the audit line.
 */
void pc_report_write(FILE *fp, const pc_verdict *verdicts, size_t n, long long first_seq);

#endif
