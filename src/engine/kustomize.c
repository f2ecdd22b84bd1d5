/*
 * kustomize.c: read a kustomization with libyaml: its images and what it
 * includes.
 */
#include "kustomize.h"

#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define KUSTOMIZE_MAX_SIZE (1024 * 1024)
#define KUSTOMIZE_MAX_ENTRIES 10000

const char *const pc_kustomization_names[3] = {
	"kustomization.yaml", "kustomization.yml", "Kustomization"
};

int pc_is_kustomization(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t i;

	for (i = 0; i < PC_ARRAY_SIZE(pc_kustomization_names); i++)
		if (!strcmp(base, pc_kustomization_names[i]))
			return 1;
	return 0;
}

int pc_kustomize_is_remote(const char *s)
{
	return strstr(s, "://") || !strncmp(s, "git@", 4) || !strncmp(s, "git::", 5);
}

static const char *scalar(yaml_node_t *node)
{
	if (!node || node->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)node->data.scalar.value;
}

/*
 * Kustomize decodes a kustomization through encoding/json, which matches
 * field names case-insensitively with Unicode simple folding: "newtag",
 * "NEWTAG" and "dige\u017ft" (long s) all set the field.  So a key is
 * compared the same way: ASCII without case, U+017F as 's' and U+212A
 * (Kelvin sign) as 'k', the only non-ASCII letters that fold to ASCII.
 */
static int key_is(const char *key, const char *name)
{
	const unsigned char *k = (const unsigned char *)key;
	char c;

	for (; *name; name++) {
		if (k[0] == 0xc5 && k[1] == 0xbf) {
			c = 's';
			k += 2;
		} else if (k[0] == 0xe2 && k[1] == 0x84 && k[2] == 0xaa) {
			c = 'k';
			k += 3;
		} else if (*k) {
			c = (char)(*k >= 'A' && *k <= 'Z' ? *k + ('a' - 'A') : *k);
			k++;
		} else {
			return 0;
		}
		if (c != (*name >= 'A' && *name <= 'Z' ? *name + ('a' - 'A') : *name))
			return 0;
	}
	return *k == '\0';
}

/* A YAML merge key ("<<") brings keys this parser would not see. */
static int is_merge_key(const char *key)
{
	return !strcmp(key, "<<");
}

static int fail_at(pc_error *err, const char *file, yaml_node_t *node, const char *what)
{
	return pc_error_set(err, PC_EINVAL, "%s:%zu:%zu: %s", file,
		node ? node->start_mark.line + 1 : 0, node ? node->start_mark.column + 1 : 0, what);
}

static void images_free(pc_kimage *images, size_t n)
{
	size_t i;

	for (i = 0; images && i < n; i++) {
		free(images[i].name);
		free(images[i].new_name);
		free(images[i].new_tag);
		free(images[i].digest);
	}
	free(images);
}

void pc_kustomization_free(pc_kustomization *k)
{
	if (!k)
		return;
	images_free(k->images, k->nimages);
	pc_strlist_clear(&k->includes);
	pc_strlist_clear(&k->files);
	pc_strlist_clear(&k->remotes);
	free(k);
}

static int read_image(pc_kimage *im, yaml_document_t *doc, yaml_node_t *node, const char *file,
	pc_error *err)
{
	yaml_node_pair_t *pair;

	if (node->type != YAML_MAPPING_NODE)
		return fail_at(err, file, node, "an entry of images must be a mapping");
	for (pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(doc, pair->value);
		const char *key = scalar(k), *val = scalar(v);
		char **slot = NULL;

		if (!key)
			return fail_at(err, file, k, "image keys must be strings");
		if (is_merge_key(key))
			return fail_at(err, file, k, "merge keys (<<) are not supported in a kustomization");
		if (key_is(key, "name"))
			slot = &im->name;
		else if (key_is(key, "newName"))
			slot = &im->new_name;
		else if (key_is(key, "newTag"))
			slot = &im->new_tag;
		else if (key_is(key, "digest"))
			slot = &im->digest;
		else
			continue;	/* Kustomize may add keys; they do not order promotion */
		if (!val)
			return fail_at(err, file, v, "image values must be strings");
		if (*slot)
			return fail_at(err, file, k, "duplicate key in image entry");
		if (!(*slot = pc_strdup(val)))
			return pc_error_set(err, PC_ENOMEM, "out of memory");
	}
	if (!im->name)
		return fail_at(err, file, node, "an image entry has no name");
	return 0;
}

