/* The GCS driver through the storage interface, against the emulator:
 * stat/read/remove of missing objects, ranged reads, chunked writes,
 * abort, server-side copy, list with paging. tests/gcs.bats runs it with
 * STORAGE_EMULATOR_HOST, GCS_TEST_BUCKET (gs://...) and GCS_TEST_KEY set;
 * without them (make unit-test) it skips. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "location.h"
#include "log.h"
#include "storage/storage.h"
#include "unit.h"

#define BIG (1300u * 1000u + 17u)

static unsigned char pattern(size_t i)
{
    return (unsigned char)((i * 2654435761u) >> 13);
}

static nb_err write_big(struct storage *st, const char *name, size_t size, bool commit)
{
    struct storage_writer *w = NULL;
    unsigned char buf[70001];
    size_t done = 0;
    nb_err err = storage_open_write(st, name, 0, &w);

    while (!err && done < size) {
        /* uneven pieces, across chunk boundaries */
        size_t n = (done / 7) % sizeof(buf) + 1;
        if (n > size - done)
            n = size - done;
        for (size_t i = 0; i < n; i++)
            buf[i] = pattern(done + i);
        err = w->write(w, buf, n);
        done += n;
    }
    if (err) {
        if (w)
            w->abort(w);
        return err;
    }
    if (!commit) {
        w->abort(w);
        return NB_OK;
    }
    return w->commit(w);
}

/* Reads [offset, offset+length) in reads of `step` bytes; checks every byte. */
static bool read_check(struct storage *st, const char *name, uint64_t offset, uint64_t length,
                       size_t step, uint64_t want_len)
{
    struct storage_reader *r = NULL;
    unsigned char buf[65536];
    uint64_t pos = offset;
    bool ok = true;
    nb_err err = storage_open_read(st, name, offset, length, &r);

    if (err)
        return false;
    for (;;) {
        size_t got = 0;
        if ((err = r->read(r, buf, step, &got)) != NB_OK) {
            ok = false;
            break;
        }
        if (got == 0)
            break;
        for (size_t i = 0; i < got; i++)
            ok = ok && buf[i] == pattern(pos + i);
        pos += got;
    }
    r->close(r);
    return ok && pos - offset == want_len;
}

static nb_err count_cb(void *ctx, const char *name, uint64_t size)
{
    (void)name;
    (void)size;
    (*(size_t *)ctx)++;
    return NB_OK;
}

static void test_missing(struct storage *st)
{
    struct storage_info info = {.exists = true};
    struct storage_reader *r = NULL;

    CHECK(storage_stat(st, "nothing/here:1.tar.gz", &info) == NB_OK);
    CHECK(!info.exists);
    CHECK(storage_open_read(st, "nothing/here:1.tar.gz", 0, 0, &r) == NB_ERR_NOT_FOUND);
    CHECK(strstr(nb_errmsg(), "does not exist") != NULL);
    CHECK(storage_remove(st, "nothing/here:1.tar.gz") == NB_ERR_NOT_FOUND);
    CHECK(storage_copy(st, "nothing/here:1.tar.gz", "x") == NB_ERR_NOT_FOUND);
}

static void test_small(struct storage *st)
{
    struct storage_info info;
    char *buf = NULL;
    size_t len = 0;

    CHECK(storage_write_small(st, "db/db-2026-11-24-13:05:00.manifest.json", "{\"a\": 1}", 8) ==
          NB_OK);
    CHECK(storage_stat(st, "db/db-2026-11-24-13:05:00.manifest.json", &info) == NB_OK);
    CHECK(info.exists && info.size == 8);
    CHECK(storage_read_small(st, "db/db-2026-11-24-13:05:00.manifest.json", 100, &buf, &len) ==
          NB_OK);
    CHECK(len == 8 && buf && strcmp(buf, "{\"a\": 1}") == 0);
    free(buf);
    /* an empty object */
    CHECK(storage_write_small(st, "db/empty", "", 0) == NB_OK);
    CHECK(storage_stat(st, "db/empty", &info) == NB_OK && info.exists && info.size == 0);
    CHECK(read_check(st, "db/empty", 0, 0, 100, 0));
}

