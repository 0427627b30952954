/*
 * The streamed ranged GET every cloud driver's read uses (http_read.h).
 *
 * A pull model over curl's multi interface: read() drives the transfer
 * only until some bytes are there, so memory stays one small ring whatever
 * the object's size. The write callback stores body bytes in the ring and
 * pauses the transfer (CURL_WRITEFUNC_PAUSE) when the ring is full; read()
 * empties the ring first and unpauses.
 *
 * A transfer that fails part-way (connection cut, stall, 5xx before the
 * body) is resumed with "Range: bytes=N-" from the first byte not yet
 * received, pinned to the version the first answer named (a query
 * parameter such as GCS's generation, or If-Match on the ETag), so no byte
 * is returned twice or skipped and a replaced object is never mixed in;
 * retries are http_retry_next()'s and start afresh once a resumed transfer
 * made progress.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "storage/http_read.h"

#define HTTP_READ_RING_SIZE (256u << 10)
#define HTTP_READ_ERRBODY   2048
#define HTTP_READ_POLL_MS   1000

struct http_reader {
    struct storage_reader base;
    struct http_read_spec spec; /* its strings are copies */
    char name[1200];            /* for messages */
    char *url;
    char pin[256]; /* the version the first answer named; "" until then */
    uint64_t next; /* object offset of the next byte to receive */
    uint64_t end;  /* object offset where the read ends (exclusive); UINT64_MAX: not known yet */
    bool eof;

    CURLM *multi;
    CURL *easy;
    struct curl_slist *headers;
    bool attached; /* easy is in multi */
    bool done;     /* the transfer finished; result tells how */
    CURLcode result;
    long status;
    bool headers_done;
    bool paused;
    uint64_t skip;         /* leading body bytes to drop (a 200 to a ranged request) */
    bool headers_done_now; /* the headers ended during this pump */
    bool range_ok;         /* the answer's body starts at or before rd->next */
    uint64_t total;        /* the object's size per the answer; UINT64_MAX: not told */
    char hdr[16384];
    size_t hdr_len;
    char errbody[HTTP_READ_ERRBODY];
    size_t errbody_len;
    char curl_error[CURL_ERROR_SIZE];

    char *ring;
    size_t cap, head, len;

    struct http_retry retry;
    uint64_t retry_mark; /* `next` when the retry sequence started */
    bool refreshed;
};

/* ---- the ring ---- */

static bool ring_fits(const struct http_reader *rd, size_t n)
{
    return rd->cap - rd->len >= n;
}

static void ring_put(struct http_reader *rd, const char *data, size_t n)
{
    size_t tail = (rd->head + rd->len) % rd->cap;
    size_t first = rd->cap - tail < n ? rd->cap - tail : n;

    memcpy(rd->ring + tail, data, first);
    memcpy(rd->ring, data + first, n - first);
    rd->len += n;
}

static size_t ring_get(struct http_reader *rd, char *out, size_t n)
{
    size_t first;

    if (n > rd->len)
        n = rd->len;
    first = rd->cap - rd->head < n ? rd->cap - rd->head : n;
    memcpy(out, rd->ring + rd->head, first);
    memcpy(out + first, rd->ring, n - first);
    rd->head = (rd->head + n) % rd->cap;
    rd->len -= n;
    if (rd->len == 0)
        rd->head = 0;
    return n;
}

/* An empty ring grows for a callback chunk larger than it (rare: curl
 * hands over at most CURL_MAX_WRITE_SIZE bytes at a time). */
static bool ring_grow(struct http_reader *rd, size_t n)
{
    char *p = realloc(rd->ring, n);

    if (!p)
        return false;
    rd->ring = p;
    rd->cap = n;
    rd->head = 0;
    return true;
}

/* ---- curl callbacks ---- */

/* The answer's headers are in, before any of its body: where does the
 * body start? A 206 from its Content-Range, a 200 from the object's start
 * (a server may ignore Range); bytes before rd->next are dropped. */
