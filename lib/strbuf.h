/*
 * strbuf.h: a growing NUL-terminated string, for the canonical strings
 * the request signers build (SigV4, Azure Shared Key). An allocation
 * failure sets `failed` and later additions do nothing: check once at
 * the end.
 */
#ifndef NB_STRBUF_H
#define NB_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
    char *s; /* NULL until something is added */
    size_t len, cap;
    bool failed;
};

void strbuf_addn(struct strbuf *b, const char *s, size_t n);
void strbuf_add(struct strbuf *b, const char *s);

#endif