static int read_images(pc_kustomization *k, yaml_document_t *doc, yaml_node_t *images,
	const char *file, pc_error *err)
{
	yaml_node_item_t *item;
	size_t count;
	int r;

	if (images->type != YAML_SEQUENCE_NODE)
		return fail_at(err, file, images, "images must be a list");
	count = (size_t)(images->data.sequence.items.top - images->data.sequence.items.start);
	if (count > KUSTOMIZE_MAX_ENTRIES)
		return fail_at(err, file, images, "too many images");
	if (!count)
		return 0;
	if (!(k->images = pc_calloc(count, sizeof(*k->images))))
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	k->nimages = count;
	for (item = images->data.sequence.items.start; item < images->data.sequence.items.top; item++) {
		pc_kimage *im = &k->images[item - images->data.sequence.items.start];
		if ((r = read_image(im, doc, yaml_document_get_node(doc, *item), file, err)) < 0)
			return r;
	}
	return 0;
}

/* How the entries of a list key name what they include. */
enum list_kind {
	LIST_INCLUDES,		/* strings: file, directory or URL */
	LIST_FILES,		/* strings: files */
	LIST_PATCHES,		/* strings: a file, or an inline patch over several lines */
	LIST_PATH_MAPS,		/* mappings whose `path` (when given) is a file */
	LIST_HELM		/* mappings: a chart fetched from `repo` */
};

static const struct {
	const char *key;
	enum list_kind kind;
} list_keys[] = {
	{ "resources", LIST_INCLUDES },
	{ "bases", LIST_INCLUDES },
	{ "components", LIST_INCLUDES },
	{ "generators", LIST_INCLUDES },
	{ "transformers", LIST_INCLUDES },
	{ "validators", LIST_INCLUDES },
	{ "crds", LIST_FILES },
	{ "configurations", LIST_FILES },
	{ "patchesStrategicMerge", LIST_PATCHES },
	{ "patches", LIST_PATH_MAPS },
	{ "patchesJson6902", LIST_PATH_MAPS },
	{ "replacements", LIST_PATH_MAPS },
	{ "helmCharts", LIST_HELM },
	{ "helmChartInflationGenerator", LIST_HELM },
};

/*
 * The value of `key` in mapping `map` (NULL when absent).  Two keys that
 * fold to `key`, or a merge key, would be read one way here and another by
 * Kustomize: an error.
 */
static int map_get(yaml_node_t **out, yaml_document_t *doc, yaml_node_t *map, const char *key,
	const char *file, pc_error *err)
{
	yaml_node_pair_t *pair;
	yaml_node_t *kn;
	const char *k;

	*out = NULL;
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		kn = yaml_document_get_node(doc, pair->key);
		if (!(k = scalar(kn)))
			return fail_at(err, file, kn, "keys must be strings");
		if (is_merge_key(k))
			return fail_at(err, file, kn, "merge keys (<<) are not supported in a kustomization");
		if (!key_is(k, key))
			continue;
		if (*out)
			return fail_at(err, file, kn, "duplicate key");
		*out = yaml_document_get_node(doc, pair->value);
	}
	return 0;
}

/*
 * A node as one line of flow YAML, to compare two helm chart entries
 * whole: any field (repo, version, inline values) may change what is
 * deployed.  Bounded in depth (aliases can make a node contain itself)
 * and in size by the buffer's limit.
 */
