/*
 * diag.h: a list of diagnostics "FILE:LINE:COLUMN: message" so that a
 * validator can report every error, not only the first.
 */
#ifndef PC_DIAG_H
#define PC_DIAG_H

#include "common.h"
#include <stdio.h>

typedef struct pc_diag_item {
	char *file;
	unsigned line, column;	/* 1-based; 0 = unknown */
	char *message;
} pc_diag_item;

typedef struct pc_diag {
	pc_diag_item *items;
	size_t n, alloc;
	size_t max;		/* stop recording after this many (0 = 1000) */
} pc_diag;

#define PC_DIAG_INIT { NULL, 0, 0, 0 }

int pc_diag_add(pc_diag *d, const char *file, unsigned line, unsigned column,
	const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The same for a parser's own printf-like error function. */
int pc_diag_vadd(pc_diag *d, const char *file, unsigned line, unsigned column,
	const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
/* Print each as "file:line:column: message\n" (line/column omitted when 0). */
void pc_diag_print(const pc_diag *d, FILE *fp);
/* First diagnostic formatted into err; returns PC_EINVAL when any exist. */
int pc_diag_to_error(const pc_diag *d, pc_error *err);
void pc_diag_clear(pc_diag *d);

#endif
