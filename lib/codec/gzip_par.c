#include "codec/gzip_par.h"

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define DICT_SIZE (32 * 1024)
/* The most a chunk's deflate output can need (stored blocks, flush), with
 * room to spare; the buffer grows if it ever is not enough. */
#define OUT_SIZE (GZPAR_CHUNK + GZPAR_CHUNK / 16 + 4096)

enum job_state { JOB_FILLING, JOB_READY, JOB_BUSY, JOB_DONE };

struct job {
    enum job_state state;
    unsigned char *in; /* dict_len bytes of dictionary, then in_len of input */
    size_t dict_len, in_len;
    unsigned char *out;
    size_t out_size, out_len;
    uint32_t crc; /* of the input */
    bool last;
    nb_err err;
    char errmsg[512];
};

struct worker {
    struct gzpar *g;
    pthread_t thread;
    bool started;
    struct isal_zstream *isal;
    unsigned char *level_buf;
    z_stream zs;
    bool zs_ready;
};

struct gzpar {
    pthread_mutex_t mu;
    pthread_cond_t work_cv; /* a job became ready, or quit */
    pthread_cond_t done_cv; /* a job is done */
    struct job *jobs;
    unsigned njobs;
    struct worker *workers;
    unsigned nworkers;
    bool quit;
    uint64_t next_take; /* the seq a worker takes next: jobs start in order */
    uint64_t next_seq;  /* the seq of the job being filled */
    uint64_t next_emit; /* the seq emitted next */
    int isal_level;     /* -1: zlib */
    int zlib_level;
    uint32_t level_buf_size;
    uint32_t crc;
    uint64_t total_in;
    bool header_done, finished;
    gzpar_emit_fn emit;
    void *emit_ctx;
};

static struct job *job_of(struct gzpar *g, uint64_t seq)
{
    return &g->jobs[seq % g->njobs];
}

/* Records a worker's failure; the thread that emits the job reports it. */
static void NB_PRINTF(3, 4) job_fail(struct job *j, nb_err err, const char *fmt, ...)
{
    va_list ap;

    j->err = err;
    va_start(ap, fmt);
    vsnprintf(j->errmsg, sizeof(j->errmsg), fmt, ap);
    va_end(ap);
}

/* Room for `more` output bytes after out_len. */
static bool job_grow(struct job *j, size_t more)
{
    unsigned char *p;

    if (j->out_size - j->out_len >= more)
        return true;
    p = realloc(j->out, j->out_size * 2);
    if (!p)
        return false;
    j->out = p;
    j->out_size *= 2;
    return true;
}

static void deflate_isal(struct worker *w, struct job *j, int level)
{
    struct isal_zstream *z = w->isal;

    isal_deflate_init(z);
    z->level = (uint32_t)level;
    z->level_buf = w->level_buf;
    z->level_buf_size = w->g->level_buf_size;
    z->gzip_flag = IGZIP_DEFLATE;
    if (j->dict_len && isal_deflate_set_dict(z, j->in, (uint32_t)j->dict_len) != COMP_OK) {
        job_fail(j, NB_ERR_INTERNAL, "ISA-L refused the dictionary of a gzip chunk");
        return;
    }
    z->end_of_stream = j->last;
    z->flush = j->last ? NO_FLUSH : SYNC_FLUSH;
    z->next_in = j->in + j->dict_len;
    z->avail_in = (uint32_t)j->in_len;
    do {
        int r;
        if (!job_grow(j, 4096)) {
            job_fail(j, NB_ERR_NOMEM, "out of memory compressing a gzip chunk");
            return;
        }
        z->next_out = j->out + j->out_len;
        z->avail_out = (uint32_t)(j->out_size - j->out_len);
        r = isal_deflate(z);
        j->out_len = j->out_size - z->avail_out;
        if (r != COMP_OK) {
            job_fail(j, NB_ERR_INTERNAL, "ISA-L deflate failed with error %d", r);
            return;
        }
    } while (z->avail_in > 0 || z->avail_out == 0 ||
             (j->last && z->internal_state.state != ZSTATE_END));
}

