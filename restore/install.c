/* neo4j-restore: from the verified staging folder into DATA_DIR with
 * neo4j-admin (DESIGN section 7). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "restore.h"

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The only entry of `dir` when it is a folder, else false. */
static bool single_folder(const char *dir, char *out, size_t len)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int count = 0;

    if (!d)
        return false;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (++count == 1)
            snprintf(out, len, "%s/%s", dir, de->d_name);
    }
    closedir(d);
    return count == 1 && is_dir(out);
}

/* Where the set is inside the archive: BACKUP_SET_DIR, backups/DB, data/DB,
 * or a single top-level folder. */
static nb_err locate_set(const struct restore_config *cfg, const char *db, const char *staging,
                         char *set, size_t len)
{
    static const char *const layouts[] = {"backups/%s", "data/%s"};
    char rel[512];

    if (cfg->backup_set_dir) {
        snprintf(set, len, "%s/%s", staging, cfg->backup_set_dir);
        if (is_dir(set))
            return NB_OK;
        return nb_error(NB_ERR_INTEGRITY,
                        "BACKUP_SET_DIR '%s' is not a folder in the archive of '%s': fix "
                        "BACKUP_SET_DIR or unset it",
                        cfg->backup_set_dir, db);
    }
    for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
        snprintf(rel, sizeof(rel), layouts[i], db);
        snprintf(set, len, "%s/%s", staging, rel);
        if (is_dir(set))
            return NB_OK;
    }
    if (single_folder(staging, set, len)) {
        char inner[4200];
        /* backups/OTHER or data/OTHER: a set, but of another database. */
        if (single_folder(set, inner, sizeof(inner)) &&
            (strcmp(set + strlen(staging), "/backups") == 0 ||
             strcmp(set + strlen(staging), "/data") == 0))
            snprintf(set, len, "%s", inner);
        log_info("[%s] the archive holds one folder: restoring %s", db, set + strlen(staging) + 1);
        return NB_OK;
    }
    return nb_error(NB_ERR_INTEGRITY,
                    "the archive of '%s' holds no backup set: looked for backups/%s/, data/%s/ and "
                    "a single top-level folder; set BACKUP_SET_DIR to the set's path inside it",
                    db, db, db);
}

/* 5+: the newest artifact of the chain (names sort by time). */
static nb_err newest_artifact(const char *set, const char *db, char *out, size_t len)
{
    struct dirent **names = NULL;
    int n = scandir(set, &names, NULL, alphasort);
    nb_err err = NB_OK;

    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        size_t l = strlen(name);
        if (l > 7 && strcmp(name + l - 7, ".backup") == 0)
            snprintf(out, len, "%s/%s", set, name);
        free(names[i]);
    }
    free(names);
    if (!out[0])
        err = nb_error(NB_ERR_INTEGRITY,
                       "the set of '%s' holds no .backup artifact for neo4j-admin 5: was it made "
                       "by Neo4j 4.4? Restore it with a 4.4 neo4j-admin",
                       db);
    return err;
}

static nb_err admin_ready(struct restore_run *run)
{
    nb_err err;

    if (run->admin_ready)
        return NB_OK;
    err = neo4j_admin_detect(&run->admin, run->cfg->admin_program, run->cfg->admin_dialect);
    if (err)
        return err;
    run->admin_ready = true;
    log_info("neo4j-admin %s (dialect %s)", run->admin.version, dialect_name(run->admin.dialect));
    return NB_OK;
}

static nb_err run_admin(const struct restore_config *cfg, struct argv_list *argv, const char *what,
                        const char *db)
{
    uint64_t avail = UINT64_MAX;
    int status = 0;
    nb_err err = neo4j_admin_run(argv, NULL, &status);

    argv_free(argv);
    /* Neo4j 5 expands its compressed artifacts: the manifest cannot say how
     * much room that takes, so a full volume is found out here. */
    if (!err && status != 0 && fsutil_free_bytes(cfg->data_dir, &avail) == NB_OK &&
        avail < 1024 * 1024)
        return nb_error(NB_ERR_NO_SPACE,
                        "neo4j-admin %s of '%s' ran out of space on DATA_DIR %s: grow the "
                        "volume; the next start will restore again",
                        what, db, cfg->data_dir);
    if (!err && status != 0)
        err = nb_error(NB_ERR_ADMIN,
                       "neo4j-admin %s of '%s' failed (exit %d): see its output above; the next "
                       "start will try again",
                       what, db, status);
    return err;
}

static nb_err unbind_once(struct restore_run *run, const char *db)
{
    struct argv_list argv = {0};
    nb_err err;

    if (!run->cfg->unbind || run->unbound)
        return NB_OK;
    if (run->admin.dialect == DIALECT_5)
        log_warn("UNBIND=true on Neo4j 5: 'neo4j-admin server unbind' is a last resort; this "
                 "server will rejoin the cluster as a new server");
    else
        log_info("unbinding this cluster member before restore (UNBIND=true)");
    if ((err = neo4j_admin_unbind_argv(&run->admin, &argv)) ||
        (err = run_admin(run->cfg, &argv, "unbind", db)))
        return err;
    run->unbound = true;
    return NB_OK;
}

/* Running as root: hand what was restored to the Neo4j user. */
static nb_err hand_over(const struct restore_config *cfg, const char *db)
{
    static const char *const parents[] = {"%s/databases", "%s/transactions"};
    char path[4200];
    nb_err err;

    if (geteuid() != 0)
        return NB_OK;
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), parents[i], cfg->data_dir);
        if (fsutil_exists(path) && lchown(path, cfg->owner_uid, cfg->owner_gid) != 0)
            return nb_error(NB_ERR_LOCAL_IO, "unable to hand '%s' to %lu:%lu", path,
                            (unsigned long)cfg->owner_uid, (unsigned long)cfg->owner_gid);
        snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%s", db);
        if ((err = fsutil_chown_tree(path, cfg->owner_uid, cfg->owner_gid)))
            return err;
    }
    log_info("[%s] restored files handed to %lu:%lu", db, (unsigned long)cfg->owner_uid,
             (unsigned long)cfg->owner_gid);
    return NB_OK;
}

nb_err restore_install(struct restore_run *run, const char *db, const char *staging, bool replace)
{
    const struct restore_config *cfg = run->cfg;
    char set[4200], from[4300], data[4200], txn[4200];
    struct restore_request req;
    struct argv_list argv = {0};
    nb_err err;

    if ((err = admin_ready(run)) || (err = locate_set(cfg, db, staging, set, sizeof(set))))
        return err;
    if (run->admin.dialect == DIALECT_5) {
        if ((err = newest_artifact(set, db, from, sizeof(from))))
            return err;
    } else {
        snprintf(from, sizeof(from), "%s", set);
    }
    if ((err = unbind_once(run, db)))
        return err;
    snprintf(data, sizeof(data), "%s/databases", cfg->data_dir);
    snprintf(txn, sizeof(txn), "%s/transactions", cfg->data_dir);
    memset(&req, 0, sizeof(req));
    req.database = db;
    req.from = from;
    req.data_dir = data;
    req.txn_dir = txn;
    req.force = replace;
    if ((err = neo4j_admin_restore_argv(&run->admin, &req, &argv)) ||
        (err = run_admin(cfg, &argv, "restore", db)))
        return err;
    return hand_over(cfg, db);
}
