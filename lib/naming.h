/*
 * naming.h: every object name the two programs use (DESIGN section 3).
 *
 *   DB/DB-TIMESTAMP.tar.gz | .tar.zst   the archive
 *   DB/DB-TIMESTAMP.manifest.json        its manifest
 *   DB/DB-TIMESTAMP.report.tar.gz        neo4j-admin's report folder
 *   DB/DB-latest.tar.gz | .tar.zst       copy of the newest good archive
 *   DB/DB-latest.manifest.json           copy of its manifest
 *
 * Names are relative to the location (bucket and path); location_key()
 * joins them. TIMESTAMP is UTC "%Y-%m-%d-%H:%M:%S".
 */
#ifndef NB_NAMING_H
#define NB_NAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "error.h"

#define NAMING_LATEST           "latest"
#define NAMING_TIMESTAMP_FORMAT "%Y-%m-%d-%H:%M:%S"
#define NAMING_TIMESTAMP_LEN    19

enum compression { COMPRESSION_GZIP, COMPRESSION_ZSTD };

enum object_kind {
    OBJECT_ARCHIVE_GZIP,
    OBJECT_ARCHIVE_ZSTD,
    OBJECT_MANIFEST,
    OBJECT_REPORT,
};

/* Formats `t` (UTC) into out[NAMING_TIMESTAMP_LEN + 1]. */
void naming_timestamp(time_t t, char *out);
/* True for a well-formed TIMESTAMP that names a real date and time. */
bool naming_timestamp_valid(const char *ts);
/* Neo4j's database name rules: 3 to 63 characters, a letter first, then
 * letters, digits, '.', '-' or '_'. */
bool naming_database_valid(const char *db);

const char *compression_name(enum compression c); /* "gzip" / "zstd" */
enum object_kind naming_archive_kind(enum compression c);
const char *naming_suffix(enum object_kind kind); /* ".tar.gz", ... */

/* "DB/DB-STAMP<suffix>" (STAMP a timestamp or "latest") into buf; returns
 * buf, or NULL when it does not fit. */
char *naming_object(char *buf, size_t len, const char *db, const char *stamp,
                    enum object_kind kind);
/* Strips the "DB/" folder: the archive's file name as a manifest holds it. */
const char *naming_basename(const char *name);
/* If `name` (with or without "DB/") is DB-TIMESTAMP.tar.gz or .tar.zst,
 * copies TIMESTAMP to stamp[NAMING_TIMESTAMP_LEN + 1] and returns true. */
bool naming_parse_archive(const char *name, const char *db, char *stamp,
                          enum compression *compression);

#endif
