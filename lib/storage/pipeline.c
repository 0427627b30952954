#include "storage/pipeline.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The queue both wrappers share: `count` full chunks from `head`. */
struct queue {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char **data;
    size_t *len;
    size_t chunk_size;
    unsigned n, head, count;
    bool done; /* the producer will add nothing more */
    bool stop; /* the consumer gave up: the producer must stop */
    nb_err err;
    char errmsg[2048];
};

static nb_err queue_init(struct queue *q, size_t chunk_size, unsigned n)
{
    memset(q, 0, sizeof(*q));
    q->data = calloc(n, sizeof(*q->data));
    q->len = calloc(n, sizeof(*q->len));
    if (!q->data || !q->len)
        goto fail;
    for (unsigned i = 0; i < n; i++) {
        q->data[i] = malloc(chunk_size);
        if (!q->data[i])
            goto fail;
    }
    q->chunk_size = chunk_size;
    q->n = n;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    return NB_OK;
fail:
    for (unsigned i = 0; q->data && i < n; i++)
        free(q->data[i]);
    free(q->data);
    free(q->len);
    return NB_ERR_NOMEM;
}

static void queue_free(struct queue *q)
{
    for (unsigned i = 0; i < q->n; i++)
        free(q->data[i]);
    free(q->data);
    free(q->len);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
}

/* Records an error of this thread for the other one. Call with mu held. */
static void queue_fail(struct queue *q, nb_err err)
{
    if (!q->err) {
        q->err = err;
        snprintf(q->errmsg, sizeof(q->errmsg), "%s", nb_errmsg());
    }
    pthread_cond_broadcast(&q->cv);
}

/* Re-records the other thread's error in this one's message buffer. */
static nb_err queue_error(struct queue *q)
{
    return nb_error(q->err, "%s", q->errmsg);
}

/* Waits for a free slot; returns its index, or -1 when told to stop. */
static int queue_reserve(struct queue *q)
{
    int slot;

    pthread_mutex_lock(&q->mu);
    while (q->count == q->n && !q->stop && !q->err)
        pthread_cond_wait(&q->cv, &q->mu);
    slot = q->stop || q->err ? -1 : (int)((q->head + q->count) % q->n);
    pthread_mutex_unlock(&q->mu);
    return slot;
}