static void test_big(struct storage *st)
{
    struct storage_info info;

    CHECK(write_big(st, "db/big:1", BIG, true) == NB_OK);
    CHECK(storage_stat(st, "db/big:1", &info) == NB_OK && info.exists && info.size == BIG);
    CHECK(read_check(st, "db/big:1", 0, 0, 65536, BIG));
    CHECK(read_check(st, "db/big:1", 0, 0, 1, BIG)); /* byte by byte */
    CHECK(read_check(st, "db/big:1", 300000, 500000, 4096, 500000));
    CHECK(read_check(st, "db/big:1", BIG - 10, 0, 4096, 10));
    CHECK(read_check(st, "db/big:1", BIG - 10, 1000, 4096, 10));
    CHECK(read_check(st, "db/big:1", BIG, 0, 4096, 0));
    /* an object of exactly two chunks: the commit sends no bytes */
    CHECK(write_big(st, "db/two-chunks", 2 * 262144, true) == NB_OK);
    CHECK(read_check(st, "db/two-chunks", 0, 0, 65536, 2 * 262144));
}

static void test_abort(struct storage *st)
{
    struct storage_info info = {.exists = true};

    CHECK(write_big(st, "db/aborted", 700000, false) == NB_OK);
    CHECK(storage_stat(st, "db/aborted", &info) == NB_OK && !info.exists);
}

static void test_copy_remove(struct storage *st)
{
    struct storage_info info;

    CHECK(storage_copy(st, "db/big:1", "db/big-latest") == NB_OK);
    CHECK(storage_stat(st, "db/big-latest", &info) == NB_OK && info.size == BIG);
    CHECK(read_check(st, "db/big-latest", 0, 0, 65536, BIG));
    /* replacing an existing object */
    CHECK(storage_copy(st, "db/two-chunks", "db/big-latest") == NB_OK);
    CHECK(storage_stat(st, "db/big-latest", &info) == NB_OK && info.size == 2 * 262144);
    CHECK(storage_remove(st, "db/big-latest") == NB_OK);
    CHECK(storage_stat(st, "db/big-latest", &info) == NB_OK && !info.exists);
}

static void test_list(struct storage *st)
{
    size_t n = 0;
    char name[64];
    const size_t many = 5; /* three pages of 2 (GCS_LIST_PAGE_SIZE) */

    CHECK(storage_list(st, "db/", count_cb, &n) == NB_OK);
    CHECK(n == 4); /* manifest, empty, big:1, two-chunks */
    n = 0;
    CHECK(storage_list(st, "db/big", count_cb, &n) == NB_OK);
    CHECK(n == 1);
    for (size_t i = 0; i < many; i++) {
        snprintf(name, sizeof(name), "many/m-%04zu", i);
        if (storage_write_small(st, name, "x", 1) != NB_OK) {
            CHECK(!"writing many small objects");
            return;
        }
    }
    n = 0;
    CHECK(storage_list(st, "many/", count_cb, &n) == NB_OK);
    CHECK(n == many);
    n = 0;
    CHECK(storage_list(st, "db/", count_cb, &n) == NB_OK);
    CHECK(n == 4);
}

int main(void)
{
    const char *bucket = getenv("GCS_TEST_BUCKET"), *key = getenv("GCS_TEST_KEY");
    struct storage_options opts = {.credentials_file = key};
    struct location loc;
    struct storage *st = NULL;

    if (!getenv("STORAGE_EMULATOR_HOST") || !bucket || !key) {
        printf("test_gcs_storage: skipped (needs the emulator: tests/gcs.bats runs it)\n");
        printf("test_gcs_storage: 0 passed, 0 failed\n");
        return 0;
    }
    log_init("test_gcs_storage");
    log_set_level(LOG_ERROR);
    setenv("GCS_CHUNK_SIZE", "256K", 1);
    setenv("GCS_LIST_PAGE_SIZE", "2", 1);
    memset(&loc, 0, sizeof(loc));
    if (location_parse(bucket, NULL, &loc) || storage_open(&loc, &opts, &st)) {
        fprintf(stderr, "cannot open %s: %s\n", bucket, nb_errmsg());
        return 1;
    }
    test_missing(st);
    test_small(st);
    test_big(st);
    test_abort(st);
    test_copy_remove(st);
    test_list(st);
    storage_close(st);
    location_free(&loc);
    return unit_report("test_gcs_storage");
}