static void headers_end(struct http_reader *rd)
{
    char v[128];
    uint64_t a = 0, b = 0;

    rd->range_ok = true;
    rd->total = UINT64_MAX;
    if (rd->status == 206) {
        rd->range_ok = http_header_get(rd->hdr, "Content-Range", v, sizeof(v)) &&
                       http_parse_content_range(v, &a, &b, &rd->total) && a != UINT64_MAX &&
                       a <= rd->next;
        rd->skip = rd->range_ok ? rd->next - a : 0;
    } else if (rd->status == 200) {
        rd->skip = rd->next;
        if (http_header_get(rd->hdr, "Content-Length", v, sizeof(v)))
            rd->total = strtoull(v, NULL, 10);
    }
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct http_reader *rd = ctx;
    size_t n = size * nmemb;
    long status;

    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        rd->hdr_len = 0;
        rd->headers_done = false;
        if (sscanf(data, "HTTP/%*s %ld", &status) == 1)
            rd->status = status;
    } else if ((n == 2 && data[0] == '\r') || (n == 1 && data[0] == '\n')) {
        if (rd->status >= 200) {
            rd->headers_done = rd->headers_done_now = true;
            headers_end(rd);
        }
        return n;
    }
    if (rd->hdr_len + n < sizeof(rd->hdr)) {
        memcpy(rd->hdr + rd->hdr_len, data, n);
        rd->hdr_len += n;
        rd->hdr[rd->hdr_len] = '\0';
    }
    return n;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct http_reader *rd = ctx;
    size_t n = size * nmemb, drop, take;

    if (rd->status != 200 && rd->status != 206) {
        if (HTTP_READ_ERRBODY - 1 == rd->errbody_len)
            return n;
        size_t keep = HTTP_READ_ERRBODY - 1 - rd->errbody_len;
        if (keep > n)
            keep = n;
        memcpy(rd->errbody + rd->errbody_len, data, keep);
        rd->errbody_len += keep;
        rd->errbody[rd->errbody_len] = '\0';
        return n;
    }
    if (!rd->range_ok)
        return 0; /* ends the transfer: accept_answer() says why */
    /* Work out what this chunk adds before changing anything: a paused
     * chunk is handed over again. */
    drop = rd->skip < n ? (size_t)rd->skip : n;
    take = n - drop;
    if (rd->end != UINT64_MAX && take > rd->end - rd->next)
        take = (size_t)(rd->end - rd->next);
    if (!ring_fits(rd, take)) {
        if (rd->len > 0 || !ring_grow(rd, take)) {
            rd->paused = true;
            return CURL_WRITEFUNC_PAUSE;
        }
    }
    rd->skip -= drop;
    ring_put(rd, data + drop, take);
    rd->next += take;
    return n;
}

/* ---- one transfer ---- */

static void transfer_stop(struct http_reader *rd)
{
    if (rd->attached)
        curl_multi_remove_handle(rd->multi, rd->easy);
    rd->attached = false;
    curl_slist_free_all(rd->headers);
    rd->headers = NULL;
}