static void deflate_zlib(struct worker *w, struct job *j)
{
    z_stream *z = &w->zs;
    int r;

    if (deflateReset(z) != Z_OK ||
        (j->dict_len && deflateSetDictionary(z, j->in, (uInt)j->dict_len) != Z_OK)) {
        job_fail(j, NB_ERR_INTERNAL, "zlib refused to start a gzip chunk");
        return;
    }
    z->next_in = j->in + j->dict_len;
    z->avail_in = (uInt)j->in_len;
    do {
        if (!job_grow(j, 4096)) {
            job_fail(j, NB_ERR_NOMEM, "out of memory compressing a gzip chunk");
            return;
        }
        z->next_out = j->out + j->out_len;
        z->avail_out = (uInt)(j->out_size - j->out_len);
        r = deflate(z, j->last ? Z_FINISH : Z_SYNC_FLUSH);
        j->out_len = j->out_size - z->avail_out;
        if (r == Z_STREAM_ERROR) {
            job_fail(j, NB_ERR_INTERNAL, "zlib deflate failed with error %d", r);
            return;
        }
    } while (j->last ? r != Z_STREAM_END : (z->avail_in > 0 || z->avail_out == 0));
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct gzpar *g = w->g;

    pthread_mutex_lock(&g->mu);
    for (;;) {
        struct job *j;

        /* The slot of seq next_take holds no other ready seq: the one
         * before it was taken long ago. */
        while (!g->quit && job_of(g, g->next_take)->state != JOB_READY)
            pthread_cond_wait(&g->work_cv, &g->mu);
        if (g->quit)
            break;
        j = job_of(g, g->next_take++);
        j->state = JOB_BUSY;
        pthread_mutex_unlock(&g->mu);

        j->out_len = 0;
        j->err = NB_OK;
        j->crc = crc32_gzip_refl(0, j->in + j->dict_len, j->in_len);
        if (g->isal_level >= 0)
            deflate_isal(w, j, g->isal_level);
        else
            deflate_zlib(w, j);

        pthread_mutex_lock(&g->mu);
        j->state = JOB_DONE;
        pthread_cond_broadcast(&g->done_cv);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

static nb_err emit_header(struct gzpar *g)
{
    /* magic, deflate, no flags, no time, no extra flags, Unix */
    static const unsigned char header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};

    g->header_done = true;
    return g->emit(g->emit_ctx, header, sizeof(header));
}

/* Waits for the oldest job, emits it and frees its slot for seq next_seq. */
static nb_err emit_oldest(struct gzpar *g)
{
    struct job *j = job_of(g, g->next_emit);
    nb_err err;

    pthread_mutex_lock(&g->mu);
    while (j->state != JOB_DONE)
        pthread_cond_wait(&g->done_cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
    if (j->err)
        return nb_error(j->err, "%s", j->errmsg);
    if (!g->header_done && (err = emit_header(g)))
        return err;
    if ((err = g->emit(g->emit_ctx, j->out, j->out_len)))
        return err;
    g->crc = (uint32_t)crc32_combine(g->crc, j->crc, (z_off_t)j->in_len);
    g->total_in += j->in_len;
    g->next_emit++;
    return NB_OK;
}

/* Hands the job being filled to the workers and prepares the next one,
 * its dictionary the last 32 KiB of this one's input (and dictionary). */
static nb_err submit(struct gzpar *g, bool last)
{
    struct job *j = job_of(g, g->next_seq), *n;
    nb_err err;
    size_t have = j->dict_len + j->in_len, keep = have < DICT_SIZE ? have : DICT_SIZE;

    j->last = last;
    pthread_mutex_lock(&g->mu);
    j->state = JOB_READY;
    g->next_seq++;
    pthread_cond_broadcast(&g->work_cv);
    pthread_mutex_unlock(&g->mu);
    if (last)
        return NB_OK;
    /* The next slot is free once what it held was emitted. */
    while (g->next_emit + g->njobs <= g->next_seq)
        if ((err = emit_oldest(g)))
            return err;
    n = job_of(g, g->next_seq);
    memcpy(n->in, j->in + have - keep, keep);
    n->dict_len = keep;
    n->in_len = 0;
    pthread_mutex_lock(&g->mu);
    n->state = JOB_FILLING;
    pthread_mutex_unlock(&g->mu);
    return NB_OK;
}

nb_err gzpar_write(struct gzpar *g, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    nb_err err;

    while (len > 0) {
        struct job *j = job_of(g, g->next_seq);
        size_t n = GZPAR_CHUNK - j->in_len;
        if (n > len)
            n = len;
        memcpy(j->in + j->dict_len + j->in_len, p, n);
        j->in_len += n;
        p += n;
        len -= n;
        if (j->in_len == GZPAR_CHUNK && (err = submit(g, false)))
            return err;
    }
    return NB_OK;
}

nb_err gzpar_finish(struct gzpar *g)
{
    unsigned char trailer[8];
    nb_err err;

    if ((err = submit(g, true)))
        return err;
    while (g->next_emit < g->next_seq)
        if ((err = emit_oldest(g)))
            return err;
    for (int i = 0; i < 4; i++) {
        trailer[i] = (unsigned char)(g->crc >> (8 * i));
        trailer[4 + i] = (unsigned char)(g->total_in >> (8 * i));
    }
    g->finished = true;
    return g->emit(g->emit_ctx, trailer, sizeof(trailer));
}

void gzpar_free(struct gzpar *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->mu);
    g->quit = true;
    pthread_cond_broadcast(&g->work_cv);
    pthread_mutex_unlock(&g->mu);
    for (unsigned i = 0; i < g->nworkers; i++) {
        struct worker *w = &g->workers[i];
        if (w->started)
            pthread_join(w->thread, NULL);
        free(w->isal);
        free(w->level_buf);
        if (w->zs_ready)
            deflateEnd(&w->zs);
    }
    for (unsigned i = 0; g->jobs && i < g->njobs; i++) {
        free(g->jobs[i].in);
        free(g->jobs[i].out);
    }
    free(g->jobs);
    free(g->workers);
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->work_cv);
    pthread_cond_destroy(&g->done_cv);
    free(g);
}

