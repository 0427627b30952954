/* The one part writer of the cloud drivers (see part_writer.h). */
#include "storage/part_writer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PART_FIRST_BUFFER (64u << 10)

/* A full part on its way to a worker. */
struct part_job {
    char *buf;
    size_t len;
    unsigned number;
    uint64_t offset;
};

/* Parallel parts: after the first part (which starts the upload), full
 * parts go to `n` workers through a queue of at most n jobs; the writer
 * fills a new buffer meanwhile. Memory: n + 1 parts. The final part waits
 * for every other, so complete() sees them all. */
struct part_pool {
    pthread_t *threads;
    unsigned n, started;
    struct part_job *queue; /* ring of n */
    unsigned head, count, in_flight;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
    nb_err err; /* the first failure */
    char errmsg[1024];
};

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
    struct part_pool *pool;
};

static size_t round_up(size_t n, size_t q)
{
    return q > 1 ? (n + q - 1) / q * q : n;
}

size_t part_size_for(const struct part_limits *l, uint64_t size_hint)
{
    /* Parts in flight side by side: the smallest part the store takes,
     * so memory stays (parallel + 1) small parts. */
    uint64_t size = l->parallel > 1 ? l->min_part : l->default_part;

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

static void *pool_worker(void *arg)
{
    struct part_writer *w = arg;
    struct part_pool *pl = w->pool;

    pthread_mutex_lock(&pl->lock);
    for (;;) {
        struct part_job job;
        nb_err err;

        while (!pl->stop && pl->count == 0)
            pthread_cond_wait(&pl->cond, &pl->lock);
        if (pl->count == 0)
            break; /* stopped and nothing left */
        job = pl->queue[pl->head];
        pl->head = (pl->head + 1) % pl->n;
        pl->count--;
        pthread_cond_broadcast(&pl->cond);
        if (pl->err || pl->stop) {
            /* a part failed or the upload is abandoned: drop the rest */
            free(job.buf);
            pl->in_flight--;
            pthread_cond_broadcast(&pl->cond);
            continue;
        }
        pthread_mutex_unlock(&pl->lock);
        err = w->ops->put_part(w->ctx, job.number, job.offset, job.buf, job.len, false);
        free(job.buf);
        pthread_mutex_lock(&pl->lock);
        if (err && !pl->err) {
            pl->err = err;
            snprintf(pl->errmsg, sizeof(pl->errmsg), "%s", nb_errmsg());
        }
        pl->in_flight--;
        pthread_cond_broadcast(&pl->cond);
    }
    pthread_mutex_unlock(&pl->lock);
    return NULL;
}

/* Waits until no part is queued or being sent; the first failure. */
static nb_err pool_drain(struct part_pool *pl)
{
    nb_err err;

    pthread_mutex_lock(&pl->lock);
    while (pl->in_flight > 0)
        pthread_cond_wait(&pl->cond, &pl->lock);
    err = pl->err;
    pthread_mutex_unlock(&pl->lock);
    return err ? nb_error(err, "%s", pl->errmsg) : NB_OK;
}

static void pool_free(struct part_pool *pl)
{
    if (!pl)
        return;
    pthread_mutex_lock(&pl->lock);
    pl->stop = true;
    pthread_cond_broadcast(&pl->cond);
    pthread_mutex_unlock(&pl->lock);
    for (unsigned i = 0; i < pl->started; i++)
        pthread_join(pl->threads[i], NULL);
    for (unsigned i = 0; i < pl->count; i++)
        free(pl->queue[(pl->head + i) % pl->n].buf);
    pthread_mutex_destroy(&pl->lock);
    pthread_cond_destroy(&pl->cond);
    free(pl->threads);
    free(pl->queue);
    free(pl);
}

static nb_err pool_start(struct part_writer *w)
{
    struct part_pool *pl = calloc(1, sizeof(*pl));
    unsigned n = w->limits.parallel;

    if (!pl || !(pl->threads = calloc(n, sizeof(*pl->threads))) ||
        !(pl->queue = calloc(n, sizeof(*pl->queue)))) {
        if (pl) {
            free(pl->threads);
            free(pl);
        }
        return nb_error(NB_ERR_NOMEM, "out of memory");
    }
    pl->n = n;
    pthread_mutex_init(&pl->lock, NULL);
    pthread_cond_init(&pl->cond, NULL);
    w->pool = pl;
    for (; pl->started < n; pl->started++) {
        if (pthread_create(&pl->threads[pl->started], NULL, pool_worker, w) != 0)
            return nb_error(NB_ERR_INTERNAL, STORAGE_MSG_WRITE ": unable to start upload threads",
                            w->name);
    }
    return NB_OK;
}

/* Hands the full buffer to the pool (waiting for room) and takes a new one. */
static nb_err pool_submit(struct part_writer *w)
{
    struct part_pool *pl = w->pool;
    struct part_job job = {.buf = w->buf, .len = w->len, .number = w->parts + 1, .offset = w->sent};
    char *fresh = malloc(w->part_size);
    nb_err err;

    if (!fresh)
        return nb_error(NB_ERR_NOMEM, STORAGE_MSG_WRITE ": out of memory for a %zu-byte part",
                        w->name, w->part_size);
    pthread_mutex_lock(&pl->lock);
    while (!pl->err && pl->in_flight >= pl->n)
        pthread_cond_wait(&pl->cond, &pl->lock);
    err = pl->err;
    if (!err) {
        pl->queue[(pl->head + pl->count) % pl->n] = job;
        pl->count++;
        pl->in_flight++;
        pthread_cond_broadcast(&pl->cond);
    }
    pthread_mutex_unlock(&pl->lock);
    if (err) {
        free(fresh);
        return nb_error(err, "%s", pl->errmsg);
    }
    w->buf = fresh;
    w->cap = w->part_size;
    return NB_OK;
}

static void writer_free(struct part_writer *w)
{
    pool_free(w->pool);
    w->ops->free(w->ctx);
    free(w->buf);
    free(w);
}

static nb_err send_part(struct part_writer *w, bool final)
{
    nb_err err;

    if (w->pool && !final) {
        err = pool_submit(w);
    } else {
        if (w->pool && (err = pool_drain(w->pool)))
            return err;
        err = w->ops->put_part(w->ctx, w->parts + 1, w->sent, w->buf, w->len, final);
    }
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
    /* The first part started the upload: the others may go side by side. */
    if (!final && !w->pool && w->limits.parallel > 1 && w->ops->parallel)
        return pool_start(w);
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
    if (err && w->parts > 0) {
        pool_free(w->pool); /* its parts end before the upload is aborted */
        w->pool = NULL;
        w->ops->abort(w->ctx);
    }
    writer_free(w);
    return err;
}

static void pw_abort(struct storage_writer *sw)
{
    struct part_writer *w = (struct part_writer *)sw;

    pool_free(w->pool);
    w->pool = NULL;
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