static int flow_text(pc_buf *b, yaml_document_t *doc, yaml_node_t *node, unsigned depth)
{
	yaml_node_pair_t *pair;
	yaml_node_item_t *item;

	if (!node || depth > 64)
		return PC_ELIMIT;
	switch (node->type) {
	case YAML_SCALAR_NODE:
		pc_buf_printf(b, "%zu:", node->data.scalar.length);
		pc_buf_put(b, node->data.scalar.value, node->data.scalar.length);
		break;
	case YAML_SEQUENCE_NODE:
		pc_buf_putc(b, '[');
		for (item = node->data.sequence.items.start; item < node->data.sequence.items.top; item++) {
			if (flow_text(b, doc, yaml_document_get_node(doc, *item), depth + 1) < 0)
				return PC_ELIMIT;
			pc_buf_putc(b, ',');
		}
		pc_buf_putc(b, ']');
		break;
	case YAML_MAPPING_NODE:
		pc_buf_putc(b, '{');
		for (pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; pair++) {
			if (flow_text(b, doc, yaml_document_get_node(doc, pair->key), depth + 1) < 0)
				return PC_ELIMIT;
			pc_buf_putc(b, '=');
			if (flow_text(b, doc, yaml_document_get_node(doc, pair->value), depth + 1) < 0)
				return PC_ELIMIT;
			pc_buf_putc(b, ',');
		}
		pc_buf_putc(b, '}');
		break;
	default:
		return PC_ELIMIT;
	}
	return pc_buf_error(b) ? PC_ELIMIT : 0;
}

static int helm_chart(pc_strlist *out, yaml_document_t *doc, yaml_node_t *node, const char *file,
	pc_error *err)
{
	pc_buf b = PC_BUF_INIT;
	int r;

	if (node->type != YAML_MAPPING_NODE)
		return fail_at(err, file, node, "an entry of helmCharts must be a mapping");
	pc_buf_init(&b, KUSTOMIZE_MAX_SIZE);
	pc_buf_puts(&b, "helm chart ");
	if (flow_text(&b, doc, node, 0) < 0)
		r = pc_buf_error(&b) == PC_ENOMEM ? pc_error_set(err, PC_ENOMEM, "out of memory") :
			fail_at(err, file, node, "a helm chart entry is too large or too deep");
	else if (pc_strlist_add(out, b.ptr) < 0)
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
	else
		r = 0;
	pc_buf_release(&b);
	return r;
}

static int read_list(pc_kustomization *k, yaml_document_t *doc, yaml_node_t *list,
	const char *key, enum list_kind kind, const char *file, pc_error *err)
{
	yaml_node_item_t *item;
	const char *s;
	char what[96];
	int r;

	if (list->type != YAML_SEQUENCE_NODE) {
		snprintf(what, sizeof(what), "%s must be a list", key);
		return fail_at(err, file, list, what);
	}
	for (item = list->data.sequence.items.start; item < list->data.sequence.items.top; item++) {
		yaml_node_t *node = yaml_document_get_node(doc, *item);
		pc_strlist *to = kind == LIST_INCLUDES ? &k->includes : &k->files;

		if (k->includes.n + k->files.n + k->remotes.n >= KUSTOMIZE_MAX_ENTRIES)
			return fail_at(err, file, node, "too many entries");
		if (kind == LIST_HELM) {
			if ((r = helm_chart(&k->remotes, doc, node, file, err)) < 0)
				return r;
			continue;
		}
		if (kind == LIST_PATH_MAPS) {
			if (!node || node->type != YAML_MAPPING_NODE) {
				snprintf(what, sizeof(what), "an entry of %s must be a mapping", key);
				return fail_at(err, file, node, what);
			}
			if ((r = map_get(&node, doc, node, "path", file, err)) < 0)
				return r;
			if (!node)
				continue;	/* an inline patch */
		}
		if (!(s = scalar(node))) {
			snprintf(what, sizeof(what), "%s must name files as strings", key);
			return fail_at(err, file, node, what);
		}
		if (kind == LIST_PATCHES && strchr(s, '\n'))
			continue;	/* an inline patch */
		if (!*s) {
			snprintf(what, sizeof(what), "an entry of %s is empty", key);
			return fail_at(err, file, node, what);
		}
		if (pc_strlist_add(to, s) < 0)
			return pc_error_set(err, PC_ENOMEM, "out of memory");
	}
	return 0;
}

