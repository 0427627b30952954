/* neo4j-restore's settings: one table, one long option and one variable each. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "naming.h"
#include "restore.h"

enum {
    OPT_BUCKET,
    OPT_DATABASE,
    OPT_CLOUD_PROVIDER,
    OPT_TIMESTAMP,
    OPT_FORCE_OVERWRITE,
    OPT_PURGE_ON_COMPLETE,
    OPT_BACKUP_SET_DIR,
    OPT_MISSING_BACKUP,
    OPT_DATA_DIR,
    OPT_UNBIND,
    OPT_CREDENTIALS,
    OPT_OWNER,
    OPT_NEO4J_ADMIN,
    OPT_NEO4J_ADMIN_DIALECT,
    OPT_COUNT
};

static struct option_def options[OPT_COUNT] = {
    [OPT_BUCKET] = CONFIG_OPTION_BUCKET("are"),
    [OPT_DATABASE] = CONFIG_OPTION_DATABASE("restore"),
    [OPT_CLOUD_PROVIDER] = CONFIG_OPTION_CLOUD_PROVIDER,
    [OPT_TIMESTAMP] = {"timestamp", "TIMESTAMP", OPTION_STRING, "latest", "STAMP",
                       "latest, or a set's YYYY-MM-DD-HH:MM:SS"},
    [OPT_FORCE_OVERWRITE] = {"force-overwrite", "FORCE_OVERWRITE", OPTION_BOOL, "false", NULL,
                             "replace a database that exists in DATA_DIR (writes made since "
                             "the backup are lost)"},
    [OPT_PURGE_ON_COMPLETE] = {"purge-on-complete", "PURGE_ON_COMPLETE", OPTION_BOOL, "true", NULL,
                               "remove the staging folder DATA_DIR/.restore when done"},
    [OPT_BACKUP_SET_DIR] = {"backup-set-dir", "BACKUP_SET_DIR", OPTION_STRING, NULL, "PATH",
                            "the set's folder inside the archive (default: backups/DB, "
                            "data/DB or the single top-level folder)"},
    [OPT_MISSING_BACKUP] = {"missing-backup", "MISSING_BACKUP", OPTION_STRING, "fail", "fail|skip",
                            "when the bucket holds no backup: fail (exit 3) or skip (start "
                            "empty)"},
    [OPT_DATA_DIR] = {"data-dir", "DATA_DIR", OPTION_STRING, "/data", "DIR", "Neo4j's data volume"},
    [OPT_UNBIND] = {"unbind", "UNBIND", OPTION_BOOL, "false", NULL,
                    "unbind the cluster member before restore (4.4 cluster; a last resort "
                    "on 5+)"},
    [OPT_CREDENTIALS] = CONFIG_OPTION_CREDENTIALS,
    [OPT_OWNER] = {"owner", "NEO4J_OWNER", OPTION_STRING, "7474:7474", "UID:GID",
                   "who restored files belong to, when run as root"},
    [OPT_NEO4J_ADMIN] = CONFIG_OPTION_NEO4J_ADMIN,
    [OPT_NEO4J_ADMIN_DIALECT] = CONFIG_OPTION_NEO4J_ADMIN_DIALECT,
};

static const struct program_info program = {
    "neo4j-restore",
    "Restores Neo4j databases from object storage before Neo4j starts (an initContainer):\n"
    "finds the latest (or a chosen) set, streams it through SHA-256 into DATA_DIR/.restore,\n"
    "verifies it, then runs neo4j-admin restore into DATA_DIR. An existing database is kept\n"
    "unless FORCE_OVERWRITE=true.",
};

static nb_err parse_owner(const char *value, uid_t *uid, gid_t *gid)
{
    unsigned long u, g;
    char extra;

    if (sscanf(value, "%lu:%lu%c", &u, &g, &extra) != 2)
        return nb_error(NB_ERR_USAGE, "NEO4J_OWNER '%s' is not UID:GID, e.g. 7474:7474", value);
    *uid = (uid_t)u;
    *gid = (gid_t)g;
    return NB_OK;
}

static bool safe_relative(const char *p)
{
    if (p[0] == '/' || strcmp(p, "..") == 0 || strncmp(p, "../", 3) == 0 || strstr(p, "/../") ||
        (strlen(p) >= 3 && strcmp(p + strlen(p) - 3, "/..") == 0))
        return false;
    return true;
}

nb_err restore_options(int argc, char **argv, struct restore_config *cfg, bool *exit_now)
{
    const char *missing, *ts, *set_dir;
    nb_err err;

    memset(cfg, 0, sizeof(*cfg));
    err = config_parse(&program, options, OPT_COUNT, argc, argv, exit_now);
    if (err || *exit_now)
        return err;
    if ((err = config_target(&options[OPT_BUCKET], &options[OPT_CLOUD_PROVIDER],
                             &options[OPT_DATABASE], &options[OPT_CREDENTIALS], &cfg->target)))
        return err;
    if ((err = config_bool(&options[OPT_FORCE_OVERWRITE], &cfg->force_overwrite)) ||
        (err = config_bool(&options[OPT_PURGE_ON_COMPLETE], &cfg->purge_on_complete)) ||
        (err = config_bool(&options[OPT_UNBIND], &cfg->unbind)) ||
        (err = parse_owner(options[OPT_OWNER].value, &cfg->owner_uid, &cfg->owner_gid)))
        return err;
    ts = options[OPT_TIMESTAMP].value;
    if (!ts || !*ts)
        ts = NAMING_LATEST;
    if (strcmp(ts, NAMING_LATEST) != 0 && !naming_timestamp_valid(ts))
        return nb_error(NB_ERR_USAGE,
                        "TIMESTAMP '%s' is neither 'latest' nor a set's timestamp like "
                        "2026-11-24-13:05:00 (UTC, YYYY-MM-DD-HH:MM:SS)",
                        ts);
    cfg->timestamp = ts;
    missing = options[OPT_MISSING_BACKUP].value;
    if (strcmp(missing, "skip") == 0)
        cfg->missing_skip = true;
    else if (strcmp(missing, "fail") != 0)
        return nb_error(NB_ERR_USAGE, "MISSING_BACKUP '%s' is unknown: use fail or skip", missing);
    set_dir = options[OPT_BACKUP_SET_DIR].value;
    if (set_dir && *set_dir) {
        if (!safe_relative(set_dir))
            return nb_error(NB_ERR_USAGE,
                            "BACKUP_SET_DIR '%s' must be a path inside the archive, relative and "
                            "without '..'",
                            set_dir);
        cfg->backup_set_dir = set_dir;
    }
    cfg->data_dir = options[OPT_DATA_DIR].value;
    if (cfg->data_dir[0] != '/')
        return nb_error(NB_ERR_USAGE, "DATA_DIR '%s' is not an absolute path", cfg->data_dir);
    cfg->admin_program = options[OPT_NEO4J_ADMIN].value;
    cfg->admin_dialect = options[OPT_NEO4J_ADMIN_DIALECT].value;
    return NB_OK;
}

void restore_config_free(struct restore_config *cfg)
{
    config_target_free(&cfg->target);
}
