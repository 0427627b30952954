/* neo4j-backup's settings: one table, one long option and one variable each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backup.h"
#include "commands.h"
#include "config.h"
#include "naming.h"

enum {
    OPT_BUCKET,
    OPT_DATABASE,
    OPT_CLOUD_PROVIDER,
    OPT_NEO4J_ADDR,
    OPT_CREDENTIALS,
    OPT_HEAP_SIZE,
    OPT_PAGE_CACHE,
    OPT_FALLBACK_TO_FULL,
    OPT_CHECK_CONSISTENCY,
    OPT_CHECK_INDEXES,
    OPT_CHECK_GRAPH,
    OPT_CHECK_LABEL_SCAN_STORE,
    OPT_CHECK_PROPERTY_OWNERS,
    OPT_REMOVE_EXISTING_FILES,
    OPT_REMOVE_BACKUP_FILES,
    OPT_BACKUP_DIR,
    OPT_COMPRESSION,
    OPT_COMPRESSION_LEVEL,
    OPT_COMPRESSION_THREADS,
    OPT_NEO4J_ADMIN,
    OPT_NEO4J_ADMIN_DIALECT,
    OPT_BACKUP_TIMESTAMP,
    OPT_KEEP, /* RETENTION_OPTIONS entries: KEEP_LAST ... KEEP_WITHIN */
    OPT_COUNT = OPT_KEEP + RETENTION_OPTIONS
};

static struct option_def options[OPT_COUNT] = {
    [OPT_BUCKET] = CONFIG_OPTION_BUCKET("go"),
    [OPT_DATABASE] = CONFIG_OPTION_DATABASE("back up"),
    [OPT_CLOUD_PROVIDER] = CONFIG_OPTION_CLOUD_PROVIDER,
    [OPT_NEO4J_ADDR] = {"neo4j-addr", "NEO4J_ADDR", OPTION_STRING, NULL, "HOST:PORT",
                        "the backup address of the live Neo4j, e.g. my-neo4j:6362"},
    [OPT_CREDENTIALS] = CONFIG_OPTION_CREDENTIALS,
    [OPT_HEAP_SIZE] = {"heap-size", "HEAP_SIZE", OPTION_STRING, "2G", "SIZE",
                       "heap of neo4j-admin (passed as HEAP_SIZE)"},
    [OPT_PAGE_CACHE] = {"page-cache", "PAGE_CACHE", OPTION_STRING, "2G", "SIZE",
                        "page cache of neo4j-admin backup (--pagecache)"},
    [OPT_FALLBACK_TO_FULL] = {"fallback-to-full", "FALLBACK_TO_FULL", OPTION_BOOL, "true", NULL,
                              "take a full backup when an incremental one is not possible"},
    [OPT_CHECK_CONSISTENCY] = {"check-consistency", "CHECK_CONSISTENCY", OPTION_BOOL, "true", NULL,
                               "check the backup's consistency (5+: neo4j-admin database "
                               "check); a failed check keeps latest where it was"},
    [OPT_CHECK_INDEXES] = {"check-indexes", "CHECK_INDEXES", OPTION_BOOL, "true", NULL,
                           "consistency check covers indexes"},
    [OPT_CHECK_GRAPH] = {"check-graph", "CHECK_GRAPH", OPTION_BOOL, "true", NULL,
                         "consistency check covers the graph"},
    [OPT_CHECK_LABEL_SCAN_STORE] = {"check-label-scan-store", "CHECK_LABEL_SCAN_STORE", OPTION_BOOL,
                                    "true", NULL,
                                    "consistency check covers the label scan store (4.4)"},
    [OPT_CHECK_PROPERTY_OWNERS] = {"check-property-owners", "CHECK_PROPERTY_OWNERS", OPTION_BOOL,
                                   "false", NULL, "consistency check covers property owners"},
    [OPT_REMOVE_EXISTING_FILES] = {"remove-existing-files", "REMOVE_EXISTING_FILES", OPTION_BOOL,
                                   "true", NULL,
                                   "empty BACKUP_DIR/DB before the backup (a full backup)"},
    [OPT_REMOVE_BACKUP_FILES] = {"remove-backup-files", "REMOVE_BACKUP_FILES", OPTION_BOOL, "true",
                                 NULL, "remove BACKUP_DIR/DB after the upload"},
    [OPT_BACKUP_DIR] = {"backup-dir", "BACKUP_DIR", OPTION_STRING, "/backups", "DIR",
                        "local working folder of neo4j-admin backup"},
    [OPT_COMPRESSION] = {"compression", "COMPRESSION", OPTION_STRING, "gzip", "NAME",
                         "gzip (.tar.gz) or zstd (.tar.zst, multi-threaded)"},
    [OPT_COMPRESSION_LEVEL] = {"compression-level", "COMPRESSION_LEVEL", OPTION_STRING, "0", "N",
                               "gzip 1-4 fast (ISA-L 0-3), 5-9 small (zlib); zstd 1-22; 0: gzip 2, "
                               "zstd 3"},
    [OPT_COMPRESSION_THREADS] = {"compression-threads", "COMPRESSION_THREADS", OPTION_STRING, "0",
                                 "N", "gzip or zstd compression threads; 0 uses every core"},
    [OPT_NEO4J_ADMIN] = CONFIG_OPTION_NEO4J_ADMIN,
    [OPT_NEO4J_ADMIN_DIALECT] = CONFIG_OPTION_NEO4J_ADMIN_DIALECT,
    [OPT_BACKUP_TIMESTAMP] = {"timestamp", "BACKUP_TIMESTAMP", OPTION_STRING, NULL, "STAMP",
                              "stamp the sets YYYY-MM-DD-HH:MM:SS instead of now (UTC); an "
                              "existing set is never overwritten"},
};

