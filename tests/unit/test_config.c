/* Unit tests: config.c's checks of settings (issue 10). */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "unit.h"

static struct option_def opt(const char *env, const char *value)
{
    struct option_def o = {.name = "x", .env = env, .type = OPTION_STRING};

    o.value = value;
    o.source = env;
    return o;
}

static nb_err host_port(const char *v)
{
    struct option_def o = opt("NEO4J_ADDR", v);
    return config_host_port(&o);
}

static void test_host_port(void)
{
    CHECK(host_port("my-neo4j:6362") == NB_OK);
    CHECK(host_port("10.0.0.1:1") == NB_OK);
    CHECK(host_port("[::1]:65535") == NB_OK);
    CHECK(host_port("a.svc.cluster.local:6362,b:6362") == NB_OK);
    CHECK(host_port("host:99999") == NB_ERR_USAGE);
    CHECK(strstr(nb_errmsg(), "NEO4J_ADDR is 'host:99999'") != NULL);
    CHECK(host_port("host:0") == NB_ERR_USAGE);
    CHECK(host_port("host:abc") == NB_ERR_USAGE);
    CHECK(host_port("host:") == NB_ERR_USAGE);
    CHECK(host_port(":6362") == NB_ERR_USAGE);
    CHECK(host_port("host") == NB_ERR_USAGE);
    CHECK(host_port("a:1,") == NB_ERR_USAGE);
    CHECK(host_port("bad host:1") == NB_ERR_USAGE);
    CHECK(host_port("[zz]:1") == NB_ERR_USAGE);
}

static nb_err size(const char *v, bool jvm)
{
    struct option_def o = opt("HEAP_SIZE", v);
    return config_size(&o, jvm);
}

static void test_sizes(void)
{
    CHECK(size("2G", true) == NB_OK && size("512m", true) == NB_OK && size("1024", true) == NB_OK);
    CHECK(size("2GB", false) == NB_OK && size("1GiB", false) == NB_OK);
    CHECK(size("2GB", true) == NB_ERR_USAGE);
    CHECK(size("0", true) == NB_ERR_USAGE && size("0g", false) == NB_ERR_USAGE);
    CHECK(size("-1", false) == NB_ERR_USAGE && size("lots", false) == NB_ERR_USAGE);
    CHECK(size("", false) == NB_ERR_USAGE && size("2 G", false) == NB_ERR_USAGE);
    CHECK(size("2X", false) == NB_ERR_USAGE);
}

static void test_owner(void)
{
    struct option_def o = opt("NEO4J_OWNER", "7474:7474");
    uid_t u = 1;
    gid_t g = 1;

    CHECK(config_owner(&o, &u, &g) == NB_OK && u == 7474 && g == 7474);
    o.value = "0:0";
    CHECK(config_owner(&o, &u, &g) == NB_OK && u == 0 && g == 0);
    o.value = "-1:-1";
    CHECK(config_owner(&o, &u, &g) == NB_ERR_USAGE);
    o.value = "4294967295:1";
    CHECK(config_owner(&o, &u, &g) == NB_ERR_USAGE);
    o.value = "7474";
    CHECK(config_owner(&o, &u, &g) == NB_ERR_USAGE);
    o.value = "7474:7474:1";
    CHECK(config_owner(&o, &u, &g) == NB_ERR_USAGE);
    o.value = "neo4j:neo4j";
    CHECK(config_owner(&o, &u, &g) == NB_ERR_USAGE);
}

static void test_dialect(void)
{
    struct option_def o = opt("NEO4J_ADMIN_DIALECT", NULL);

    CHECK(config_dialect(&o) == NB_OK);
    o.value = "4.4";
    CHECK(config_dialect(&o) == NB_OK);
    o.value = "5";
    CHECK(config_dialect(&o) == NB_OK);
    o.value = "6";
    CHECK(config_dialect(&o) == NB_ERR_USAGE);
}

static nb_err target(const char *bucket, const char *database)
{
    struct option_def b = opt("BUCKET", bucket), p = opt("CLOUD_PROVIDER", NULL);
    struct option_def d = opt("DATABASE", database), c = opt("CREDENTIALS_FILE", NULL);
    struct config_target t;
    nb_err err;

    err = config_target(&b, &p, &d, &c, &t);
    if (!err)
        config_target_free(&t);
    return err;
}

static void test_buckets(void)
{
    char long_prefix[1000];

    CHECK(target("gs://backups/p", "neo4j") == NB_OK);
    CHECK(target("gs://my_bucket.example.com/p", "neo4j") == NB_OK);
    CHECK(target("gs://Backups/p", "neo4j") == NB_ERR_USAGE);
    CHECK(target("gs://ab", "neo4j") == NB_ERR_USAGE);
    CHECK(target("gs://-ab", "neo4j") == NB_ERR_USAGE);
    CHECK(target("gs://goog-b", "neo4j") == NB_ERR_USAGE);
    CHECK(target("gs://my-google-b", "neo4j") == NB_ERR_USAGE);
    CHECK(target("gs://10.1.2.3", "neo4j") == NB_ERR_USAGE);
    CHECK(target("s3://my-bucket.v2/p", "neo4j") == NB_OK);
    CHECK(target("s3://my_bucket", "neo4j") == NB_ERR_USAGE);
    CHECK(target("s3://a..b", "neo4j") == NB_ERR_USAGE);
    CHECK(target("s3://xn--abc", "neo4j") == NB_ERR_USAGE);
    CHECK(target("s3://abc-s3alias", "neo4j") == NB_ERR_USAGE);
    CHECK(target("azb://my-container/p", "neo4j") == NB_OK);
    CHECK(target("azb://$root/p", "neo4j") == NB_OK);
    CHECK(target("azb://my--container", "neo4j") == NB_ERR_USAGE);
    CHECK(target("azb://my.container", "neo4j") == NB_ERR_USAGE);
    CHECK(target("azb://container-", "neo4j") == NB_ERR_USAGE);
    CHECK(target("https://devstoreaccount1.blob.core.windows.net/c0ntainer/p", "neo4j") == NB_OK);
    CHECK(target("https://Dev.blob.core.windows.net/c0ntainer/p", "neo4j") == NB_ERR_USAGE);
    memset(long_prefix, 'a', sizeof(long_prefix) - 1);
    long_prefix[sizeof(long_prefix) - 1] = '\0';
    {
        char url[1100];
        snprintf(url, sizeof(url), "gs://backups/%s", long_prefix);
        CHECK(target(url, "neo4j") == NB_ERR_USAGE);
        CHECK(strstr(nb_errmsg(), "1024-byte") != NULL);
    }
}

static void test_databases(void)
{
    struct option_def d = opt("DATABASE", "Neo4j, SYSTEM");
    char **dbs = NULL;
    size_t n = 0;

    CHECK(config_databases(&d, &dbs, &n) == NB_OK && n == 2);
    if (n == 2) {
        CHECK_STR(dbs[0], "neo4j");
        CHECK_STR(dbs[1], "system");
        config_free_list(dbs, n);
    }
    d.value = "neo4j,NEO4J";
    CHECK(config_databases(&d, &dbs, &n) == NB_ERR_USAGE);
    CHECK(strstr(nb_errmsg(), "twice") != NULL);
}

int main(void)
{
    test_host_port();
    test_sizes();
    test_owner();
    test_dialect();
    test_buckets();
    test_databases();
    return unit_report("test_config");
}
