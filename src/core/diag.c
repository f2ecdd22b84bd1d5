/*
 * diag.c: collected diagnostics with file positions.
 */
#include "diag.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

int pc_diag_vadd(pc_diag *d, const char *file, unsigned line, unsigned column,
	const char *fmt, va_list ap)
{
	size_t max = d->max ? d->max : 1000;
	pc_diag_item *it;
	char msg[PC_ERROR_MAX];

	if (d->n >= max)
		return PC_ELIMIT;
	if (pc_grow((void **)&d->items, &d->alloc, d->n + 1, sizeof(*d->items)) < 0)
		return PC_ENOMEM;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	it = &d->items[d->n];
	it->file = pc_strdup(file ? file : "");
	it->message = pc_strdup(msg);
	if (!it->file || !it->message) {
		free(it->file);
		free(it->message);
		return PC_ENOMEM;
	}
	it->line = line;
	it->column = column;
	d->n++;
	return 0;
}

int pc_diag_add(pc_diag *d, const char *file, unsigned line, unsigned column,
	const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = pc_diag_vadd(d, file, line, column, fmt, ap);
	va_end(ap);
	return r;
}

static void format_item(const pc_diag_item *it, char *out, size_t size)
{
	if (it->line && it->column)
		snprintf(out, size, "%s:%u:%u: %s", it->file, it->line, it->column, it->message);
	else if (it->line)
		snprintf(out, size, "%s:%u: %s", it->file, it->line, it->message);
	else if (*it->file)
		snprintf(out, size, "%s: %s", it->file, it->message);
	else
		snprintf(out, size, "%s", it->message);
}

void pc_diag_print(const pc_diag *d, FILE *fp)
{
	char line[PC_ERROR_MAX + 256];
	size_t i;

	for (i = 0; i < d->n; i++) {
		format_item(&d->items[i], line, sizeof(line));
		fprintf(fp, "%s\n", line);
	}
}

int pc_diag_to_error(const pc_diag *d, pc_error *err)
{
	char line[PC_ERROR_MAX + 256];

	if (!d->n)
		return 0;
	format_item(&d->items[0], line, sizeof(line));
	if (d->n > 1)
		return pc_error_set(err, PC_EINVAL, "%s (and %zu more errors)", line, d->n - 1);
	return pc_error_set(err, PC_EINVAL, "%s", line);
}

void pc_diag_clear(pc_diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->items[i].file);
		free(d->items[i].message);
	}
	free(d->items);
	d->items = NULL;
	d->n = d->alloc = 0;
}
