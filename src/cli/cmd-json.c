/*
 * cmd-json.c: the --json output of the commands, one JSON document on
 * standard output, written with the escaping of src/core/json.c.
 */
#include "cmd.h"
#include "json.h"

#include <string.h>

/* Before a value: the comma after an earlier sibling, and the key in an object. */
static void start_value(cmd_json *j, const char *key)
{
	if (j->depth > 0) {
		if (j->count[j->depth - 1]++)
			pc_buf_putc(&j->b, ',');
	}
	if (key) {
		pc_json_put_cstring(&j->b, key);
		pc_buf_putc(&j->b, ':');
	}
}

void cmd_json_open(cmd_json *j, const char *key, char bracket)
{
	start_value(j, key);
	pc_buf_putc(&j->b, bracket);
	if (j->depth < (int)PC_ARRAY_SIZE(j->count))
		j->count[j->depth++] = 0;
	else
		j->overflow = 1;
}

void cmd_json_close(cmd_json *j, char bracket)
{
	pc_buf_putc(&j->b, bracket);
	if (j->depth > 0)
		j->depth--;
}

void cmd_json_str(cmd_json *j, const char *key, const char *value)
{
	start_value(j, key);
	pc_json_put_cstring(&j->b, value);
}

void cmd_json_int(cmd_json *j, const char *key, long long value)
{
	start_value(j, key);
	pc_buf_printf(&j->b, "%lld", value);
}

void cmd_json_bool(cmd_json *j, const char *key, int value)
{
	start_value(j, key);
	pc_buf_puts(&j->b, value ? "true" : "false");
}

void cmd_json_null(cmd_json *j, const char *key)
{
	start_value(j, key);
	pc_buf_puts(&j->b, "null");
}

int cmd_json_finish(cmd_json *j, FILE *fp)
{
	int r = 0;

	if (pc_buf_error(&j->b) || j->overflow || j->depth) {
		cmd_error("cannot build the JSON output (out of memory)");
		r = -1;
	} else if (fwrite(j->b.ptr, 1, j->b.len, fp) != j->b.len || fputc('\n', fp) == EOF ||
		   fflush(fp) != 0) {
		cmd_error("cannot write the JSON output");
		r = -1;
	}
	pc_buf_release(&j->b);
	return r;
}

void cmd_json_release(cmd_json *j)
{
	pc_buf_release(&j->b);
}
