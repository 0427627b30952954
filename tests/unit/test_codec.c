/* Unit tests: codec/gzip_par.c (parallel gzip) and codec/decode.c (gzip and
 * zstd decoding on the pipeline thread), against in-memory streams. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "codec/decode.h"
#include "codec/gzip_par.h"
#include "storage/pipeline.h"
#include "unit.h"

/* Tar-like input: runs of zeros, repeated text and noise, so that every
 * level has matches to find, also across chunk boundaries. */
static unsigned char *make_input(size_t len)
{
    unsigned char *p = malloc(len);
    unsigned x = 12345;

    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        switch ((i / 5000) % 4) {
        case 0:
            p[i] = 0;
            break;
        case 1:
            p[i] = "neo4j record store page "[i % 24];
            break;
        case 2:
            p[i] = (unsigned char)(x >> 16);
            break;
        default:
            p[i] = (unsigned char)('a' + (x >> 16) % 8);
        }
    }
    return p;
}

/* ---- a growing buffer as the compressor's output ---- */

struct sink {
    unsigned char *data;
    size_t len, cap;
    size_t fail_after; /* emit fails once this many bytes were taken */
};

static nb_err sink_emit(void *ctx, const void *buf, size_t len)
{
    struct sink *s = ctx;

    if (s->len + len > s->fail_after)
        return nb_error(NB_ERR_STORAGE, "injected upload failure");
    if (s->len + len > s->cap) {
        s->cap = (s->len + len) * 2;
        s->data = realloc(s->data, s->cap);
    }
    memcpy(s->data + s->len, buf, len);
    s->len += len;
    return NB_OK;
}

static nb_err gzpar_compress(const unsigned char *in, size_t len, int level, int threads,
                             struct sink *out)
{
    struct gzpar *g = NULL;
    nb_err err;

    memset(out, 0, sizeof(*out));
    out->fail_after = SIZE_MAX;
    if ((err = gzpar_new(level, threads, sink_emit, out, &g)))
        return err;
    /* uneven writes, as libarchive's blocks are */
    for (size_t pos = 0, step = 1; pos < len && !err; pos += step, step = step * 7 % 100003 + 1)
        err = gzpar_write(g, in + pos, step < len - pos ? step : len - pos);
    if (!err)
        err = gzpar_finish(g);
    gzpar_free(g);
    return err;
}

/* zlib's own gunzip: the reference reader of the format. */
static bool zlib_gunzip_equals(const unsigned char *gz, size_t gzlen, const unsigned char *want,
                               size_t wantlen)
{
    z_stream z;
    unsigned char *out = malloc(wantlen + 1);
    int r;
    bool ok;

    memset(&z, 0, sizeof(z));
    inflateInit2(&z, 16 + 15);
    z.next_in = (unsigned char *)gz;
    z.avail_in = (uInt)gzlen;
    z.next_out = out;
    z.avail_out = (uInt)wantlen + 1;
    r = inflate(&z, Z_FINISH);
    ok = r == Z_STREAM_END && z.total_out == wantlen && z.avail_in == 0 &&
         memcmp(out, want, wantlen) == 0;
    inflateEnd(&z);
    free(out);
    return ok;
}

/* One gzip member made by zlib (as gzip(1) and libarchive make them). */
static size_t zlib_gzip(const unsigned char *in, size_t len, unsigned char *out, size_t cap)
{
    z_stream z;
    size_t n;

    memset(&z, 0, sizeof(z));
    deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY);
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    deflate(&z, Z_FINISH);
    n = z.total_out;
    deflateEnd(&z);
    return n;
}

/* ---- an in-memory object to decode ---- */

struct mem_reader {
    struct storage_reader base;
    const unsigned char *data;
    size_t len, pos, step, fail_at;
};

static nb_err mem_read(struct storage_reader *r, void *buf, size_t len, size_t *got)
{
    struct mem_reader *m = (struct mem_reader *)r;
    size_t n = len < m->step ? len : m->step;

    *got = 0;
    if (m->pos >= m->fail_at)
        return nb_error(NB_ERR_STORAGE, "injected read failure at %zu", m->pos);
    if (n > m->len - m->pos)
        n = m->len - m->pos;
    memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    *got = n;
    return NB_OK;
}

static void mem_close(struct storage_reader *r)
{
    (void)r;
}

struct tap_count {
    size_t bytes;
};

static void count_tap(void *ctx, const void *buf, size_t len)
{
    (void)buf;
    ((struct tap_count *)ctx)->bytes += len;
}

/* Decodes data[0..len) read `step` bytes at a time; the tar bytes into
 * *out (*outlen), the bytes the tap saw into *tapped. */
