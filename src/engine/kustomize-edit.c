/*
 * kustomize-edit.c: a kustomization's `images:` rewritten in its text
 * (kustomize-edit.h).
 */
#include "kustomize-edit.h"
#include "buf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * 1 when s can be written as a plain YAML scalar that reads back as s:
 * names and digests.  Words YAML reads as something else (true, null,
 * 1.0, ~) are not plain here, since they start with no letter or are
 * short enough to be one; quoting them costs nothing.
 */
static int plain_scalar(const char *s)
{
	static const char *const special[] = { "true", "false", "yes", "no", "on", "off", "null", "y", "n" };
	const char *c;
	size_t i;

	if (!isalpha((unsigned char)*s))
		return 0;
	for (i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (!strcasecmp(s, special[i]))
			return 0;
	for (c = s; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("._/:@-", *c))
			return 0;
	return !strstr(s, ": ") && s[strlen(s) - 1] != ':';
}

/* Append s as a YAML scalar; PC_EINVAL for control characters. */
static int put_scalar(pc_buf *b, const char *s, int quote)
{
	const char *c;

	for (c = s; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return PC_EINVAL;
	if (!quote && plain_scalar(s))
		return pc_buf_puts(b, s);
	pc_buf_putc(b, '"');
	for (c = s; *c; c++) {
		if (*c == '"' || *c == '\\')
			pc_buf_putc(b, '\\');
		pc_buf_putc(b, *c);
	}
	return pc_buf_putc(b, '"');
}

static int same_str(const char *a, const char *b)
{
	return a && b ? !strcmp(a, b) : a == b;
}

static int same_images(const pc_kustomization *k, const pc_kimage *imgs, size_t n)
{
	size_t i;

	if (k->nimages != n)
		return 0;
	for (i = 0; i < n; i++)
		if (!same_str(k->images[i].name, imgs[i].name) ||
		    !same_str(k->images[i].new_name, imgs[i].new_name) ||
		    !same_str(k->images[i].new_tag, imgs[i].new_tag) ||
		    !same_str(k->images[i].digest, imgs[i].digest))
			return 0;
	return 1;
}

/* The line `images:` at the top level, or NULL; *flow when it has a value on it. */
static const char *find_block(const char *text, int *flow)
{
	const char *line, *nl, *c;

	*flow = 0;
	for (line = text; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!strncmp(line, "images:", 7)) {
			for (c = line + 7; *c == ' ' || *c == '\t'; c++)
				;
			*flow = *c && *c != '\n' && *c != '#';
			return line;
		}
		if (!nl)
			break;
	}
	return NULL;
}

int pc_kustomization_set_images(char **out, const char *file, const char *text,
	const pc_kimage *imgs, size_t n, pc_error *err)
{
	const char *start, *end, *line, *nl;
	pc_buf b = PC_BUF_INIT;
	pc_kustomization *check = NULL;
	pc_error perr = PC_ERROR_INIT;
	int ind = -1, flow, r = PC_EINVAL;
	size_t i;

	*out = NULL;
	if (!(start = find_block(text, &flow)))
		return pc_error_set(err, PC_EINVAL, "%s has no top-level images: list; add the images "
			"this environment runs", file);
	if (flow)
		return pc_error_set(err, PC_EINVAL, "%s writes images: in flow style; write it as a "
			"block list", file);
	/* the block: the lines after it that are indented or sequence entries */
	nl = strchr(start, '\n');
	end = nl ? nl + 1 : start + strlen(start);
	for (line = end; *line && (*line == ' ' || *line == '-' || *line == '\t'); line = end) {
		const char *c = line;

		if (ind < 0) {
			while (*c == ' ')
				c++;
			if (*c == '-')
				ind = (int)(c - line);
		}
		nl = strchr(line, '\n');
		end = nl ? nl + 1 : line + strlen(line);
	}
	if (ind < 0)
		ind = 0;
	pc_buf_put(&b, text, (size_t)(start - text));
	pc_buf_puts(&b, "images:\n");
	for (i = 0; i < n; i++) {
		pc_buf_printf(&b, "%*s- name: ", ind, "");
		if (put_scalar(&b, imgs[i].name, 0) == PC_EINVAL)
			goto bad;
		if (imgs[i].new_name) {
			pc_buf_printf(&b, "\n%*s  newName: ", ind, "");
			if (put_scalar(&b, imgs[i].new_name, 0) == PC_EINVAL)
				goto bad;
		}
		if (imgs[i].new_tag) {
			pc_buf_printf(&b, "\n%*s  newTag: ", ind, "");
			if (put_scalar(&b, imgs[i].new_tag, 1) == PC_EINVAL)
				goto bad;
		}
		if (imgs[i].digest) {
			pc_buf_printf(&b, "\n%*s  digest: ", ind, "");
			if (put_scalar(&b, imgs[i].digest, 0) == PC_EINVAL)
				goto bad;
		}
		pc_buf_putc(&b, '\n');
	}
	pc_buf_puts(&b, end);
	if (pc_buf_error(&b)) {
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
	/* what was written must read back as the values meant */
	if (pc_kustomization_parse(&check, file, b.ptr, b.len, &perr) < 0 || !same_images(check, imgs, n)) {
		r = pc_error_set(err, PC_EINVAL, "the rewritten %s does not read back (%s); edit it by hand",
			file, perr.msg[0] ? perr.msg : "images differ");
		goto done;
	}
	if (!(*out = pc_buf_detach(&b))) {
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
	r = 0;
	goto done;
bad:
	r = pc_error_set(err, PC_EINVAL, "an image value has control characters; set %s by hand", file);
done:
	pc_kustomization_free(check);
	pc_buf_release(&b);
	return r;
}
