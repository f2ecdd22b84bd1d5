/*
 * kustomize.c: read the images of a kustomization with libyaml.
 */
#include "kustomize.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define KUSTOMIZE_MAX_SIZE (1024 * 1024)
#define KUSTOMIZE_MAX_IMAGES 10000

static const char *scalar(yaml_document_t *doc, yaml_node_t *node)
{
	(void)doc;
	if (!node || node->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)node->data.scalar.value;
}

static int fail_at(pc_error *err, const char *file, yaml_node_t *node, const char *what)
{
	return pc_error_set(err, PC_EINVAL, "%s:%zu:%zu: %s", file,
		node ? node->start_mark.line + 1 : 0, node ? node->start_mark.column + 1 : 0, what);
}

void pc_kustomize_images_free(pc_kimage *images, size_t n)
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

static int read_image(pc_kimage *im, yaml_document_t *doc, yaml_node_t *node, const char *file,
	pc_error *err)
{
	yaml_node_pair_t *pair;

	if (node->type != YAML_MAPPING_NODE)
		return fail_at(err, file, node, "an entry of images must be a mapping");
	for (pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(doc, pair->value);
		const char *key = scalar(doc, k), *val = scalar(doc, v);
		char **slot = NULL;

		if (!key)
			return fail_at(err, file, k, "image keys must be strings");
		if (!strcmp(key, "name"))
			slot = &im->name;
		else if (!strcmp(key, "newName"))
			slot = &im->new_name;
		else if (!strcmp(key, "newTag"))
			slot = &im->new_tag;
		else if (!strcmp(key, "digest"))
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

int pc_kustomize_images(pc_kimage **out, size_t *n, const char *file, const char *text,
	size_t len, pc_error *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root, *images = NULL;
	yaml_node_pair_t *pair;
	yaml_node_item_t *item;
	pc_kimage *list = NULL;
	size_t count = 0;
	int r = PC_EINVAL, have_doc = 0;

	*out = NULL;
	*n = 0;
	if (len > KUSTOMIZE_MAX_SIZE)
		return pc_error_set(err, PC_ELIMIT, "%s: over %d bytes", file, KUSTOMIZE_MAX_SIZE);
	if (!yaml_parser_initialize(&parser))
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		r = pc_error_set(err, PC_EINVAL, "%s:%zu:%zu: %s", file, parser.problem_mark.line + 1,
			parser.problem_mark.column + 1, parser.problem ? parser.problem : "invalid YAML");
		goto done;
	}
	have_doc = 1;
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		r = 0;
		goto done;
	}
	if (root->type != YAML_MAPPING_NODE) {
		r = fail_at(err, file, root, "a kustomization must be a mapping");
		goto done;
	}
	for (pair = root->data.mapping.pairs.start; pair < root->data.mapping.pairs.top; pair++) {
		const char *key = scalar(&doc, yaml_document_get_node(&doc, pair->key));
		if (key && !strcmp(key, "images"))
			images = yaml_document_get_node(&doc, pair->value);
	}
	if (!images) {
		r = 0;
		goto done;
	}
	if (images->type != YAML_SEQUENCE_NODE) {
		r = fail_at(err, file, images, "images must be a list");
		goto done;
	}
	count = (size_t)(images->data.sequence.items.top - images->data.sequence.items.start);
	if (count > KUSTOMIZE_MAX_IMAGES) {
		r = fail_at(err, file, images, "too many images");
		goto done;
	}
	if (!(list = pc_calloc(count, sizeof(*list)))) {
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
	for (item = images->data.sequence.items.start; item < images->data.sequence.items.top; item++) {
		pc_kimage *im = &list[item - images->data.sequence.items.start];
		if ((r = read_image(im, &doc, yaml_document_get_node(&doc, *item), file, err)) < 0)
			goto done;
	}
	*out = list;
	list = NULL; /* transferred */
	*n = count;
	r = 0;
done:
	pc_kustomize_images_free(list, count);
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return r;
}