static nb_err decode_all(const unsigned char *data, size_t len, size_t step, size_t fail_at,
                         unsigned char **out, size_t *outlen, size_t *tapped)
{
    struct mem_reader m = {.base = {.read = mem_read, .close = mem_close},
                           .data = data,
                           .len = len,
                           .step = step,
                           .fail_at = fail_at};
    struct tap_count tc = {0};
    struct storage_reader *d = NULL;
    size_t cap = 1 << 20;
    nb_err err;

    *out = malloc(cap);
    *outlen = 0;
    if ((err = decode_open(&m.base, "test.tar.gz", count_tap, &tc, 65536, 3, &d)))
        return err;
    for (;;) {
        const void *buf;
        size_t n = 0;
        if ((err = storage_prefetch_next(d, &buf, &n)) || n == 0)
            break;
        if (*outlen + n > cap) {
            cap = (*outlen + n) * 2;
            *out = realloc(*out, cap);
        }
        memcpy(*out + *outlen, buf, n);
        *outlen += n;
    }
    d->close(d);
    *tapped = tc.bytes;
    return err;
}

#define INPUT_LEN (3 * GZPAR_CHUNK + 12345)

static void test_round_trip_every_level(void)
{
    unsigned char *in = make_input(INPUT_LEN);
    static const int levels[] = {0, 1, 2, 3, 4, 5, 6, 9};

    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        for (int threads = 1; threads <= 3; threads += 2) {
            struct sink gz;
            unsigned char *out = NULL;
            size_t outlen = 0, tapped = 0;

            CHECK(gzpar_compress(in, INPUT_LEN, levels[i], threads, &gz) == NB_OK);
            CHECK(gz.len > 18 && gz.len < INPUT_LEN);
            /* one standard member: zlib reads it, with its CRC and length */
            CHECK(zlib_gunzip_equals(gz.data, gz.len, in, INPUT_LEN));
            CHECK(decode_all(gz.data, gz.len, 7777, SIZE_MAX, &out, &outlen, &tapped) == NB_OK);
            CHECK(outlen == INPUT_LEN && memcmp(out, in, INPUT_LEN) == 0);
            CHECK(tapped == gz.len);
            free(out);
            free(gz.data);
        }
    }
    free(in);
}

static void test_dictionary_helps(void)
{
    /* input that repeats every 20000 bytes: only the dictionary lets a
     * chunk refer back across its start */
    size_t len = 4 * GZPAR_CHUNK;
    unsigned char *in = make_input(len);
    struct sink gz;

    for (size_t i = 20000; i < len; i++)
        in[i] = in[i - 20000];
    CHECK(gzpar_compress(in, len, 2, 2, &gz) == NB_OK);
    {
        /* one zlib stream over everything: 31 KB; chunks with their
         * dictionaries: 77 KB; without them each chunk starts cold: 128 KB */
        unsigned char *ref = malloc(len);
        size_t reflen = zlib_gzip(in, len, ref, len);
        CHECK(gz.len < 3 * reflen);
        free(ref);
    }
    CHECK(zlib_gunzip_equals(gz.data, gz.len, in, len));
    free(gz.data);
    free(in);
}

static void test_empty_input(void)
{
    struct sink gz;
    unsigned char *out = NULL;
    size_t outlen = 1, tapped = 0;

    CHECK(gzpar_compress(NULL, 0, 0, 2, &gz) == NB_OK);
    CHECK(zlib_gunzip_equals(gz.data, gz.len, (const unsigned char *)"", 0));
    CHECK(decode_all(gz.data, gz.len, 3, SIZE_MAX, &out, &outlen, &tapped) == NB_OK);
    CHECK(outlen == 0);
    free(out);
    free(gz.data);
}

static void test_emit_failure_stops(void)
{
    unsigned char *in = make_input(INPUT_LEN);
    struct gzpar *g = NULL;
    struct sink s;
    nb_err err = NB_OK;

    memset(&s, 0, sizeof(s));
    s.fail_after = 1000;
    CHECK(gzpar_new(2, 2, sink_emit, &s, &g) == NB_OK);
    for (size_t pos = 0; pos < INPUT_LEN && !err; pos += 65536)
        err = gzpar_write(g, in + pos, INPUT_LEN - pos < 65536 ? INPUT_LEN - pos : 65536);
    if (!err)
        err = gzpar_finish(g);
    CHECK(err == NB_ERR_STORAGE);
    CHECK(strstr(nb_errmsg(), "injected upload failure") != NULL);
    gzpar_free(g);
    free(s.data);
    free(in);
}

static void test_multi_member_gzip(void)
{
    unsigned char *in = make_input(500000);
    size_t cap = 2 * 500000 + 1024, a, b, outlen = 0, tapped = 0;
    unsigned char *gz = malloc(cap), *out = NULL;

    a = zlib_gzip(in, 300000, gz, cap);
    b = zlib_gzip(in + 300000, 200000, gz + a, cap - a);
    CHECK(decode_all(gz, a + b, 4096, SIZE_MAX, &out, &outlen, &tapped) == NB_OK);
    CHECK(outlen == 500000 && memcmp(out, in, 500000) == 0);
    CHECK(tapped == a + b);
    free(out);
    free(gz);
    free(in);
}