static const struct program_info program = {
    "neo4j-backup",
    "Backs up Neo4j databases with neo4j-admin and streams each set into a compressed\n"
    "archive in object storage as DB/DB-TIMESTAMP.tar.gz, with a manifest, then moves\n"
    "DB-latest to it; with a KEEP_* rule set, then prunes what no rule keeps.\n\n"
    "Commands (each with its own --help):\n"
    "  neo4j-backup list     every set per database, newest first\n"
    "  neo4j-backup verify   check sets against their manifests; --deep: a restore drill\n"
    "  neo4j-backup prune    remove the sets no KEEP_* rule keeps",
};

nb_err backup_options(int argc, char **argv, struct backup_config *cfg, bool *exit_now)
{
    long level = 0, threads = 0;
    nb_err err;

    memset(cfg, 0, sizeof(*cfg));
    if (!options[OPT_KEEP].name)
        retention_option_defs(&options[OPT_KEEP]);
    err = config_parse(&program, options, OPT_COUNT, argc, argv, exit_now);
    if (err || *exit_now)
        return err;
    if ((err = config_target(&options[OPT_BUCKET], &options[OPT_CLOUD_PROVIDER],
                             &options[OPT_DATABASE], &options[OPT_CREDENTIALS], &cfg->target)))
        return err;
    /* KEEP_* are checked before anything changes. */
    if ((err = retention_from_options(&options[OPT_KEEP], &cfg->retention)) ||
        (err = config_host_port(&options[OPT_NEO4J_ADDR])) ||
        (err = config_size(&options[OPT_HEAP_SIZE], true)) ||
        (err = config_size(&options[OPT_PAGE_CACHE], false)) ||
        (err = config_dialect(&options[OPT_NEO4J_ADMIN_DIALECT])) ||
        (err = config_dir(&options[OPT_BACKUP_DIR], false)) ||
        (err = config_bool(&options[OPT_FALLBACK_TO_FULL], &cfg->fallback_to_full)) ||
        (err = config_bool(&options[OPT_CHECK_CONSISTENCY], &cfg->check_consistency)) ||
        (err = config_bool(&options[OPT_CHECK_INDEXES], &cfg->check_indexes)) ||
        (err = config_bool(&options[OPT_CHECK_GRAPH], &cfg->check_graph)) ||
        (err = config_bool(&options[OPT_CHECK_LABEL_SCAN_STORE], &cfg->check_label_scan_store)) ||
        (err = config_bool(&options[OPT_CHECK_PROPERTY_OWNERS], &cfg->check_property_owners)) ||
        (err = config_bool(&options[OPT_REMOVE_EXISTING_FILES], &cfg->remove_existing_files)) ||
        (err = config_bool(&options[OPT_REMOVE_BACKUP_FILES], &cfg->remove_backup_files)) ||
        (err = config_int(&options[OPT_COMPRESSION_LEVEL], 0, 22, &level)) ||
        (err = config_int(&options[OPT_COMPRESSION_THREADS], 0, 256, &threads)))
        return err;
    if (strcmp(options[OPT_COMPRESSION].value, "gzip") == 0) {
        cfg->archive.compression = COMPRESSION_GZIP;
        if (level > 9)
            return nb_error(NB_ERR_USAGE,
                            "COMPRESSION_LEVEL %ld is too high for gzip: use 1 to 9 (1-4 fast, "
                            "5-9 small)",
                            level);
    } else if (strcmp(options[OPT_COMPRESSION].value, "zstd") == 0) {
        cfg->archive.compression = COMPRESSION_ZSTD;
    } else {
        return nb_error(NB_ERR_USAGE, "COMPRESSION '%s' is unknown: use gzip or zstd",
                        options[OPT_COMPRESSION].value);
    }
    if (threads == 0)
        threads = sysconf(_SC_NPROCESSORS_ONLN);
    cfg->archive.level = (int)level;
    cfg->archive.threads = (int)threads;
    cfg->timestamp = options[OPT_BACKUP_TIMESTAMP].value;
    if (cfg->timestamp && !naming_timestamp_valid(cfg->timestamp))
        return nb_error(NB_ERR_USAGE,
                        "BACKUP_TIMESTAMP '%s' is not a timestamp like 2026-11-24-13:05:00 (UTC, "
                        "YYYY-MM-DD-HH:MM:SS)",
                        cfg->timestamp);
    cfg->neo4j_addr = options[OPT_NEO4J_ADDR].value;
    cfg->heap_size = options[OPT_HEAP_SIZE].value;
    cfg->page_cache = options[OPT_PAGE_CACHE].value;
    cfg->backup_dir = options[OPT_BACKUP_DIR].value;
    cfg->admin_program = options[OPT_NEO4J_ADMIN].value;
    cfg->admin_dialect = options[OPT_NEO4J_ADMIN_DIALECT].value;
    return NB_OK;
}

void backup_config_free(struct backup_config *cfg)
{
    config_target_free(&cfg->target);
}