static const uint32_t isal_level_buf[] = {0, ISAL_DEF_LVL1_DEFAULT, ISAL_DEF_LVL2_DEFAULT,
                                          ISAL_DEF_LVL3_DEFAULT};

static nb_err worker_init(struct gzpar *g, struct worker *w)
{
    w->g = g;
    if (g->isal_level >= 0) {
        w->isal = malloc(sizeof(*w->isal));
        w->level_buf = g->level_buf_size ? malloc(g->level_buf_size) : NULL;
        if (!w->isal || (g->level_buf_size && !w->level_buf))
            return NB_ERR_NOMEM;
        return NB_OK;
    }
    if (deflateInit2(&w->zs, g->zlib_level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NB_ERR_NOMEM;
    w->zs_ready = true;
    return NB_OK;
}

nb_err gzpar_new(int level, int threads, gzpar_emit_fn emit, void *emit_ctx, struct gzpar **out)
{
    struct gzpar *g;

    *out = NULL;
    if (level < 0 || level > 9)
        return nb_error(NB_ERR_USAGE, "gzip level %d is not supported: use 0 to 9", level);
    if (level == 0)
        level = GZPAR_DEFAULT_LEVEL;
    if (threads < 1)
        threads = 1;
    if (threads > GZPAR_MAX_THREADS)
        threads = GZPAR_MAX_THREADS;
    g = calloc(1, sizeof(*g));
    if (!g)
        return NB_ERR_NOMEM;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->work_cv, NULL);
    pthread_cond_init(&g->done_cv, NULL);
    g->emit = emit;
    g->emit_ctx = emit_ctx;
    g->isal_level = level <= 4 ? level - 1 : -1;
    g->zlib_level = level;
    g->level_buf_size = g->isal_level >= 0 ? isal_level_buf[g->isal_level] : 0;
    g->nworkers = (unsigned)threads;
    g->njobs = 2 * g->nworkers + 1;
    g->jobs = calloc(g->njobs, sizeof(*g->jobs));
    g->workers = calloc(g->nworkers, sizeof(*g->workers));
    if (!g->jobs || !g->workers)
        goto nomem;
    for (unsigned i = 0; i < g->njobs; i++) {
        g->jobs[i].in = malloc(DICT_SIZE + GZPAR_CHUNK);
        g->jobs[i].out = malloc(OUT_SIZE);
        g->jobs[i].out_size = OUT_SIZE;
        if (!g->jobs[i].in || !g->jobs[i].out)
            goto nomem;
    }
    g->jobs[0].state = JOB_FILLING;
    for (unsigned i = 0; i < g->nworkers; i++) {
        struct worker *w = &g->workers[i];
        if (worker_init(g, w))
            goto nomem;
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            gzpar_free(g);
            return nb_error(NB_ERR_INTERNAL, "unable to start a gzip compression thread");
        }
        w->started = true;
    }
    *out = g;
    return NB_OK;
nomem:
    gzpar_free(g);
    return NB_ERR_NOMEM;
}
