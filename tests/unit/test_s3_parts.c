/* Pure parts of the S3 path: part sizes, the AWS INI file, ISO times,
 * the XML reader. */
#include <stdlib.h>
#include <string.h>

#include "auth/aws.h"
#include "storage/part_writer.h"
#include "unit.h"
#include "xml.h"

#define MiB (1024ull * 1024)
#define GiB (1024 * MiB)

static const struct part_limits s3 = {
    .default_part = 8 * MiB,
    .min_part = 5 * MiB,
    .max_part = 5 * GiB,
    .quantum = MiB,
    .max_parts = 10000,
};

/* Simulates a stream of `total` bytes announced as `hint`: the parts it
 * takes, and the largest part. */
static unsigned parts_for(const struct part_limits *l, uint64_t hint, uint64_t total,
                          size_t *largest)
{
    size_t size = part_size_for(l, hint);
    uint64_t sent = 0;
    unsigned parts = 0;

    *largest = size;
    while (sent < total) {
        uint64_t n = total - sent < size ? total - sent : size;
        sent += n;
        parts++;
        size = part_size_next(l, hint, parts, sent, size);
        if (size > *largest)
            *largest = size;
    }
    return parts;
}

static nb_err count_cb(void *ctx, const char *path, const char *text)
{
    if (text && strcmp(path, "ListBucketResult/Contents/Key") == 0)
        (*(int *)ctx)++;
    return NB_OK;
}

int main(void)
{
    struct part_limits thousand = s3;
    size_t largest;
    struct aws_profile p;

    /* The default without a hint, the minimum, and the hint's share. */
    CHECK(part_size_for(&s3, 0) == 8 * MiB);
    {
        /* parts side by side: the smallest the store takes */
        struct part_limits par = s3;
        par.parallel = 4;
        CHECK(part_size_for(&par, 0) == 5 * MiB);
        CHECK(part_size_for(&par, 1000 * GiB) >= 1000 * GiB / 10000);
    }
    CHECK(part_size_for(&s3, 100 * MiB) == 8 * MiB);
    CHECK(part_size_for(&s3, 1000 * GiB) >= 1000 * GiB / 10000);
    CHECK(part_size_for(&s3, 1000 * GiB) % MiB == 0);
    CHECK(part_size_for(&s3, 1000 * 1000 * GiB) == 5 * GiB);
    /* Streams fit in the part-count limit, with or against their hint. */
    CHECK(parts_for(&s3, 200 * MiB, 200 * MiB, &largest) == 25 && largest == 8 * MiB);
    CHECK(parts_for(&s3, 1000 * GiB, 1000 * GiB, &largest) <= 10000);
    thousand.max_parts = 1000;
    CHECK(parts_for(&thousand, 0, 100 * GiB, &largest) <= 1000);
    CHECK(parts_for(&thousand, 1 * GiB, 200 * GiB, &largest) <= 1000);
    CHECK(largest <= 5 * GiB);
    /* a stream within its hint keeps its part size */
    CHECK(parts_for(&thousand, 50 * GiB, 50 * GiB, &largest) <= 1000 &&
          largest == part_size_for(&thousand, 50 * GiB));

    /* The INI file: [name] and [profile name], comments, spaces. */
    CHECK(aws_ini_profile("# c\n[default]\naws_access_key_id = AK1\naws_secret_access_key=SK1\n"
                          "[profile b]\n  aws_access_key_id=AK2 \n aws_secret_access_key = SK2\n"
                          "aws_session_token=T2\nregion = eu-west-1\n",
                          "b", &p));
    CHECK_STR(p.access_key_id, "AK2");
    CHECK_STR(p.secret_access_key, "SK2");
    CHECK_STR(p.session_token, "T2");
    CHECK_STR(p.region, "eu-west-1");
    aws_profile_clear(&p);
    CHECK(aws_ini_profile("[default]\naws_access_key_id=AK1\n", "default", &p));
    CHECK_STR(p.access_key_id, "AK1");
    CHECK(p.secret_access_key == NULL);
    aws_profile_clear(&p);
    CHECK(!aws_ini_profile("[default]\naws_access_key_id=AK1\n", "other", &p));
    aws_profile_clear(&p);

    CHECK(aws_parse_time("2015-08-30T12:36:00Z") == 1440938160);
    CHECK(aws_parse_time("2015-08-30T12:36:00.123Z") == 1440938160);
    CHECK(aws_parse_time("2015-08-30T12:36:00+00:00") == 1440938160);
    CHECK(aws_parse_time("yesterday") == -1);

    /* The XML reader: listings, errors, refused entities. */
    {
        const char *list = "<?xml version=\"1.0\"?><ListBucketResult xmlns=\"http://s3\">"
                           "<Contents><Key>a</Key><Size>1</Size></Contents>"
                           "<Contents><Key>b/c</Key><Size>2</Size></Contents>"
                           "<IsTruncated>true</IsTruncated></ListBucketResult>";
        const char *err = "<Error><Code>SlowDown</Code><Message>Please\nreduce</Message></Error>";
        const char *bomb = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\">]><x>&a;</x>";
        char code[64], msg[64], *v;
        int n = 0;

        CHECK(xml_walk(list, strlen(list), "test", count_cb, &n) == NB_OK && n == 2);
        CHECK((v = xml_find(list, strlen(list), "ListBucketResult/IsTruncated")) &&
              !strcmp(v, "true"));
        free(v);
        xml_error(err, strlen(err), code, sizeof(code), msg, sizeof(msg));
        CHECK_STR(code, "SlowDown");
        CHECK_STR(msg, "Please reduce");
        xml_error("not xml", 7, code, sizeof(code), msg, sizeof(msg));
        CHECK_STR(code, "");
        n = 0;
        CHECK(xml_walk(bomb, strlen(bomb), "test", count_cb, &n) != NB_OK);
        CHECK(xml_walk("<a>", 3, "test", count_cb, &n) == NB_ERR_STORAGE);
    }
    return unit_report("test_s3_parts");
}
