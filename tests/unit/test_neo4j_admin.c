/* Unit tests: the documented neo4j-admin command lines, to the byte. */
#include <string.h>

#include "neo4j_admin.h"
#include "unit.h"

static struct neo4j_admin admin(enum neo4j_dialect d)
{
    struct neo4j_admin na;
    memset(&na, 0, sizeof(na));
    strcpy(na.program, "neo4j-admin");
    na.dialect = d;
    return na;
}

static void check_argv(struct argv_list *a, const char *want)
{
    char buf[2048];
    argv_format(a, buf, sizeof(buf));
    CHECK_STR(buf, want);
    argv_free(a);
}

static struct backup_request request(void)
{
    struct backup_request r;
    memset(&r, 0, sizeof(r));
    r.database = "neo4j";
    r.backup_dir = "/backups";
    r.from = "graph:6362";
    r.pagecache = "2G";
    r.report_dir = "/backups/.reports/neo4j";
    r.type = "FULL";
    r.fallback_to_full = true;
    r.check_consistency = true;
    r.check_graph = true;
    r.check_indexes = true;
    r.check_label_scan_store = true;
    return r;
}

static void test_backup(void)
{
    struct neo4j_admin a44 = admin(DIALECT_44), a5 = admin(DIALECT_5);
    struct backup_request r = request();
    struct argv_list argv = {0};

    CHECK(neo4j_admin_backup_argv(&a44, &r, &argv) == NB_OK);
    check_argv(&argv, "neo4j-admin backup --backup-dir=/backups --from=graph:6362 "
                      "--database=neo4j --fallback-to-full=true --pagecache=2G "
                      "--check-consistency=true --report-dir=/backups/.reports/neo4j "
                      "--check-graph=true --check-indexes=true --check-label-scan-store=true "
                      "--check-property-owners=false");
    r.check_consistency = false;
    CHECK(neo4j_admin_backup_argv(&a44, &r, &argv) == NB_OK);
    check_argv(&argv, "neo4j-admin backup --backup-dir=/backups --from=graph:6362 "
                      "--database=neo4j --fallback-to-full=true --pagecache=2G "
                      "--check-consistency=false");
    r.backup_dir = "/backups/neo4j";
    CHECK(neo4j_admin_backup_argv(&a5, &r, &argv) == NB_OK);
    check_argv(&argv, "neo4j-admin database backup --to-path=/backups/neo4j --from=graph:6362 "
                      "--type=FULL --pagecache=2G neo4j");
    CHECK(neo4j_admin_check_argv(&a5, &r, &argv) == NB_OK);
    check_argv(&argv, "neo4j-admin database check --from-path=/backups/neo4j "
                      "--report-path=/backups/.reports/neo4j --check-graph=true "
                      "--check-indexes=true --check-property-owners=false neo4j");
    CHECK(neo4j_admin_check_argv(&a44, &r, &argv) != NB_OK);
}

static void test_restore(void)
{
    struct neo4j_admin a44 = admin(DIALECT_44), a5 = admin(DIALECT_5);
    struct restore_request r = {"neo4j", "/data/.restore/neo4j/backups/neo4j", "/data/databases",
                                "/data/transactions", false};
    struct argv_list argv = {0};

    CHECK(neo4j_admin_restore_argv(&a44, &r, &argv) == NB_OK);
    check_argv(&argv, "neo4j-admin restore --from=/data/.restore/neo4j/backups/neo4j "
                      "--database=neo4j --move --to-data-directory=/data/databases "
                      "--to-data-tx-directory=/data/transactions");
    r.force = true;
    CHECK(neo4j_admin_restore_argv(&a44, &r, &argv) == NB_OK);
    check_argv(&argv, "neo4j-admin restore --from=/data/.restore/neo4j/backups/neo4j "
                      "--database=neo4j --force --move --to-data-directory=/data/databases "
                      "--to-data-tx-directory=/data/transactions");
    r.from = "/s/neo4j-2026.backup";
    CHECK(neo4j_admin_restore_argv(&a5, &r, &argv) == NB_OK);
    check_argv(&argv, "neo4j-admin database restore --from-path=/s/neo4j-2026.backup "
                      "--overwrite-destination=true --to-path-data=/data/databases "
                      "--to-path-txn=/data/transactions neo4j");
    CHECK(neo4j_admin_unbind_argv(&a44, &argv) == NB_OK);
    check_argv(&argv, "neo4j-admin unbind");
    CHECK(neo4j_admin_unbind_argv(&a5, &argv) == NB_OK);
    check_argv(&argv, "neo4j-admin server unbind");
}

static void test_versions(void)
{
    char v[32];
    enum neo4j_dialect d;

    CHECK(neo4j_admin_parse_version("neo4j-admin 4.4.10\n", v, sizeof(v), &d) == NB_OK);
    CHECK_STR(v, "4.4.10");
    CHECK(d == DIALECT_44);
    CHECK(neo4j_admin_parse_version("4.4.26", v, sizeof(v), &d) == NB_OK && d == DIALECT_44);
    CHECK(neo4j_admin_parse_version("5.26.0\n", v, sizeof(v), &d) == NB_OK && d == DIALECT_5);
    CHECK(neo4j_admin_parse_version("2025.10.1", v, sizeof(v), &d) == NB_OK && d == DIALECT_5);
    CHECK_STR(v, "2025.10.1");
    CHECK(neo4j_admin_parse_version("neo4j 5.26.0", v, sizeof(v), &d) == NB_OK && d == DIALECT_5);
    CHECK(neo4j_admin_parse_version("3.5.1", v, sizeof(v), &d) == NB_ERR_ADMIN);
    CHECK(neo4j_admin_parse_version("garbage", v, sizeof(v), &d) == NB_ERR_ADMIN);
}

/* verify --deep: the check of a restored database, as each manual documents. */
static void test_check_restored(void)
{
    struct neo4j_admin a44 = admin(DIALECT_44), a5 = admin(DIALECT_5);
    struct check_request r = {"neo4j", "/s/databases", "/s/transactions", "/s/drill.conf",
                              "/s/report"};
    struct argv_list argv = {0};

    CHECK(neo4j_admin_check_restored_argv(&a44, &r, &argv) == NB_OK);
    check_argv(&argv, "neo4j-admin check-consistency --database=neo4j "
                      "--additional-config=/s/drill.conf --report-dir=/s/report");
    CHECK(neo4j_admin_check_restored_argv(&a5, &r, &argv) == NB_OK);
    check_argv(&argv, "neo4j-admin database check --from-path-data=/s/databases "
                      "--from-path-txn=/s/transactions --report-path=/s/report neo4j");
}

int main(void)
{
    test_backup();
    test_check_restored();
    test_restore();
    test_versions();
    return unit_report("test_neo4j_admin");
}