/* A second document after the first would be read by some tools and not others. */
static int single_document(yaml_parser_t *parser, const char *file, pc_error *err)
{
	yaml_document_t next;
	int more;

	if (!yaml_parser_load(parser, &next))
		return pc_error_set(err, PC_EINVAL, "%s:%zu:%zu: %s", file, parser->problem_mark.line + 1,
			parser->problem_mark.column + 1, parser->problem ? parser->problem : "invalid YAML");
	more = yaml_document_get_root_node(&next) != NULL;
	yaml_document_delete(&next);
	if (more)
		return pc_error_set(err, PC_EINVAL, "%s: more than one YAML document; a kustomization is one", file);
	return 0;
}

int pc_kustomization_parse(pc_kustomization **out, const char *file, const char *text,
	size_t len, pc_error *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	yaml_node_pair_t *pair;
	pc_kustomization *k = NULL;
	size_t i;
	unsigned seen = 0, bit;
	int r = PC_EINVAL, have_doc = 0;

	*out = NULL;
	if (len > KUSTOMIZE_MAX_SIZE)
		return pc_error_set(err, PC_ELIMIT, "%s: over %d bytes", file, KUSTOMIZE_MAX_SIZE);
	if (!(k = pc_calloc(1, sizeof(*k))))
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	if (!yaml_parser_initialize(&parser)) {
		free(k);
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		r = pc_error_set(err, PC_EINVAL, "%s:%zu:%zu: %s", file, parser.problem_mark.line + 1,
			parser.problem_mark.column + 1, parser.problem ? parser.problem : "invalid YAML");
		goto done;
	}
	have_doc = 1;
	if ((r = single_document(&parser, file, err)) < 0)
		goto done;
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		r = 0;
		goto transfer;
	}
	if (root->type != YAML_MAPPING_NODE) {
		r = fail_at(err, file, root, "a kustomization must be a mapping");
		goto done;
	}
	for (pair = root->data.mapping.pairs.start; pair < root->data.mapping.pairs.top; pair++) {
		yaml_node_t *kn = yaml_document_get_node(&doc, pair->key);
		yaml_node_t *vn = yaml_document_get_node(&doc, pair->value);
		const char *key = scalar(kn);

		if (!key) {
			r = fail_at(err, file, kn, "kustomization keys must be strings");
			goto done;
		}
		/* A repeated key is read one way here and another by Kustomize: refuse it. */
		for (i = 0, bit = 0; i < PC_ARRAY_SIZE(list_keys) && !bit; i++)
			if (key_is(key, list_keys[i].key))
				bit = 1u << (i + 1);
		if (key_is(key, "images"))
			bit = 1;
		if (is_merge_key(key)) {
			r = fail_at(err, file, kn, "merge keys (<<) are not supported in a kustomization");
			goto done;
		}
		if (bit && (seen & bit)) {
			r = fail_at(err, file, kn, "duplicate key in the kustomization");
			goto done;
		}
		seen |= bit;
		if (!vn || (vn->type == YAML_SCALAR_NODE && !vn->data.scalar.length))
			continue;	/* `resources:` with nothing after it */
		if (key_is(key, "images")) {
			if ((r = read_images(k, &doc, vn, file, err)) < 0)
				goto done;
			continue;
		}
		for (i = 0; i < PC_ARRAY_SIZE(list_keys); i++)
			if (key_is(key, list_keys[i].key) &&
			    (r = read_list(k, &doc, vn, key, list_keys[i].kind, file, err)) < 0)
				goto done;
	}
	r = 0;
transfer:
	*out = k;
	k = NULL; /* transferred */
done:
	pc_kustomization_free(k);
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return r;
}
