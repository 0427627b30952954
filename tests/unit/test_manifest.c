/* Unit tests: manifest.c. */
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "unit.h"

static struct manifest sample(void)
{
    struct manifest m;

    memset(&m, 0, sizeof(m));
    strcpy(m.database, "neo4j");
    strcpy(m.timestamp, "2026-11-24-13:05:00");
    strcpy(m.archive_name, "neo4j-2026-11-24-13:05:00.tar.gz");
    m.archive_bytes = 1234;
    memset(m.sha256, 'a', 64);
    m.compression = COMPRESSION_ZSTD;
    m.content_bytes = 5678;
    m.content_files = 42;
    strcpy(m.dialect, "4.4");
    strcpy(m.neo4j_version, "4.4.10");
    strcpy(m.backup_type, "FULL");
    strcpy(m.consistency, "passed");
    strcpy(m.tool_version, "0.1.0");
    strcpy(m.created, "2026-11-24T13:05:07Z");
    return m;
}

static void test_round_trip(void)
{
    struct manifest m = sample(), back;
    char *json = NULL;

    CHECK(manifest_to_json(&m, &json) == NB_OK);
    CHECK(strstr(json, "\"format\": \"neo4j-backup-manifest/1\"") != NULL);
    CHECK(strstr(json, "\"encryption\": null") != NULL);
    CHECK(manifest_parse(json, strlen(json), "t", &back) == NB_OK);
    CHECK_STR(back.database, "neo4j");
    CHECK_STR(back.archive_name, m.archive_name);
    CHECK(back.archive_bytes == 1234 && back.content_bytes == 5678 && back.content_files == 42);
    CHECK(back.compression == COMPRESSION_ZSTD);
    CHECK_STR(back.sha256, m.sha256);
    CHECK_STR(back.consistency, "passed");
    free(json);
}

static nb_err parse(const char *json)
{
    struct manifest m;
    return manifest_parse(json, strlen(json), "t", &m);
}

#define SHA                                                                                        \
    "\""                                                                                           \
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"                             \
    "\""
#define ARCH(extra)                                                                                \
    "\"archive\": {\"name\": \"neo4j-x.tar.gz\", \"bytes\": 1, \"sha256\": " SHA extra "}"

static void test_refusals(void)
{
    CHECK(parse("{\"format\": \"neo4j-backup-manifest/1\", \"database\": \"neo4j\", "
                "\"timestamp\": \"x\", " ARCH("") ", \"unknown\": [1,2]}") == NB_OK);
    CHECK(parse("{\"format\": \"neo4j-backup-manifest/1.3\", \"database\": \"neo4j\", "
                "\"timestamp\": \"x\", " ARCH("") "}") == NB_OK);
    CHECK(parse("{\"format\": \"neo4j-backup-manifest/2\", \"database\": \"neo4j\", "
                "\"timestamp\": \"x\", " ARCH("") "}") == NB_ERR_INTEGRITY);
    CHECK(strstr(nb_errmsg(), "newer") != NULL);
    CHECK(parse("{\"format\": \"other/1\"}") == NB_ERR_INTEGRITY);
    CHECK(parse("not json") == NB_ERR_INTEGRITY);
    CHECK(parse("{\"format\": \"neo4j-backup-manifest/1\", \"database\": \"neo4j\"}") ==
          NB_ERR_INTEGRITY);
    CHECK(parse("{\"format\": \"neo4j-backup-manifest/1\", \"database\": \"neo4j\", "
                "\"timestamp\": \"x\", \"archive\": {\"name\": \"../x\", \"bytes\": 1, "
                "\"sha256\": " SHA "}}") == NB_ERR_INTEGRITY);
    CHECK(parse("{\"format\": \"neo4j-backup-manifest/1\", \"database\": \"neo4j\", "
                "\"timestamp\": \"x\", \"archive\": {\"name\": \"x\", \"bytes\": 1, "
                "\"sha256\": \"ABC\"}}") == NB_ERR_INTEGRITY);
    CHECK(parse("{\"format\": \"neo4j-backup-manifest/1\", \"database\": \"neo4j\", "
                "\"timestamp\": \"x\", " ARCH(", \"encryption\": {\"alg\": \"aes\"}") "}") ==
          NB_ERR_INTEGRITY);
    CHECK(parse("{\"format\": \"neo4j-backup-manifest/1\", \"database\": \"neo4j\", "
                "\"timestamp\": \"x\", " ARCH(", \"compression\": \"lz4\"") "}") ==
          NB_ERR_INTEGRITY);
}

/* Numbers are range-checked before any arithmetic (issue 10). */
static void test_ranges(void)
{
#define WITH(content)                                                                              \
    "{\"format\": \"neo4j-backup-manifest/1\", \"database\": \"neo4j\", \"timestamp\": "           \
    "\"x\", " ARCH("") ", \"content\": " content "}"
    struct manifest m;
    const char *ok = WITH("{\"bytes\": 1152921504606846976, \"files\": 1099511627776}");
    const char *none = "{\"format\": \"neo4j-backup-manifest/1\", \"database\": \"neo4j\", "
                       "\"timestamp\": \"x\", " ARCH("") "}";

    CHECK(manifest_parse(ok, strlen(ok), "t", &m) == NB_OK);
    CHECK(m.have_content && m.content_bytes == MANIFEST_MAX_SIZE &&
          m.content_files == MANIFEST_MAX_FILES);
    CHECK(manifest_parse(none, strlen(none), "t", &m) == NB_OK && !m.have_content);
    CHECK(parse(WITH("{\"bytes\": 1, \"files\": 4503599627370496}")) == NB_ERR_INTEGRITY);
    CHECK(strstr(nb_errmsg(), "out of range") != NULL);
    CHECK(parse(WITH("{\"bytes\": 1152921504606846977, \"files\": 1}")) == NB_ERR_INTEGRITY);
    CHECK(parse(WITH("{\"bytes\": -1, \"files\": 1}")) == NB_ERR_INTEGRITY);
    CHECK(parse(WITH("{\"bytes\": 1, \"files\": -1}")) == NB_ERR_INTEGRITY);
    CHECK(parse(WITH("{\"bytes\": 18446744073709551615, \"files\": 1}")) == NB_ERR_INTEGRITY);
#undef WITH
}

int main(void)
{
    test_round_trip();
    test_refusals();
    test_ranges();
    return unit_report("test_manifest");
}
