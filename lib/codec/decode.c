#include "codec/decode.h"

#include <isa-l/igzip_lib.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "storage/pipeline.h"

#define DECODE_INPUT_SIZE (256 * 1024)

enum decode_state {
    ST_START,    /* nothing decoded yet: the magic bytes decide */
    ST_NEXT,     /* between members or frames */
    ST_GZIP,     /* inside a gzip member */
    ST_ZSTD,     /* inside a zstd frame */
    ST_RAW,      /* no known magic: the bytes as they are */
    ST_TRAILING, /* after the last member or frame: read, tapped, dropped */
};

struct decoder {
    struct chunk_source base;
    struct storage_reader *inner;
    decode_tap_fn tap;
    void *tap_ctx;
    char *what;
    unsigned char *in;
    size_t in_pos, in_len;
    bool eof;
    enum decode_state st;
    unsigned members; /* started so far, for messages */
    struct inflate_state *gz;
    ZSTD_DCtx *zd;
};

/* Makes at least `need` unread input bytes available, unless the object
 * ends first; every byte read goes through the tap. */
static nb_err refill(struct decoder *d, size_t need)
{
    if (d->in_pos > 0) {
        memmove(d->in, d->in + d->in_pos, d->in_len - d->in_pos);
        d->in_len -= d->in_pos;
        d->in_pos = 0;
    }
    while (d->in_len < need && !d->eof) {
        size_t got = 0;
        nb_err err =
            d->inner->read(d->inner, d->in + d->in_len, DECODE_INPUT_SIZE - d->in_len, &got);
        if (err)
            return err;
        if (got == 0)
            d->eof = true;
        d->tap(d->tap_ctx, d->in + d->in_len, got);
        d->in_len += got;
    }
    return NB_OK;
}

static bool is_zstd_magic(const unsigned char *p)
{
    uint32_t m = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return m == ZSTD_MAGICNUMBER || (m & ZSTD_MAGIC_SKIPPABLE_MASK) == ZSTD_MAGIC_SKIPPABLE_START;
}

/* At the start or between members: what comes next. */
static nb_err next_member(struct decoder *d)
{
    const unsigned char *p;
    size_t avail;
    nb_err err = refill(d, 4);

    if (err)
        return err;
    p = d->in + d->in_pos;
    avail = d->in_len - d->in_pos;
    if (avail >= 3 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8) {
        if (!d->gz && !(d->gz = malloc(sizeof(*d->gz))))
            return NB_ERR_NOMEM;
        isal_inflate_init(d->gz);
        d->gz->crc_flag = ISAL_GZIP;
        d->st = ST_GZIP;
    } else if (avail >= 4 && is_zstd_magic(p)) {
        if (!d->zd && !(d->zd = ZSTD_createDCtx()))
            return NB_ERR_NOMEM;
        ZSTD_DCtx_reset(d->zd, ZSTD_reset_session_only);
        d->st = ST_ZSTD;
    } else {
        d->st = d->st == ST_START ? ST_RAW : ST_TRAILING;
        return NB_OK;
    }
    d->members++;
    return NB_OK;
}

static nb_err truncated(struct decoder *d, const char *codec)
{
    return nb_error(NB_ERR_INTEGRITY,
                    "archive '%s' is damaged or truncated: its %s data ends inside member %u",
                    d->what, codec, d->members);
}