static void test_gzip_damage(void)
{
    unsigned char *in = make_input(INPUT_LEN);
    struct sink gz;
    unsigned char *out = NULL;
    size_t outlen, tapped;

    CHECK(gzpar_compress(in, INPUT_LEN, 0, 2, &gz) == NB_OK);
    /* CRC-32 (trailer bytes 0-3) */
    gz.data[gz.len - 6] ^= 0x10;
    CHECK(decode_all(gz.data, gz.len, 65536, SIZE_MAX, &out, &outlen, &tapped) == NB_ERR_INTEGRITY);
    CHECK(strstr(nb_errmsg(), "CRC-32 or length") != NULL);
    CHECK(strstr(nb_errmsg(), "test.tar.gz") != NULL);
    free(out);
    gz.data[gz.len - 6] ^= 0x10;
    /* ISIZE (trailer bytes 4-7) */
    gz.data[gz.len - 1] ^= 0x01;
    CHECK(decode_all(gz.data, gz.len, 65536, SIZE_MAX, &out, &outlen, &tapped) == NB_ERR_INTEGRITY);
    CHECK(strstr(nb_errmsg(), "CRC-32 or length") != NULL);
    free(out);
    gz.data[gz.len - 1] ^= 0x01;
    /* truncated: in the middle, and right before the trailer */
    CHECK(decode_all(gz.data, gz.len / 2, 65536, SIZE_MAX, &out, &outlen, &tapped) ==
          NB_ERR_INTEGRITY);
    CHECK(strstr(nb_errmsg(), "truncated") != NULL);
    CHECK(tapped == gz.len / 2);
    free(out);
    CHECK(decode_all(gz.data, gz.len - 8, 65536, SIZE_MAX, &out, &outlen, &tapped) ==
          NB_ERR_INTEGRITY);
    free(out);
    /* a storage error keeps its code, after the bytes before it */
    CHECK(decode_all(gz.data, gz.len, 65536, gz.len / 2, &out, &outlen, &tapped) == NB_ERR_STORAGE);
    CHECK(strstr(nb_errmsg(), "injected read failure") != NULL);
    free(out);
    free(gz.data);
    free(in);
}

static void test_trailing_bytes_tapped_not_decoded(void)
{
    unsigned char *in = make_input(100000);
    struct sink gz;
    unsigned char *out = NULL;
    size_t outlen, tapped;

    CHECK(gzpar_compress(in, 100000, 0, 1, &gz) == NB_OK);
    gz.data = realloc(gz.data, gz.len + 1024);
    memset(gz.data + gz.len, 0, 1000);
    memcpy(gz.data + gz.len + 1000, "garbage", 7);
    CHECK(decode_all(gz.data, gz.len + 1007, 333, SIZE_MAX, &out, &outlen, &tapped) == NB_OK);
    CHECK(outlen == 100000 && memcmp(out, in, 100000) == 0);
    CHECK(tapped == gz.len + 1007);
    free(out);
    free(gz.data);
    free(in);
}

static void test_zstd_frames(void)
{
    unsigned char *in = make_input(INPUT_LEN);
    size_t cap = 2 * ZSTD_compressBound(INPUT_LEN), a, b, outlen, tapped;
    unsigned char *z = malloc(cap), *out = NULL;

    ZSTD_CCtx *c = ZSTD_createCCtx();

    /* with content checksums, as neo4j-backup writes them */
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
    a = ZSTD_compress2(c, z, cap, in, 1000000);
    b = ZSTD_compress2(c, z + a, cap - a, in + 1000000, INPUT_LEN - 1000000);
    ZSTD_freeCCtx(c);
    CHECK(!ZSTD_isError(a) && !ZSTD_isError(b));
    CHECK(decode_all(z, a + b, 10000, SIZE_MAX, &out, &outlen, &tapped) == NB_OK);
    CHECK(outlen == INPUT_LEN && memcmp(out, in, INPUT_LEN) == 0);
    CHECK(tapped == a + b);
    free(out);
    /* truncated inside the second frame */
    CHECK(decode_all(z, a + b / 2, 10000, SIZE_MAX, &out, &outlen, &tapped) == NB_ERR_INTEGRITY);
    CHECK(strstr(nb_errmsg(), "truncated") != NULL);
    free(out);
    /* damaged content (a bit in the middle of the first frame) */
    z[a / 2] ^= 0x40;
    CHECK(decode_all(z, a + b, 10000, SIZE_MAX, &out, &outlen, &tapped) == NB_ERR_INTEGRITY);
    free(out);
    free(z);
    free(in);
}

static void test_unknown_bytes_pass_through(void)
{
    const char *tar = "not compressed at all";
    unsigned char *out = NULL;
    size_t outlen, tapped;

    CHECK(decode_all((const unsigned char *)tar, strlen(tar), 5, SIZE_MAX, &out, &outlen,
                     &tapped) == NB_OK);
    CHECK(outlen == strlen(tar) && memcmp(out, tar, outlen) == 0);
    free(out);
}

int main(void)
{
    test_round_trip_every_level();
    test_dictionary_helps();
    test_empty_input();
    test_emit_failure_stops();
    test_multi_member_gzip();
    test_gzip_damage();
    test_trailing_bytes_tapped_not_decoded();
    test_zstd_frames();
    test_unknown_bytes_pass_through();
    return unit_report("test_codec");
}