static void queue_push(struct queue *q, size_t len)
{
    pthread_mutex_lock(&q->mu);
    q->len[(q->head + q->count) % q->n] = len;
    q->count++;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

/* Waits for a full chunk; false when the queue is drained and done (or
 * failed, with nothing left before the failure). */
static bool queue_wait_full(struct queue *q)
{
    bool full;

    pthread_mutex_lock(&q->mu);
    while (q->count == 0 && !q->done && !q->err && !q->stop)
        pthread_cond_wait(&q->cv, &q->mu);
    full = q->count > 0 && !q->stop;
    pthread_mutex_unlock(&q->mu);
    return full;
}

static void queue_pop(struct queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->head = (q->head + 1) % q->n;
    q->count--;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

static void queue_finish(struct queue *q, bool stop)
{
    pthread_mutex_lock(&q->mu);
    if (stop)
        q->stop = true;
    else
        q->done = true;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

/* ---- prefetching reader ------------------------------------------------ */

struct prefetch {
    struct storage_reader base;
    struct chunk_source *src;
    struct queue q;
    pthread_t thread;
    size_t pos;    /* consumed bytes of the head chunk */
    bool borrowed; /* storage_prefetch_next() lent the head chunk */
};

/* The source of storage_prefetch(): a storage reader, read as it is. */
struct reader_source {
    struct chunk_source base;
    struct storage_reader *r;
};

/* Fills one chunk; bytes read before an error are kept (*got). */
static nb_err reader_fill(struct chunk_source *s, void *buf, size_t len, size_t *got)
{
    struct storage_reader *r = ((struct reader_source *)s)->r;

    *got = 0;
    while (*got < len) {
        size_t n = 0;
        nb_err err = r->read(r, (char *)buf + *got, len - *got, &n);
        if (err)
            return err;
        if (n == 0)
            break;
        *got += n;
    }
    return NB_OK;
}

static void reader_close(struct chunk_source *s)
{
    struct reader_source *rs = (struct reader_source *)s;

    rs->r->close(rs->r);
    free(rs);
}

static void *prefetch_main(void *arg)
{
    struct prefetch *p = arg;
    int slot;

    while ((slot = queue_reserve(&p->q)) >= 0) {
        size_t got = 0;
        nb_err err = p->src->fill(p->src, p->q.data[slot], p->q.chunk_size, &got);
        if (got > 0)
            queue_push(&p->q, got);
        if (err) {
            pthread_mutex_lock(&p->q.mu);
            queue_fail(&p->q, err);
            pthread_mutex_unlock(&p->q.mu);
            break;
        }
        if (got < p->q.chunk_size)
            break; /* the end of the object */
    }
    queue_finish(&p->q, false);
    return NULL;
}

static nb_err prefetch_read(struct storage_reader *r, void *buf, size_t len, size_t *got)
{
    struct prefetch *p = (struct prefetch *)r;
    struct queue *q = &p->q;
    size_t n;

    *got = 0;
    if (p->borrowed) {
        p->borrowed = false;
        queue_pop(q);
    }
    if (!queue_wait_full(q))
        return q->err ? queue_error(q) : NB_OK;
    n = q->len[q->head] - p->pos;
    if (n > len)
        n = len;
    memcpy(buf, q->data[q->head] + p->pos, n);
    p->pos += n;
    if (p->pos == q->len[q->head]) {
        p->pos = 0;
        queue_pop(q);
    }
    *got = n;
    return NB_OK;
}

nb_err storage_prefetch_next(struct storage_reader *r, const void **buf, size_t *len)
{
    struct prefetch *p = (struct prefetch *)r;
    struct queue *q = &p->q;

    *buf = NULL;
    *len = 0;
    if (p->borrowed) {
        p->borrowed = false;
        queue_pop(q);
    }
    if (!queue_wait_full(q))
        return q->err ? queue_error(q) : NB_OK;
    *buf = q->data[q->head] + p->pos;
    *len = q->len[q->head] - p->pos;
    p->pos = 0;
    p->borrowed = true;
    return NB_OK;
}

static void prefetch_close(struct storage_reader *r)
{
    struct prefetch *p = (struct prefetch *)r;

    queue_finish(&p->q, true);
    pthread_join(p->thread, NULL);
    p->src->close(p->src);
    queue_free(&p->q);
    free(p);
}

nb_err storage_prefetch_source(struct chunk_source *src, uint64_t size, size_t chunk_size,
                               unsigned chunks, struct storage_reader **out)
{
    struct prefetch *p = calloc(1, sizeof(*p));

    if (!p || queue_init(&p->q, chunk_size, chunks) != NB_OK) {
        free(p);
        src->close(src);
        return NB_ERR_NOMEM;
    }
    p->src = src;
    p->base.read = prefetch_read;
    p->base.close = prefetch_close;
    p->base.size = size;
    if (pthread_create(&p->thread, NULL, prefetch_main, p) != 0) {
        queue_free(&p->q);
        free(p);
        src->close(src);
        return nb_error(NB_ERR_INTERNAL, "unable to start the download thread");
    }
    *out = &p->base;
    return NB_OK;
}

nb_err storage_prefetch(struct storage_reader *inner, size_t chunk_size, unsigned chunks,
                        struct storage_reader **out)
{
    struct reader_source *rs = calloc(1, sizeof(*rs));

    if (!rs) {
        inner->close(inner);
        return NB_ERR_NOMEM;
    }
    rs->base.fill = reader_fill;
    rs->base.close = reader_close;
    rs->r = inner;
    return storage_prefetch_source(&rs->base, inner->size, chunk_size, chunks, out);
}

/* ---- write-behind writer ----------------------------------------------- */

struct behind {
    struct storage_writer base;
    struct storage_writer *inner;
    struct queue q;
    pthread_t thread;
    int slot;    /* the chunk being filled, or -1 */
    size_t fill; /* its bytes */
};

static void *behind_main(void *arg)
{
    struct behind *b = arg;
    struct queue *q = &b->q;

    while (queue_wait_full(q)) {
        nb_err err = b->inner->write(b->inner, q->data[q->head], q->len[q->head]);
        if (err) {
            pthread_mutex_lock(&q->mu);
            queue_fail(q, err);
            pthread_mutex_unlock(&q->mu);
            return NULL;
        }
        queue_pop(q);
    }
    return NULL;
}

static nb_err behind_flush(struct behind *b)
{
    if (b->slot >= 0 && b->fill > 0) {
        queue_push(&b->q, b->fill);
        b->slot = -1;
        b->fill = 0;
    }
    return NB_OK;
}

static nb_err behind_write(struct storage_writer *w, const void *buf, size_t len)
{
    struct behind *b = (struct behind *)w;
    const char *p = buf;

    while (len > 0) {
        size_t n;
        if (b->slot < 0) {
            b->slot = queue_reserve(&b->q);
            if (b->slot < 0)
                return queue_error(&b->q);
        }
        n = b->q.chunk_size - b->fill;
        if (n > len)
            n = len;
        memcpy(b->q.data[b->slot] + b->fill, p, n);
        b->fill += n;
        p += n;
        len -= n;
        if (b->fill == b->q.chunk_size)
            behind_flush(b);
    }
    return NB_OK;
}

static void behind_free(struct behind *b)
{
    queue_free(&b->q);
    free(b);
}

static nb_err behind_commit(struct storage_writer *w)
{
    struct behind *b = (struct behind *)w;
    nb_err err;

    (void)behind_flush(b);
    queue_finish(&b->q, false);
    pthread_join(b->thread, NULL);
    if (b->q.err) {
        err = queue_error(&b->q);
        b->inner->abort(b->inner);
    } else {
        err = b->inner->commit(b->inner);
    }
    behind_free(b);
    return err;
}

static void behind_abort(struct storage_writer *w)
{
    struct behind *b = (struct behind *)w;

    queue_finish(&b->q, true);
    pthread_join(b->thread, NULL);
    b->inner->abort(b->inner);
    behind_free(b);
}

nb_err storage_write_behind(struct storage_writer *inner, size_t chunk_size, unsigned chunks,
                            struct storage_writer **out)
{
    struct behind *b = calloc(1, sizeof(*b));

    if (!b || queue_init(&b->q, chunk_size, chunks) != NB_OK) {
        free(b);
        inner->abort(inner);
        return NB_ERR_NOMEM;
    }
    b->inner = inner;
    b->slot = -1;
    b->base.write = behind_write;
    b->base.commit = behind_commit;
    b->base.abort = behind_abort;
    if (pthread_create(&b->thread, NULL, behind_main, b) != 0) {
        queue_free(&b->q);
        free(b);
        inner->abort(inner);
        return nb_error(NB_ERR_INTERNAL, "unable to start the upload thread");
    }
    *out = &b->base;
    return NB_OK;
}
