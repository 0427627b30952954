/* Unit tests: naming.c and location.c, the names both programs agree on. */
#include <stdlib.h>

#include "location.h"
#include "naming.h"
#include "unit.h"

static void test_timestamps(void)
{
    char buf[NAMING_TIMESTAMP_LEN + 1];

    naming_timestamp(1795957500, buf); /* 2026-11-29 */
    CHECK(naming_timestamp_valid(buf));
    naming_timestamp(0, buf);
    CHECK_STR(buf, "1970-01-01-00:00:00");
    CHECK(naming_timestamp_valid("2026-11-24-13:05:00"));
    CHECK(!naming_timestamp_valid("2026-11-24T13:05:00"));
    CHECK(!naming_timestamp_valid("2026-02-30-10:00:00"));
    CHECK(!naming_timestamp_valid("2026-11-24-25:00:00"));
    CHECK(!naming_timestamp_valid("2026-11-24-13:05"));
    CHECK(!naming_timestamp_valid("latest"));
    CHECK(!naming_timestamp_valid(""));
}

static void test_objects(void)
{
    char buf[256];

    CHECK_STR(naming_object(buf, sizeof(buf), "neo4j", "2026-11-24-13:05:00", OBJECT_ARCHIVE_GZIP),
              "neo4j/neo4j-2026-11-24-13:05:00.tar.gz");
    CHECK_STR(naming_object(buf, sizeof(buf), "neo4j", "2026-11-24-13:05:00", OBJECT_ARCHIVE_ZSTD),
              "neo4j/neo4j-2026-11-24-13:05:00.tar.zst");
    CHECK_STR(naming_object(buf, sizeof(buf), "system", "latest", OBJECT_MANIFEST),
              "system/system-latest.manifest.json");
    CHECK_STR(naming_object(buf, sizeof(buf), "neo4j", "2026-11-24-13:05:00", OBJECT_REPORT),
              "neo4j/neo4j-2026-11-24-13:05:00.report.tar.gz");
    CHECK(naming_object(buf, 10, "neo4j", "latest", OBJECT_MANIFEST) == NULL);
    CHECK_STR(naming_basename("neo4j/neo4j-latest.tar.gz"), "neo4j-latest.tar.gz");
}

static void test_parse_archive(void)
{
    char stamp[NAMING_TIMESTAMP_LEN + 1];
    enum compression c;

    CHECK(naming_parse_archive("neo4j/neo4j-2026-11-24-13:05:00.tar.gz", "neo4j", stamp, &c));
    CHECK_STR(stamp, "2026-11-24-13:05:00");
    CHECK(c == COMPRESSION_GZIP);
    CHECK(naming_parse_archive("neo4j-2026-11-24-13:05:00.tar.zst", "neo4j", stamp, &c));
    CHECK(c == COMPRESSION_ZSTD);
    CHECK(!naming_parse_archive("neo4j/neo4j-latest.tar.gz", "neo4j", stamp, &c));
    CHECK(
        !naming_parse_archive("neo4j/neo4j-2026-11-24-13:05:00.manifest.json", "neo4j", stamp, &c));
    CHECK(!naming_parse_archive("neo4j/neo4jx-2026-11-24-13:05:00.tar.gz", "neo4j", stamp, &c));
}

static void test_database_names(void)
{
    CHECK(naming_database_valid("neo4j"));
    CHECK(naming_database_valid("system"));
    CHECK(naming_database_valid("my-db.v2_x"));
    CHECK(!naming_database_valid("ab"));
    CHECK(!naming_database_valid("1db"));
    CHECK(!naming_database_valid("db/x"));
    CHECK(!naming_database_valid("../etc"));
    CHECK(
        !naming_database_valid("a234567890123456789012345678901234567890123456789012345678901234"));
}

static void check_location(const char *bucket, const char *provider, enum provider want,
                           const char *b, const char *prefix, const char *display)
{
    struct location loc;
    nb_err err = location_parse(bucket, provider, &loc);

    CHECK(err == NB_OK);
    if (err)
        return;
    CHECK(loc.provider == want);
    CHECK_STR(loc.bucket, b);
    CHECK_STR(loc.prefix, prefix);
    CHECK_STR(loc.display, display);
    location_free(&loc);
}

static void test_locations(void)
{
    struct location loc;
    char *key;

    check_location("gs://bucket/path/", NULL, PROVIDER_GCS, "bucket", "path", "gs://bucket/path");
    check_location("gs://bucket", "gcp", PROVIDER_GCS, "bucket", "", "gs://bucket");
    check_location("s3://b//a//b/", NULL, PROVIDER_S3, "b", "a/b", "s3://b/a/b");
    check_location("azb://container/p", NULL, PROVIDER_AZURE, "container", "p",
                   "azb://container/p");
    check_location("container/p", "azure", PROVIDER_AZURE, "container", "p", "azb://container/p");
    check_location("https://acct.blob.core.windows.net/c/x/y", NULL, PROVIDER_AZURE, "c", "x/y",
                   "azb://c/x/y");
    check_location("file:///srv/backups/", NULL, PROVIDER_LOCAL, "/srv/backups", "",
                   "file:///srv/backups");
    check_location("/srv//backups", "local", PROVIDER_LOCAL, "/srv/backups", "",
                   "file:///srv/backups");
    CHECK(location_parse("gs://b", "aws", &loc) == NB_ERR_USAGE);
    CHECK(location_parse("bucket/x", NULL, &loc) == NB_ERR_USAGE);
    CHECK(location_parse("ftp://x", NULL, &loc) == NB_ERR_USAGE);
    CHECK(location_parse("gs:///x", NULL, &loc) == NB_ERR_USAGE);
    CHECK(location_parse("", NULL, &loc) == NB_ERR_USAGE);
    CHECK(location_parse("gs://b", "dropbox", &loc) == NB_ERR_USAGE);

    CHECK(location_parse("gs://bucket/a/b/", NULL, &loc) == NB_OK);
    key = location_key(&loc, "neo4j/neo4j-latest.manifest.json");
    CHECK_STR(key, "a/b/neo4j/neo4j-latest.manifest.json");
    free(key);
    location_free(&loc);
    CHECK(location_parse("gs://bucket", NULL, &loc) == NB_OK);
    key = location_key(&loc, "neo4j/x");
    CHECK_STR(key, "neo4j/x");
    free(key);
    location_free(&loc);
}

int main(void)
{
    test_timestamps();
    test_objects();
    test_parse_archive();
    test_database_names();
    test_locations();
    return unit_report("test_naming");
}
