/* neo4j-backup: what the bucket holds, from one listing (DESIGN sections 3
 * and 11). Only names that follow the naming convention count; anything
 * else is ignored, so no command ever touches it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "log.h"

#define MARKER_SUFFIX ".pruning"

static struct catalog_db *db_get(struct catalog *cat, const char *name, size_t len)
{
    struct catalog_db *grown;

    for (size_t i = 0; i < cat->n_dbs; i++) {
        if (strlen(cat->dbs[i].name) == len && strncmp(cat->dbs[i].name, name, len) == 0)
            return &cat->dbs[i];
    }
    grown = realloc(cat->dbs, (cat->n_dbs + 1) * sizeof(*grown));
    if (!grown)
        return NULL;
    cat->dbs = grown;
    memset(&cat->dbs[cat->n_dbs], 0, sizeof(cat->dbs[0]));
    snprintf(cat->dbs[cat->n_dbs].name, sizeof(cat->dbs[0].name), "%.*s", (int)len, name);
    return &cat->dbs[cat->n_dbs++];
}

static struct catalog_set *set_get(struct catalog_db *db, const char *stamp)
{
    struct catalog_set *set;

    for (size_t i = 0; i < db->n_sets; i++) {
        if (strcmp(db->sets[i].stamp, stamp) == 0)
            return &db->sets[i];
    }
    if (db->n_sets == db->cap_sets) {
        size_t cap = db->cap_sets ? db->cap_sets * 2 : 16;
        struct catalog_set *grown = realloc(db->sets, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        db->sets = grown;
        db->cap_sets = cap;
    }
    set = &db->sets[db->n_sets++];
    memset(set, 0, sizeof(*set));
    snprintf(set->stamp, sizeof(set->stamp), "%s", stamp);
    return set;
}

/* "DB/DB-<rest>": the folder must name a valid database and the file must
 * start with it. */
static nb_err add_object(void *ctx, const char *name, uint64_t size)
{
    static const struct {
        const char *suffix;
        int kind;
    } kinds[] = {
        {".tar.gz", 0},        {".tar.zst", 1},    {".manifest.json", 2},
        {".report.tar.gz", 3}, {MARKER_SUFFIX, 4},
    };
    struct catalog *cat = ctx;
    const char *slash = strchr(name, '/');
    char db[64], stamp[NAMING_TIMESTAMP_LEN + 1];
    const char *rest;
    struct catalog_db *d;
    struct catalog_set *set;
    size_t dblen;

    if (!slash || strchr(slash + 1, '/'))
        return NB_OK;
    dblen = (size_t)(slash - name);
    if (dblen == 0 || dblen >= sizeof(db))
        return NB_OK;
    memcpy(db, name, dblen);
    db[dblen] = '\0';
    if (!naming_database_valid(db) || strncmp(slash + 1, db, dblen) != 0 || slash[1 + dblen] != '-')
        return NB_OK;
    rest = slash + 2 + dblen;
    if (strncmp(rest, NAMING_LATEST ".", strlen(NAMING_LATEST) + 1) == 0) {
        rest += strlen(NAMING_LATEST);
        if (!(d = db_get(cat, db, dblen)))
            return NB_ERR_NOMEM;
        if (strcmp(rest, ".manifest.json") == 0)
            d->has_latest_manifest = true;
        else if (strcmp(rest, ".tar.gz") == 0 || strcmp(rest, ".tar.zst") == 0)
            d->has_latest_archive = true;
        return NB_OK;
    }
    if (strlen(rest) < NAMING_TIMESTAMP_LEN)
        return NB_OK;
    memcpy(stamp, rest, NAMING_TIMESTAMP_LEN);
    stamp[NAMING_TIMESTAMP_LEN] = '\0';
    if (!naming_timestamp_valid(stamp))
        return NB_OK;
    rest += NAMING_TIMESTAMP_LEN;
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        if (strcmp(rest, kinds[k].suffix) != 0)
            continue;
        if (!(d = db_get(cat, db, dblen)) || !(set = set_get(d, stamp)))
            return NB_ERR_NOMEM;
        switch (kinds[k].kind) {
        case 0:
            set->has_gzip = true;
            set->archive_size = size;
            break;
        case 1:
            set->has_zstd = true;
            set->archive_size = size;
            break;
        case 2:
            set->has_manifest = true;
            break;
        case 3:
            set->has_report = true;
            break;
        default:
            set->marked = true;
        }
        break;
    }
    return NB_OK;
}

