/*
 * commands.h: neo4j-backup's commands besides taking a backup (DESIGN
 * section 11), tmux-style: one file per command and one table entry each
 * (name, usage, exec).
 */
#ifndef NB_BACKUP_COMMANDS_H
#define NB_BACKUP_COMMANDS_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "manifest.h"
#include "naming.h"
#include "retention.h"
#include "storage/storage.h"

struct backup_command {
    const char *name;
    const char *usage; /* one line for neo4j-backup --help */
    /* Runs the command with argv[0] = the command's name; returns the exit
     * status (DESIGN section 6). */
    int (*exec)(int argc, char **argv);
};

/* The command named `name`, or NULL. */
const struct backup_command *backup_command_find(const char *name);
/* "list, verify, prune" for messages and --help. */
const char *backup_command_names(void);

int cmd_list(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_prune(int argc, char **argv);

/* ---- catalog.c: what the bucket holds, from one listing ---------------- */

/* One timestamped set of a database and the objects it has. */
struct catalog_set {
    char stamp[NAMING_TIMESTAMP_LEN + 1];
    bool has_manifest;
    bool has_gzip, has_zstd; /* DB-STAMP.tar.gz / .tar.zst */
    bool has_report;
    bool marked; /* DB-STAMP.pruning: a prune is removing it */
    uint64_t archive_size;
    bool manifest_loaded;
    struct manifest manifest;
};

struct catalog_db {
    char name[64];
    struct catalog_set *sets; /* newest first */
    size_t n_sets, cap_sets;
    bool has_latest_manifest;
    bool has_latest_archive;               /* DB-latest.tar.gz or .tar.zst */
    char latest[NAMING_TIMESTAMP_LEN + 1]; /* the stamp latest names, "" when none */
};

struct catalog {
    struct catalog_db *dbs; /* sorted by name */
    size_t n_dbs;
};

/* Lists the location once (only DB/ for each of `dbs` when n_dbs > 0) and
 * reads the latest manifests. Objects that do not follow the naming
 * convention are ignored (never touched). */
nb_err catalog_load(struct storage *st, char **dbs, size_t n_dbs,
                    struct catalog *cat) NB_WARN_UNUSED;
void catalog_free(struct catalog *cat);
/* Reads and validates the set's manifest once (a missing one is
 * NB_ERR_INTEGRITY when the listing showed it: it vanished). */
nb_err catalog_manifest(struct storage *st, const struct catalog_db *db,
                        struct catalog_set *set) NB_WARN_UNUSED;
/* A set without a manifest and without a marker: made by another tool. */
bool catalog_legacy(const struct catalog_set *set);
/* The set `stamp` of db, or NULL. */
struct catalog_set *catalog_find(struct catalog_db *db, const char *stamp);

/* ---- options shared by the commands ------------------------------------ */

/* The storage settings every command takes (BUCKET, CLOUD_PROVIDER,
 * DATABASE, credentials) plus the command's own options, after them. */
struct command_target {
    struct config_target target; /* databases empty: every database found */
    struct storage *storage;
};

/* Parses argv against the shared options plus `extra` (n_extra entries);
 * opens the storage. *exit_now after --help. */
nb_err command_setup(const char *name, const char *summary, struct option_def *extra,
                     size_t n_extra, int argc, char **argv, struct command_target *t,
                     bool *exit_now) NB_WARN_UNUSED;
void command_teardown(struct command_target *t);

/* ---- prune.c, also used after a backup run ----------------------------- */

/* The retention options KEEP_* (for option tables) and their parsing. */
#define RETENTION_OPTIONS 7
void retention_option_defs(struct option_def *defs);
nb_err retention_from_options(const struct option_def *defs,
                              struct retention_policy *p) NB_WARN_UNUSED;

/* Applies `p` to one database: finishes interrupted removals, then removes
 * what no rule keeps (dry_run: prints the plan only). */
nb_err prune_database(struct storage *st, struct catalog_db *db, const struct retention_policy *p,
                      bool dry_run) NB_WARN_UNUSED;

#endif
