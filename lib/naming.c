#include "naming.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

void naming_timestamp(time_t t, char *out)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, NAMING_TIMESTAMP_LEN + 1, NAMING_TIMESTAMP_FORMAT, &tm);
}

bool naming_timestamp_valid(const char *ts)
{
    static const char pattern[] = "dddd-dd-dd-dd:dd:dd";
    struct tm tm;
    char again[NAMING_TIMESTAMP_LEN + 1];
    const char *end;
    time_t t;

    if (strlen(ts) != NAMING_TIMESTAMP_LEN)
        return false;
    for (size_t i = 0; i < NAMING_TIMESTAMP_LEN; i++) {
        if (pattern[i] == 'd' ? !isdigit((unsigned char)ts[i]) : ts[i] != pattern[i])
            return false;
    }
    /* A real date: it must survive a round trip (no 2026-02-30). */
    memset(&tm, 0, sizeof(tm));
    end = strptime(ts, NAMING_TIMESTAMP_FORMAT, &tm);
    if (!end || *end)
        return false;
    t = timegm(&tm);
    naming_timestamp(t, again);
    return strcmp(again, ts) == 0;
}

bool naming_database_valid(const char *db)
{
    size_t len = strlen(db);

    if (len < 3 || len > 63 || !isalpha((unsigned char)db[0]))
        return false;
    for (size_t i = 1; i < len; i++) {
        unsigned char c = (unsigned char)db[i];
        if (!isalnum(c) && c != '.' && c != '-' && c != '_')
            return false;
    }
    return true;
}

const char *compression_name(enum compression c)
{
    return c == COMPRESSION_ZSTD ? "zstd" : "gzip";
}

enum object_kind naming_archive_kind(enum compression c)
{
    return c == COMPRESSION_ZSTD ? OBJECT_ARCHIVE_ZSTD : OBJECT_ARCHIVE_GZIP;
}

const char *naming_suffix(enum object_kind kind)
{
    switch (kind) {
    case OBJECT_ARCHIVE_GZIP:
        return ".tar.gz";
    case OBJECT_ARCHIVE_ZSTD:
        return ".tar.zst";
    case OBJECT_MANIFEST:
        return ".manifest.json";
    case OBJECT_REPORT:
        return ".report.tar.gz";
    }
    return "";
}

char *naming_object(char *buf, size_t len, const char *db, const char *stamp, enum object_kind kind)
{
    int n = snprintf(buf, len, "%s/%s-%s%s", db, db, stamp, naming_suffix(kind));
    return n < 0 || (size_t)n >= len ? NULL : buf;
}

const char *naming_basename(const char *name)
{
    const char *slash = strrchr(name, '/');
    return slash ? slash + 1 : name;
}

bool naming_parse_archive(const char *name, const char *db, char *stamp,
                          enum compression *compression)
{
    const char *base = naming_basename(name);
    size_t dblen = strlen(db);
    const char *rest;

    if (strncmp(base, db, dblen) != 0 || base[dblen] != '-')
        return false;
    rest = base + dblen + 1;
    if (strlen(rest) < NAMING_TIMESTAMP_LEN)
        return false;
    memcpy(stamp, rest, NAMING_TIMESTAMP_LEN);
    stamp[NAMING_TIMESTAMP_LEN] = '\0';
    if (!naming_timestamp_valid(stamp))
        return false;
    rest += NAMING_TIMESTAMP_LEN;
    if (strcmp(rest, ".tar.gz") == 0)
        *compression = COMPRESSION_GZIP;
    else if (strcmp(rest, ".tar.zst") == 0)
        *compression = COMPRESSION_ZSTD;
    else
        return false;
    return true;
}
