/* Unit tests: storage/pipeline.c, the prefetching reader and write-behind
 * writer, against in-memory streams that can fail on cue. */
#include <stdlib.h>
#include <string.h>

#include "storage/pipeline.h"
#include "unit.h"

#define TOTAL (3 * 1000 * 1000 + 17)

static unsigned char byte_at(size_t i)
{
    return (unsigned char)((i * 2654435761u) >> 13);
}

struct fake_reader {
    struct storage_reader base;
    size_t pos, fail_at, step;
    int *closed;
};

static nb_err fake_read(struct storage_reader *r, void *buf, size_t len, size_t *got)
{
    struct fake_reader *f = (struct fake_reader *)r;
    unsigned char *out = buf;
    size_t n = len < f->step ? len : f->step;

    if (f->pos >= f->fail_at)
        return nb_error(NB_ERR_STORAGE, "injected read failure at %zu", f->pos);
    if (n > TOTAL - f->pos)
        n = TOTAL - f->pos;
    if (f->fail_at < TOTAL && n > f->fail_at - f->pos)
        n = f->fail_at - f->pos;
    for (size_t i = 0; i < n; i++)
        out[i] = byte_at(f->pos + i);
    f->pos += n;
    *got = n;
    return NB_OK;
}

static void fake_close(struct storage_reader *r)
{
    struct fake_reader *f = (struct fake_reader *)r;
    (*f->closed)++;
    free(f);
}

static struct storage_reader *fake(size_t fail_at, size_t step, int *closed)
{
    struct fake_reader *f = calloc(1, sizeof(*f));
    f->base.read = fake_read;
    f->base.close = fake_close;
    f->base.size = TOTAL;
    f->fail_at = fail_at;
    f->step = step;
    f->closed = closed;
    return &f->base;
}

static void test_prefetch_all_bytes_in_order(void)
{
    int closed = 0;
    struct storage_reader *r = NULL;
    size_t pos = 0, got;
    unsigned char buf[7001];
    bool same = true;

    CHECK(storage_prefetch(fake(SIZE_MAX, 65536, &closed), 100000, 3, &r) == NB_OK);
    CHECK(r->size == TOTAL);
    do {
        CHECK(r->read(r, buf, sizeof(buf), &got) == NB_OK);
        for (size_t i = 0; i < got; i++)
            same = same && buf[i] == byte_at(pos + i);
        pos += got;
    } while (got > 0);
    CHECK(same);
    CHECK(pos == TOTAL);
    r->close(r);
    CHECK(closed == 1);
}

static void test_prefetch_error_after_bytes(void)
{
    int closed = 0;
    struct storage_reader *r = NULL;
    size_t pos = 0, got = 0;
    unsigned char buf[4096];
    nb_err err;

    CHECK(storage_prefetch(fake(250000, 4096, &closed), 100000, 2, &r) == NB_OK);
    while ((err = r->read(r, buf, sizeof(buf), &got)) == NB_OK && got > 0)
        pos += got;
    CHECK(err == NB_ERR_STORAGE);
    CHECK(pos == 250000);
    CHECK(strstr(nb_errmsg(), "injected read failure") != NULL);
    r->close(r);
    CHECK(closed == 1);
}

static void test_prefetch_close_early(void)
{
    int closed = 0;
    struct storage_reader *r = NULL;
    size_t got;
    unsigned char buf[10];

    CHECK(storage_prefetch(fake(SIZE_MAX, 65536, &closed), 65536, 2, &r) == NB_OK);
    CHECK(r->read(r, buf, sizeof(buf), &got) == NB_OK && got == 10);
    r->close(r); /* the thread is blocked on a full queue: close must not hang */
    CHECK(closed == 1);
}

struct fake_writer {
    struct storage_writer base;
    unsigned char *data;
    size_t len, fail_at;
    int *state; /* 1 committed, 2 aborted */
    unsigned char **result;
    size_t *result_len;
};

static nb_err fw_write(struct storage_writer *w, const void *buf, size_t len)
{
    struct fake_writer *f = (struct fake_writer *)w;
    if (f->len + len > f->fail_at)
        return nb_error(NB_ERR_STORAGE, "injected write failure");
    memcpy(f->data + f->len, buf, len);
    f->len += len;
    return NB_OK;
}

static nb_err fw_commit(struct storage_writer *w)
{
    struct fake_writer *f = (struct fake_writer *)w;
    *f->state = 1;
    *f->result = f->data;
    *f->result_len = f->len;
    free(f);
    return NB_OK;
}

static void fw_abort(struct storage_writer *w)
{
    struct fake_writer *f = (struct fake_writer *)w;
    *f->state = 2;
    free(f->data);
    free(f);
}

static struct storage_writer *fake_writer(size_t fail_at, int *state, unsigned char **result,
                                          size_t *result_len)
{
    struct fake_writer *f = calloc(1, sizeof(*f));
    f->data = malloc(TOTAL);
    f->fail_at = fail_at;
    f->state = state;
    f->result = result;
    f->result_len = result_len;
    f->base.write = fw_write;
    f->base.commit = fw_commit;
    f->base.abort = fw_abort;
    return &f->base;
}

static nb_err write_pattern(struct storage_writer *w)
{
    unsigned char buf[10007];
    size_t pos = 0;

    while (pos < TOTAL) {
        size_t n = TOTAL - pos < sizeof(buf) ? TOTAL - pos : sizeof(buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = byte_at(pos + i);
        nb_err err = w->write(w, buf, n);
        if (err)
            return err;
        pos += n;
    }
    return NB_OK;
}

static void test_write_behind(void)
{
    int state = 0;
    unsigned char *result = NULL;
    size_t len = 0;
    struct storage_writer *w = NULL;
    bool same = true;

    CHECK(storage_write_behind(fake_writer(SIZE_MAX, &state, &result, &len), 65536, 3, &w) ==
          NB_OK);
    CHECK(write_pattern(w) == NB_OK);
    CHECK(w->commit(w) == NB_OK);
    CHECK(state == 1 && len == TOTAL);
    for (size_t i = 0; result && i < len; i++)
        same = same && result[i] == byte_at(i);
    CHECK(same);
    free(result);
}

static void test_write_behind_failure(void)
{
    int state = 0;
    unsigned char *result = NULL;
    size_t len = 0;
    struct storage_writer *w = NULL;
    nb_err err;

    CHECK(storage_write_behind(fake_writer(500000, &state, &result, &len), 65536, 2, &w) == NB_OK);
    err = write_pattern(w);
    if (!err)
        err = w->commit(w); /* the failure may surface at commit */
    else
        w->abort(w);
    CHECK(err == NB_ERR_STORAGE);
    CHECK(strstr(nb_errmsg(), "injected write failure") != NULL);
    CHECK(state == 2); /* aborted: nothing visible */
}

static void test_write_behind_abort(void)
{
    int state = 0;
    unsigned char *result = NULL;
    size_t len = 0;
    struct storage_writer *w = NULL;

    CHECK(storage_write_behind(fake_writer(SIZE_MAX, &state, &result, &len), 65536, 2, &w) ==
          NB_OK);
    CHECK(w->write(w, "abc", 3) == NB_OK);
    w->abort(w);
    CHECK(state == 2);
}

int main(void)
{
    test_prefetch_all_bytes_in_order();
    test_prefetch_error_after_bytes();
    test_prefetch_close_early();
    test_write_behind();
    test_write_behind_failure();
    test_write_behind_abort();
    return unit_report("test_pipeline");
}
