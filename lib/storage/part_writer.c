/* The one part writer of the cloud drivers (see part_writer.h). */
#include "storage/part_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PART_FIRST_BUFFER (64u << 10)

struct part_writer {
    struct storage_writer base;
    struct part_limits limits;
    const struct part_ops *ops;
    void *ctx;
    char name[1200];
    uint64_t hint;
    size_t part_size;
    char *buf;
    size_t cap, len;
    unsigned parts; /* sent so far */
    uint64_t sent;  /* bytes in those parts */
};

static size_t round_up(size_t n, size_t q)
{
    return q > 1 ? (n + q - 1) / q * q : n;
}

size_t part_size_for(const struct part_limits *l, uint64_t size_hint)
{
    uint64_t size = l->default_part;

    if (size_hint && l->max_parts) {
        /* 10% headroom before the stream outgrows the hint. */
        uint64_t want = size_hint / l->max_parts + size_hint / l->max_parts / 10 + 1;
        if (want > size)
            size = want;
    }
    if (size < l->min_part)
        size = l->min_part;
    if (size > l->max_part)
        size = l->max_part;
    return round_up((size_t)size, l->quantum) > l->max_part ? l->max_part
                                                            : round_up((size_t)size, l->quantum);
}

size_t part_size_next(const struct part_limits *l, uint64_t size_hint, unsigned parts,
                      uint64_t sent, size_t part_size)
{
    uint64_t room;

    if (!l->max_parts || sent <= size_hint || part_size >= l->max_part)
        return part_size;
    room = (uint64_t)(l->max_parts > parts ? l->max_parts - parts : 0) * part_size;
    if (room >= sent)
        return part_size;
    part_size = part_size > l->max_part / 2 ? l->max_part : part_size * 2;
    return part_size;
}

static void writer_free(struct part_writer *w)
{
    w->ops->free(w->ctx);
    free(w->buf);
    free(w);
}

static nb_err send_part(struct part_writer *w, bool final)
{
    nb_err err = w->ops->put_part(w->ctx, w->parts + 1, w->sent, w->buf, w->len, final);

    if (err)
        return err;
    w->parts++;
    w->sent += w->len;
    w->len = 0;
    if (w->limits.max_parts && w->parts >= w->limits.max_parts && !final)
        return nb_error(NB_ERR_STORAGE,
                        STORAGE_MSG_WRITE ": the upload reached the store's limit of %u parts",
                        w->name, w->limits.max_parts);
    w->part_size = part_size_next(&w->limits, w->hint, w->parts, w->sent, w->part_size);
    return NB_OK;
}

/* A full buffer smaller than a part doubles, up to the part size. */
static nb_err grow(struct part_writer *w)
{
    size_t want = w->cap * 2 > w->part_size ? w->part_size : w->cap * 2;
    char *p = realloc(w->buf, want);

    if (!p)
        return nb_error(NB_ERR_NOMEM, STORAGE_MSG_WRITE ": out of memory for a %zu-byte part",
                        w->name, want);
    w->buf = p;
    w->cap = want;
    return NB_OK;
}

static nb_err pw_write(struct storage_writer *sw, const void *buf, size_t len)
{
    struct part_writer *w = (struct part_writer *)sw;
    const char *p = buf;
    nb_err err;

    while (len > 0) {
        size_t n;
        /* A full part goes only once more bytes come: never an empty last. */
        if (w->len == w->part_size && (err = send_part(w, false)))
            return err;
        if (w->len == w->cap && (err = grow(w)))
            return err;
        n = w->cap - w->len < len ? w->cap - w->len : len;
        memcpy(w->buf + w->len, p, n);
        w->len += n;
        p += n;
        len -= n;
    }
    return NB_OK;
}

static nb_err pw_commit(struct storage_writer *sw)
{
    struct part_writer *w = (struct part_writer *)sw;
    nb_err err;

    if (w->parts == 0) {
        err = w->ops->put_whole(w->ctx, w->buf ? w->buf : "", w->len);
    } else {
        err = send_part(w, true);
        if (!err && w->ops->complete)
            err = w->ops->complete(w->ctx, w->parts, w->sent);
    }
    if (err && w->parts > 0)
        w->ops->abort(w->ctx);
    writer_free(w);
    return err;
}

static void pw_abort(struct storage_writer *sw)
{
    struct part_writer *w = (struct part_writer *)sw;

    w->ops->abort(w->ctx);
    writer_free(w);
}

nb_err part_writer_new(const struct part_limits *limits, uint64_t size_hint,
                       const struct part_ops *ops, void *ctx, const char *name,
                       struct storage_writer **out)
{
    struct part_writer *w = calloc(1, sizeof(*w));

    if (!w) {
        ops->free(ctx);
        return nb_error(NB_ERR_NOMEM, "out of memory");
    }
    w->limits = *limits;
    w->ops = ops;
    w->ctx = ctx;
    w->hint = size_hint;
    snprintf(w->name, sizeof(w->name), "%s", name);
    w->part_size = part_size_for(limits, size_hint);
    /* Small objects need small buffers; big ones grow to a part. */
    w->cap = size_hint && size_hint < PART_FIRST_BUFFER ? (size_t)size_hint : PART_FIRST_BUFFER;
    if (w->cap > w->part_size)
        w->cap = w->part_size;
    if (!w->cap)
        w->cap = 1;
    if (!(w->buf = malloc(w->cap))) {
        writer_free(w);
        return nb_error(NB_ERR_NOMEM, "out of memory");
    }
    w->base.write = pw_write;
    w->base.commit = pw_commit;
    w->base.abort = pw_abort;
    *out = &w->base;
    return NB_OK;
}
