/*
 * xml.h: the small XML reader of the S3 and Azure drivers (expat).
 *
 * Both stores answer in XML: listings, upload ids, and their errors
 * (<Error><Code>..</Code><Message>..</Message></Error>). xml_walk() calls
 * back once per element that holds text, with its path from the root
 * ("ListBucketResult/Contents/Key") and its text, in document order; an
 * element's end is reported too (text NULL), so a caller can collect one
 * record at a time. Entities and DTDs are refused (no expansion attacks).
 */
#ifndef NB_XML_H
#define NB_XML_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* text: the element's text (trimmed), or NULL at the end of an element
 * that held other elements. A non-zero return stops the walk. */
typedef nb_err (*xml_cb)(void *ctx, const char *path, const char *text);

/* NB_ERR_STORAGE (recorded, naming `what`) when the body is not XML. */
nb_err xml_walk(const char *body, size_t len, const char *what, xml_cb cb,
                void *ctx) NB_WARN_UNUSED;

/* The Code and Message of an S3/Azure error body, into the buffers (empty
 * when absent or not XML). */
void xml_error(const char *body, size_t len, char *code, size_t code_len, char *message,
               size_t message_len);

/* The text of the first element at `path`, malloc'd; NULL when absent. */
char *xml_find(const char *body, size_t len, const char *path);

#endif