static nb_err inflate_some(struct decoder *d, unsigned char *out, size_t len, size_t *produced)
{
    struct inflate_state *s = d->gz;
    uint32_t avail_in = (uint32_t)(d->in_len - d->in_pos);
    int r;

    s->next_in = d->in + d->in_pos;
    s->avail_in = avail_in;
    s->next_out = out;
    s->avail_out = (uint32_t)len;
    r = isal_inflate(s);
    d->in_pos += avail_in - s->avail_in;
    *produced = len - s->avail_out;
    if (r == ISAL_INCORRECT_CHECKSUM)
        return nb_error(NB_ERR_INTEGRITY,
                        "archive '%s' is damaged: gzip member %u fails its CRC-32 or length check",
                        d->what, d->members);
    if (r < 0)
        return nb_error(NB_ERR_INTEGRITY,
                        "archive '%s' is damaged: gzip member %u is not valid deflate data "
                        "(ISA-L error %d)",
                        d->what, d->members, r);
    if (s->block_state == ISAL_BLOCK_FINISH)
        d->st = ST_NEXT;
    else if (*produced < len && d->in_pos == d->in_len && d->eof)
        return truncated(d, "gzip");
    return NB_OK;
}

static nb_err unzstd_some(struct decoder *d, unsigned char *out, size_t len, size_t *produced)
{
    ZSTD_inBuffer in = {d->in + d->in_pos, d->in_len - d->in_pos, 0};
    ZSTD_outBuffer o = {out, len, 0};
    size_t r = ZSTD_decompressStream(d->zd, &o, &in);

    d->in_pos += in.pos;
    *produced = o.pos;
    if (ZSTD_isError(r))
        return nb_error(NB_ERR_INTEGRITY, "archive '%s' is damaged: zstd frame %u: %s", d->what,
                        d->members, ZSTD_getErrorName(r));
    if (r == 0)
        d->st = ST_NEXT;
    else if (o.pos < len && d->in_pos == d->in_len && d->eof)
        return truncated(d, "zstd");
    return NB_OK;
}

static nb_err decode_fill(struct chunk_source *s, void *buf, size_t len, size_t *got)
{
    struct decoder *d = (struct decoder *)s;
    unsigned char *out = buf;
    nb_err err = NB_OK;

    *got = 0;
    while (*got < len && !err) {
        size_t n = 0;

        if (d->st == ST_START || d->st == ST_NEXT) {
            err = next_member(d);
            continue;
        }
        if (d->in_pos == d->in_len && !d->eof && (err = refill(d, 1)))
            break;
        /* At the object's end only a member or frame left open has a say
         * (it flushes what it holds, or it was truncated). */
        if (d->in_pos == d->in_len && d->eof && d->st != ST_GZIP && d->st != ST_ZSTD)
            break;
        switch (d->st) {
        case ST_GZIP:
            err = inflate_some(d, out + *got, len - *got, &n);
            break;
        case ST_ZSTD:
            err = unzstd_some(d, out + *got, len - *got, &n);
            break;
        case ST_RAW:
            n = d->in_len - d->in_pos < len - *got ? d->in_len - d->in_pos : len - *got;
            memcpy(out + *got, d->in + d->in_pos, n);
            d->in_pos += n;
            break;
        default: /* ST_TRAILING */
            d->in_pos = d->in_len;
            break;
        }
        *got += n;
    }
    return err;
}

static void decode_close(struct chunk_source *s)
{
    struct decoder *d = (struct decoder *)s;

    ZSTD_freeDCtx(d->zd);
    free(d->gz);
    free(d->in);
    free(d->what);
    free(d);
}

nb_err decode_open(struct storage_reader *inner, const char *what, decode_tap_fn tap, void *tap_ctx,
                   size_t chunk_size, unsigned chunks, struct storage_reader **out)
{
    struct decoder *d = calloc(1, sizeof(*d));

    if (d) {
        d->in = malloc(DECODE_INPUT_SIZE);
        d->what = strdup(what);
    }
    if (!d || !d->in || !d->what) {
        if (d) {
            free(d->in);
            free(d->what);
        }
        free(d);
        inner->close(inner);
        return NB_ERR_NOMEM;
    }
    d->base.fill = decode_fill;
    d->base.close = decode_close;
    d->inner = inner;
    d->tap = tap;
    d->tap_ctx = tap_ctx;
    d->st = ST_START;
    return storage_prefetch_source(&d->base, 0, chunk_size, chunks, out);
}