static int newest_first(const void *a, const void *b)
{
    return strcmp(((const struct catalog_set *)b)->stamp, ((const struct catalog_set *)a)->stamp);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct catalog_db *)a)->name, ((const struct catalog_db *)b)->name);
}

/* Reads DB-latest.manifest.json: the stamp latest names. */
static nb_err load_latest(struct storage *st, struct catalog_db *db)
{
    char name[512], url[4200];
    char *json = NULL;
    size_t len = 0;
    struct manifest m;
    nb_err err;

    if (!db->has_latest_manifest)
        return NB_OK;
    naming_object(name, sizeof(name), db->name, NAMING_LATEST, OBJECT_MANIFEST);
    snprintf(url, sizeof(url), "%s", storage_url(st, name));
    err = storage_read_small(st, name, MANIFEST_MAX_BYTES, &json, &len);
    if (err == NB_ERR_NOT_FOUND) { /* moved away since the listing */
        nb_error_clear();
        db->has_latest_manifest = false;
        return NB_OK;
    }
    if (!err)
        err = manifest_parse(json, len, url, &m);
    free(json);
    if (err)
        return err;
    snprintf(db->latest, sizeof(db->latest), "%s", m.timestamp);
    return NB_OK;
}

nb_err catalog_load(struct storage *st, char **dbs, size_t n_dbs, struct catalog *cat)
{
    nb_err err = NB_OK;

    memset(cat, 0, sizeof(*cat));
    if (n_dbs == 0) {
        err = storage_list(st, "", add_object, cat);
    } else {
        for (size_t i = 0; !err && i < n_dbs; i++) {
            char prefix[160];
            snprintf(prefix, sizeof(prefix), "%s/%s-", dbs[i], dbs[i]);
            /* A database asked for is shown even when it has no set. */
            if (!db_get(cat, dbs[i], strlen(dbs[i])))
                err = NB_ERR_NOMEM;
            else
                err = storage_list(st, prefix, add_object, cat);
        }
    }
    if (!err && cat->n_dbs > 1)
        qsort(cat->dbs, cat->n_dbs, sizeof(*cat->dbs), by_name);
    for (size_t i = 0; !err && i < cat->n_dbs; i++) {
        struct catalog_db *db = &cat->dbs[i];
        /* A report or marker alone is not a set worth showing as one, but
         * a marker without anything else is kept: prune finishes it. */
        size_t kept = 0;
        for (size_t j = 0; j < db->n_sets; j++) {
            struct catalog_set *s = &db->sets[j];
            if (s->has_manifest || s->has_gzip || s->has_zstd || s->marked)
                db->sets[kept++] = *s;
        }
        db->n_sets = kept;
        if (db->n_sets > 1)
            qsort(db->sets, db->n_sets, sizeof(*db->sets), newest_first);
        err = load_latest(st, db);
    }
    if (err)
        catalog_free(cat);
    return err;
}

void catalog_free(struct catalog *cat)
{
    for (size_t i = 0; i < cat->n_dbs; i++)
        free(cat->dbs[i].sets);
    free(cat->dbs);
    memset(cat, 0, sizeof(*cat));
}

nb_err catalog_manifest(struct storage *st, const struct catalog_db *db, struct catalog_set *set)
{
    char name[512], url[4200];
    char *json = NULL;
    size_t len = 0;
    nb_err err;

    if (set->manifest_loaded)
        return NB_OK;
    naming_object(name, sizeof(name), db->name, set->stamp, OBJECT_MANIFEST);
    snprintf(url, sizeof(url), "%s", storage_url(st, name));
    err = storage_read_small(st, name, MANIFEST_MAX_BYTES, &json, &len);
    if (!err)
        err = manifest_parse(json, len, url, &set->manifest);
    free(json);
    if (err)
        return err;
    if (strcmp(set->manifest.database, db->name) != 0 ||
        strcmp(set->manifest.timestamp, set->stamp) != 0)
        return nb_error(NB_ERR_INTEGRITY, "manifest '%s' describes %s at %s, not %s at %s", url,
                        set->manifest.database, set->manifest.timestamp, db->name, set->stamp);
    set->manifest_loaded = true;
    return NB_OK;
}

bool catalog_legacy(const struct catalog_set *set)
{
    return !set->has_manifest && !set->marked && (set->has_gzip || set->has_zstd);
}

struct catalog_set *catalog_find(struct catalog_db *db, const char *stamp)
{
    for (size_t i = 0; i < db->n_sets; i++) {
        if (strcmp(db->sets[i].stamp, stamp) == 0)
            return &db->sets[i];
    }
    return NULL;
}