static nb_err transfer_start(struct http_reader *rd, bool refresh)
{
    char range[80], what[1300];
    struct curl_slist *h = NULL;
    char *url = NULL;
    struct http_request req = {.method = "GET", .what = what, .signer = rd->spec.signer};
    nb_err err = NB_ERR_NOMEM;

    snprintf(what, sizeof(what), "GET %s", rd->name);
    if (rd->pin[0] && rd->spec.pin_query) {
        size_t len = strlen(rd->url) + strlen(rd->spec.pin_query) + strlen(rd->pin) + 3;
        if (!(url = malloc(len)))
            goto out;
        snprintf(url, len, "%s%c%s=%s", rd->url, strchr(rd->url, '?') ? '&' : '?',
                 rd->spec.pin_query, rd->pin);
    } else if (rd->pin[0] && http_slist_add(&h, "If-Match", rd->pin)) {
        goto out;
    }
    req.url = url ? url : rd->url;
    if (rd->end != UINT64_MAX)
        snprintf(range, sizeof(range), "bytes=%" PRIu64 "-%" PRIu64, rd->next, rd->end - 1);
    else
        snprintf(range, sizeof(range), "bytes=%" PRIu64 "-", rd->next);
    /* No Range for a whole object from its start: a plain 200. */
    if ((rd->next > 0 || rd->end != UINT64_MAX) && http_slist_add(&h, "Range", range))
        goto out;
    req.headers = h;
    err = http_setup(rd->easy, &req, refresh, &rd->headers);
    if (err) {
        err = nb_error_context(err, STORAGE_MSG_READ, rd->name);
        goto out;
    }
    curl_easy_setopt(rd->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(rd->easy, CURLOPT_WRITEDATA, rd);
    curl_easy_setopt(rd->easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(rd->easy, CURLOPT_HEADERDATA, rd);
    curl_easy_setopt(rd->easy, CURLOPT_ERRORBUFFER, rd->curl_error);
    rd->curl_error[0] = '\0';
    rd->status = 0;
    rd->headers_done = rd->done = rd->paused = false;
    rd->result = CURLE_OK;
    rd->hdr_len = rd->errbody_len = 0;
    rd->errbody[0] = rd->hdr[0] = '\0';
    rd->skip = 0;
    rd->range_ok = false;
    if (curl_multi_add_handle(rd->multi, rd->easy) != CURLM_OK) {
        err =
            nb_error(NB_ERR_INTERNAL, STORAGE_MSG_READ ": curl_multi_add_handle failed", rd->name);
        goto out;
    }
    rd->attached = true;
    err = NB_OK;
out:
    curl_slist_free_all(h);
    free(url);
    return err;
}

/* Moves the transfer on: whatever is ready, else waits up to a second. */
static nb_err pump(struct http_reader *rd)
{
    int running = 0, left = 0;
    CURLMsg *msg;
    CURLMcode mc = curl_multi_perform(rd->multi, &running);

    while ((msg = curl_multi_info_read(rd->multi, &left)) != NULL) {
        if (msg->msg == CURLMSG_DONE && msg->easy_handle == rd->easy) {
            rd->done = true;
            rd->result = msg->data.result;
        }
    }
    /* Wait for the socket only when nothing came: a paused transfer's socket
     * is not watched, so polling then would sleep the whole timeout. */
    if (mc == CURLM_OK && !rd->done && running && !rd->len && !rd->paused && !rd->headers_done_now)
        mc = curl_multi_poll(rd->multi, NULL, 0, HTTP_READ_POLL_MS, NULL);
    rd->headers_done_now = false;
    if (mc != CURLM_OK)
        return nb_error(NB_ERR_INTERNAL, STORAGE_MSG_READ ": %s", rd->name,
                        curl_multi_strerror(mc));
    return NB_OK;
}

/* Pumps until the answer's headers are in (or the transfer ended). */
static nb_err await_headers(struct http_reader *rd)
{
    nb_err err = NB_OK;

    while (!err && !rd->done && !rd->headers_done)
        err = pump(rd);
    return err;
}

/* Pumps an error answer to its end, for its message. */
static nb_err await_done(struct http_reader *rd)
{
    nb_err err = NB_OK;

    while (!err && !rd->done)
        err = pump(rd);
    return err;
}

static void why_failed(const struct http_reader *rd, char *why, size_t len)
{
    if (rd->done && rd->result != CURLE_OK)
        snprintf(why, len, "%s",
                 rd->curl_error[0] ? rd->curl_error : curl_easy_strerror(rd->result));
    else if (rd->status && rd->status != 200 && rd->status != 206)
        snprintf(why, len, "HTTP %ld", rd->status);
    else
        snprintf(why, len, "the connection ended at byte %" PRIu64 " of %" PRIu64, rd->next,
                 rd->end);
}

/* A 200/206 answer: checks where it starts, learns the size and pins the
 * version. */
static nb_err accept_answer(struct http_reader *rd, bool first)
{
    char v[128];

    if (!rd->range_ok)
        return nb_error(NB_ERR_STORAGE,
                        STORAGE_MSG_READ ": the answer to a ranged read has no usable "
                                         "Content-Range",
                        rd->name);
    if (first && rd->total != UINT64_MAX) {
        rd->base.size = rd->total;
        if (rd->end == UINT64_MAX || rd->end > rd->total)
            rd->end = rd->total;
    }
    if (first && rd->spec.pin_header &&
        http_header_get(rd->hdr, rd->spec.pin_header, v, sizeof(v)) && v[0] &&
        strlen(v) < sizeof(rd->pin)) {
        if (!rd->spec.pin_query)
            snprintf(rd->pin, sizeof(rd->pin), "%s", v);
        else if (strspn(v, "0123456789") == strlen(v))
            snprintf(rd->pin, sizeof(rd->pin), "%s", v);
    }
    return NB_OK;
}

/* 416: the range starts at the object's end (an empty read) or beyond. */
static nb_err accept_empty(struct http_reader *rd)
{
    char v[128];
    uint64_t a, b, total;

    if (http_header_get(rd->hdr, "Content-Range", v, sizeof(v)) &&
        http_parse_content_range(v, &a, &b, &total) && total != UINT64_MAX && rd->next == total) {
        rd->base.size = total;
        rd->end = total;
        rd->eof = true;
        return NB_OK;
    }
    return nb_error(NB_ERR_STORAGE, STORAGE_MSG_READ ": byte %" PRIu64 " is past its end", rd->name,
                    rd->next);
}

/*
 * Starts a transfer at rd->next and waits for its answer, retrying as
 * http_retry_next() decides. `first`: the opening request (size and
 * version are learnt from it).
 */
static nb_err begin(struct http_reader *rd, bool first)
{
    bool refresh = false;

    for (;;) {
        struct http_outcome o;
        nb_err err = transfer_start(rd, refresh);

        refresh = false;
        if (!err)
            err = await_headers(rd);
        if (err)
            return err;
        if (rd->headers_done && (rd->status == 200 || rd->status == 206))
            return accept_answer(rd, first);
        if (rd->headers_done && rd->status == 416)
            return (err = await_done(rd)) ? err : accept_empty(rd);
        if ((err = await_done(rd)))
            return err;
        o = (struct http_outcome){.curl = rd->result,
                                  .curl_error = rd->curl_error,
                                  .status = rd->status,
                                  .headers = rd->hdr};
        transfer_stop(rd);
        switch (
            http_retry_next(&rd->retry, rd->name, &o, rd->spec.signer ? &rd->refreshed : NULL)) {
        case HTTP_NEXT_RETRY:
            continue;
        case HTTP_NEXT_REFRESH:
            refresh = true;
            continue;
        case HTTP_NEXT_FAIL:
            return nb_error_context(NB_ERR_STORAGE,
                                    first ? STORAGE_MSG_OPEN_READ : STORAGE_MSG_READ, rd->name);
        case HTTP_NEXT_DONE:
            break;
        }
        if (!first && rd->pin[0] &&
            (rd->status == 412 || (rd->status == 404 && rd->spec.pin_query)))
            return nb_error(NB_ERR_STORAGE,
                            STORAGE_MSG_READ ": it was replaced or removed during the read",
                            rd->name);
        return rd->spec.fail(rd->spec.fail_ctx, rd->status, rd->errbody,
                             first ? STORAGE_MSG_OPEN_READ : STORAGE_MSG_READ, rd->name);
    }
}

/* The transfer ended: the end of the read, or a cut to resume from. */
static nb_err finish_or_resume(struct http_reader *rd)
{
    char why[CURL_ERROR_SIZE + 64];

    if (rd->end != UINT64_MAX ? rd->next >= rd->end : rd->result == CURLE_OK) {
        transfer_stop(rd);
        rd->end = rd->next;
        rd->eof = true;
        return NB_OK;
    }
    why_failed(rd, why, sizeof(why));
    transfer_stop(rd);
    if (rd->result != CURLE_OK && !http_curl_retryable(rd->result))
        return nb_error(NB_ERR_STORAGE, STORAGE_MSG_READ ": %s", rd->name, why);
    /* Progress since the last failure starts a new sequence of retries. */
    if (rd->next > rd->retry_mark)
        http_retry_start(&rd->retry, NULL);
    rd->retry_mark = rd->next;
    if (!http_retry_wait(&rd->retry, rd->name, why, -1))
        return nb_error(NB_ERR_STORAGE, STORAGE_MSG_READ ": %s (gave up after %u retries)",
                        rd->name, why, rd->retry.retries);
    log_info("%s: resuming the download at byte %" PRIu64, rd->name, rd->next);
    rd->refreshed = false;
    return begin(rd, false);
}

static nb_err http_read(struct storage_reader *r, void *buf, size_t len, size_t *got)
{
    struct http_reader *rd = (struct http_reader *)r;
    nb_err err;

    *got = 0;
    if (len == 0)
        return NB_OK;
    for (;;) {
        if (rd->len) {
            *got = ring_get(rd, buf, len);
            return NB_OK;
        }
        if (rd->eof)
            return NB_OK;
        if (rd->paused) {
            rd->paused = false;
            curl_easy_pause(rd->easy, CURLPAUSE_CONT);
            continue;
        }
        err = rd->done ? finish_or_resume(rd) : pump(rd);
        if (err)
            return err;
    }
}

static void http_read_close(struct storage_reader *r)
{
    struct http_reader *rd = (struct http_reader *)r;

    transfer_stop(rd);
    if (rd->easy)
        curl_easy_cleanup(rd->easy);
    if (rd->multi)
        curl_multi_cleanup(rd->multi);
    free(rd->url);
    free(rd->ring);
    free(rd);
}

/* One sequential reader; `pin` (may be NULL) pins it from the start. */
static nb_err open_one(const struct http_read_spec *spec, const char *pin, struct http_reader **out)
{
    struct http_reader *rd = calloc(1, sizeof(*rd));
    nb_err err;

    if (!rd)
        return nb_error(NB_ERR_NOMEM, "out of memory");
    rd->base.read = http_read;
    rd->base.close = http_read_close;
    rd->spec = *spec;
    snprintf(rd->name, sizeof(rd->name), "%s", spec->name);
    if (pin)
        snprintf(rd->pin, sizeof(rd->pin), "%s", pin);
    rd->next = rd->retry_mark = spec->offset;
    rd->end = spec->length ? spec->offset + spec->length : UINT64_MAX;
    rd->cap = HTTP_READ_RING_SIZE;
    if (!(rd->url = strdup(spec->url)) || !(rd->ring = malloc(rd->cap)) ||
        !(rd->multi = curl_multi_init()) || !(rd->easy = curl_easy_init())) {
        http_read_close(&rd->base);
        return nb_error(NB_ERR_NOMEM, "out of memory");
    }
    http_retry_start(&rd->retry, NULL);
    err = begin(rd, !pin);
    if (err) {
        http_read_close(&rd->base);
        return err;
    }
    *out = rd;
    return NB_OK;
}

/*
 * ---- parallel ranged reads ----
 *
 * With parallel > 1 and an object of more than two chunks, the first
 * chunk is read by the opening request (which learns the size and the
 * version), and the rest by `parallel` worker threads, each fetching the
 * next chunk not yet taken with its own pinned, resuming reader into a slot
 * of a bounded reorder window; read() hands the chunks over in order.
 * Memory: (parallel + 1) chunks. Errors of a worker reach the reader in
 * the chunk's order, with their message.
 */
#define PREAD_CHUNK (4u << 20)

struct pslot {
    char *buf;
    size_t len;
    uint64_t index; /* chunk number */
    enum { SLOT_FREE, SLOT_BUSY, SLOT_DONE } state;
    nb_err err;
    char errmsg[1024];
};

struct preader {
    struct storage_reader base;
    struct http_read_spec spec;
    char *url, *name;
    char pin[256];
    struct http_reader *first; /* the opening request: chunk 0 */
    uint64_t start, end;       /* object offsets of the read */
    uint64_t chunks;           /* how many, the first included */
    uint64_t next_take;        /* next chunk a worker takes */
    uint64_t current;          /* chunk read() is in */
    size_t pos;                /* in the current chunk */
    unsigned nslots, nworkers;
    struct pslot *slots;
    pthread_t *workers;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
};

static nb_err fetch_chunk(struct preader *p, uint64_t index, char *buf, size_t *len)
{
    struct http_read_spec spec = p->spec;
    struct http_reader *rd = NULL;
    uint64_t off = p->start + index * PREAD_CHUNK;
    size_t want = (size_t)((p->end - off) < PREAD_CHUNK ? p->end - off : PREAD_CHUNK), have = 0;
    nb_err err;

    spec.url = p->url;
    spec.name = p->name;
    spec.offset = off;
    spec.length = want;
    if ((err = open_one(&spec, p->pin, &rd)))
        return err;
    while (have < want) {
        size_t got = 0;
        bool stop;
        pthread_mutex_lock(&p->lock);
        stop = p->stop;
        pthread_mutex_unlock(&p->lock);
        if (stop)
            break;
        if ((err = http_read(&rd->base, buf + have, want - have, &got)))
            break;
        if (got == 0) {
            err =
                nb_error(NB_ERR_STORAGE,
                         STORAGE_MSG_READ ": the store ended chunk %" PRIu64 " at %zu of %zu bytes",
                         p->name, index, have, want);
            break;
        }
        have += got;
    }
    http_read_close(&rd->base);
    *len = have;
    return err;
}

static void *worker_main(void *arg)
{
    struct preader *p = arg;

    pthread_mutex_lock(&p->lock);
    for (;;) {
        uint64_t k;
        struct pslot *slot;
        size_t len = 0;
        nb_err err;

        /* the next chunk, once its slot is free (bounded window) */
        while (!p->stop && p->next_take < p->chunks &&
               p->slots[p->next_take % p->nslots].state != SLOT_FREE)
            pthread_cond_wait(&p->cond, &p->lock);
        if (p->stop || p->next_take >= p->chunks)
            break;
        k = p->next_take++;
        slot = &p->slots[k % p->nslots];
        slot->state = SLOT_BUSY;
        slot->index = k;
        pthread_mutex_unlock(&p->lock);

        err = fetch_chunk(p, k, slot->buf, &len);

        pthread_mutex_lock(&p->lock);
        slot->len = len;
        slot->err = err;
        if (err)
            snprintf(slot->errmsg, sizeof(slot->errmsg), "%s", nb_errmsg());
        slot->state = SLOT_DONE;
        pthread_cond_broadcast(&p->cond);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static nb_err pread_read(struct storage_reader *r, void *buf, size_t len, size_t *got)
{
    struct preader *p = (struct preader *)r;
    struct pslot *slot;
    nb_err err = NB_OK;

    *got = 0;
    if (len == 0)
        return NB_OK;
    if (p->first) {
        err = http_read(&p->first->base, buf, len, got);
        if (err || *got)
            return err;
        http_read_close(&p->first->base);
        p->first = NULL;
        p->current = 1;
    }
    if (p->current >= p->chunks)
        return NB_OK;
    pthread_mutex_lock(&p->lock);
    slot = &p->slots[p->current % p->nslots];
    while (!(slot->state == SLOT_DONE && slot->index == p->current))
        pthread_cond_wait(&p->cond, &p->lock);
    pthread_mutex_unlock(&p->lock);
    if (slot->err)
        return nb_error(slot->err, "%s", slot->errmsg);
    *got = slot->len - p->pos < len ? slot->len - p->pos : len;
    memcpy(buf, slot->buf + p->pos, *got);
    p->pos += *got;
    if (p->pos == slot->len) {
        pthread_mutex_lock(&p->lock);
        slot->state = SLOT_FREE;
        p->current++;
        p->pos = 0;
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
    }
    return NB_OK;
}

static void pread_close(struct storage_reader *r)
{
    struct preader *p = (struct preader *)r;

    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->nworkers; i++)
        pthread_join(p->workers[i], NULL);
    if (p->first)
        http_read_close(&p->first->base);
    for (unsigned i = 0; p->slots && i < p->nslots; i++)
        free(p->slots[i].buf);
    free(p->slots);
    free(p->workers);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cond);
    free(p->url);
    free(p->name);
    free(p);
}

nb_err http_read_open(const struct http_read_spec *spec, struct storage_reader **out)
{
    struct http_read_spec first = *spec;
    struct http_reader *rd = NULL;
    struct preader *p;
    uint64_t end;
    unsigned n = spec->parallel;
    nb_err err;

    if (n <= 1 || (spec->length && spec->length <= PREAD_CHUNK)) {
        if ((err = open_one(spec, NULL, &rd)))
            return err;
        *out = &rd->base;
        return NB_OK;
    }
    /* The opening request reads chunk 0 and learns size and version. */
    first.length = PREAD_CHUNK;
    if ((err = open_one(&first, NULL, &rd)))
        return err;
    end = rd->base.size ? rd->base.size : rd->end;
    if (spec->length && spec->offset + spec->length < end)
        end = spec->offset + spec->length;
    if (!rd->base.size || end <= spec->offset + PREAD_CHUNK) {
        /* the opening request covers it all (or the size is not told) */
        if (!rd->base.size) {
            http_read_close(&rd->base);
            if ((err = open_one(spec, NULL, &rd)))
                return err;
        }
        *out = &rd->base;
        return NB_OK;
    }
    if (!(p = calloc(1, sizeof(*p)))) {
        http_read_close(&rd->base);
        return nb_error(NB_ERR_NOMEM, "out of memory");
    }
    p->base.read = pread_read;
    p->base.close = pread_close;
    p->base.size = rd->base.size;
    p->spec = *spec;
    p->first = rd;
    snprintf(p->pin, sizeof(p->pin), "%s", rd->pin);
    p->start = spec->offset;
    p->end = end;
    p->chunks = (end - spec->offset + PREAD_CHUNK - 1) / PREAD_CHUNK;
    p->next_take = p->current = 1;
    p->nworkers = n;
    p->nslots = n + 1;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    if (!(p->url = strdup(spec->url)) || !(p->name = strdup(spec->name)) ||
        !(p->slots = calloc(p->nslots, sizeof(*p->slots))) ||
        !(p->workers = calloc(n, sizeof(*p->workers)))) {
        p->nworkers = 0;
        pread_close(&p->base);
        return nb_error(NB_ERR_NOMEM, "out of memory");
    }
    for (unsigned i = 0; i < p->nslots; i++) {
        if (!(p->slots[i].buf = malloc(PREAD_CHUNK))) {
            p->nworkers = 0;
            pread_close(&p->base);
            return nb_error(NB_ERR_NOMEM, "out of memory for the parallel read of %s", spec->name);
        }
    }
    for (unsigned i = 0; i < n; i++) {
        if (pthread_create(&p->workers[i], NULL, worker_main, p) != 0) {
            p->nworkers = i;
            pread_close(&p->base);
            return nb_error(NB_ERR_INTERNAL, "unable to start the parallel read of %s", spec->name);
        }
    }
    *out = &p->base;
    return NB_OK;
}
