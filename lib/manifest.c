#include "manifest.h"

#include <ctype.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

nb_err manifest_to_json(const struct manifest *m, char **out)
{
    char format[64];
    json_t *root;

    snprintf(format, sizeof(format), "%s/%d", MANIFEST_FORMAT_NAME, MANIFEST_FORMAT_MAJOR);
    root = json_pack("{s:s, s:s, s:s, s:{s:s, s:I, s:s, s:s, s:n}, s:{s:I, s:I},"
                     " s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s}, s:s}",
                     "format", format, "database", m->database, "timestamp", m->timestamp,
                     "archive", "name", m->archive_name, "bytes", (json_int_t)m->archive_bytes,
                     "sha256", m->sha256, "compression", compression_name(m->compression),
                     "encryption", "content", "bytes", (json_int_t)m->content_bytes, "files",
                     (json_int_t)m->content_files, "neo4j", "dialect", m->dialect, "version",
                     m->neo4j_version, "backup_type", m->backup_type, "consistency", m->consistency,
                     "tool", "name", "neo4j-backup", "version", m->tool_version, "created",
                     m->created);
    if (!root)
        return nb_error(NB_ERR_INTERNAL, "unable to build the manifest of '%s'", m->archive_name);
    *out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!*out)
        return NB_ERR_NOMEM;
    /* json_dumps gives no trailing newline; files read better with one. */
    {
        size_t len = strlen(*out);
        char *grown = realloc(*out, len + 2);
        if (!grown) {
            free(*out);
            return NB_ERR_NOMEM;
        }
        grown[len] = '\n';
        grown[len + 1] = '\0';
        *out = grown;
    }
    return NB_OK;
}

static bool is_hex64(const char *s)
{
    if (strlen(s) != 64)
        return false;
    for (size_t i = 0; i < 64; i++) {
        if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
            return false;
    }
    return true;
}

static void copy_str(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

/* A number the manifest did not hold. */
#define NOT_GIVEN ((json_int_t)LLONG_MIN)

nb_err manifest_parse(const char *text, size_t len, const char *where, struct manifest *m)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    const char *format = NULL, *database = NULL, *timestamp = NULL;
    const char *name = NULL, *sha = NULL, *compression = "gzip";
    const char *dialect = NULL, *version = NULL, *type = NULL, *consistency = NULL;
    const char *tool_version = NULL, *created = NULL;
    json_int_t bytes = -1, content_bytes = NOT_GIVEN, content_files = NOT_GIVEN;
    json_t *encryption = NULL;
    size_t prefix = strlen(MANIFEST_FORMAT_NAME);
    nb_err err = NB_OK;
    long major;
    char *end;

    memset(m, 0, sizeof(*m));
    if (!root)
        return nb_error(NB_ERR_INTEGRITY, "manifest '%s' is not valid JSON (line %d: %s)", where,
                        jerr.line, jerr.text);
    if (json_unpack_ex(root, &jerr, 0, "{s:s}", "format", &format) != 0 ||
        strncmp(format, MANIFEST_FORMAT_NAME "/", prefix + 1) != 0) {
        err = nb_error(NB_ERR_INTEGRITY, "'%s' is not a neo4j-backup manifest (no format '%s/N')",
                       where, MANIFEST_FORMAT_NAME);
        goto out;
    }
    major = strtol(format + prefix + 1, &end, 10);
    if (end == format + prefix + 1 || (*end && *end != '.') || major < 1) {
        err =
            nb_error(NB_ERR_INTEGRITY, "manifest '%s' has a malformed format '%s'", where, format);
        goto out;
    }
    if (major > MANIFEST_FORMAT_MAJOR) {
        err = nb_error(NB_ERR_INTEGRITY,
                       "manifest '%s' is of format '%s', newer than this tool reads (%s/%d): "
                       "restore it with a newer neo4j-restore",
                       where, format, MANIFEST_FORMAT_NAME, MANIFEST_FORMAT_MAJOR);
        goto out;
    }
    if (json_unpack_ex(root, &jerr, 0,
                       "{s:s, s:s, s:{s:s, s:I, s:s, s?s, s?o}, s?{s?I, s?I},"
                       " s?{s?s, s?s, s?s, s?s}, s?{s?s}, s?s}",
                       "database", &database, "timestamp", &timestamp, "archive", "name", &name,
                       "bytes", &bytes, "sha256", &sha, "compression", &compression, "encryption",
                       &encryption, "content", "bytes", &content_bytes, "files", &content_files,
                       "neo4j", "dialect", &dialect, "version", &version, "backup_type", &type,
                       "consistency", &consistency, "tool", "version", &tool_version, "created",
                       &created) != 0) {
        err = nb_error(NB_ERR_INTEGRITY, "manifest '%s' is incomplete: %s", where, jerr.text);
        goto out;
    }
    /* Range first: every later sum of these numbers stays far from 2^64. */
    if (bytes < 0 || (uint64_t)bytes > MANIFEST_MAX_SIZE ||
        (content_bytes != NOT_GIVEN &&
         (content_bytes < 0 || (uint64_t)content_bytes > MANIFEST_MAX_SIZE)) ||
        (content_files != NOT_GIVEN &&
         (content_files < 0 || (uint64_t)content_files > MANIFEST_MAX_FILES))) {
        err = nb_error(
            NB_ERR_INTEGRITY,
            "manifest '%s' holds numbers out of range (archive.bytes %lld, "
            "content.bytes %lld, content.files %lld; at most %llu bytes and %llu "
            "files): it is damaged or forged",
            where, (long long)bytes, (long long)(content_bytes == NOT_GIVEN ? 0 : content_bytes),
            (long long)(content_files == NOT_GIVEN ? 0 : content_files),
            (unsigned long long)MANIFEST_MAX_SIZE, (unsigned long long)MANIFEST_MAX_FILES);
        goto out;
    }
    if (!is_hex64(sha) || strchr(name, '/') || strlen(name) >= sizeof(m->archive_name) ||
        strlen(database) >= sizeof(m->database)) {
        err = nb_error(NB_ERR_INTEGRITY,
                       "manifest '%s' has a bad archive entry (name, bytes or sha256)", where);
        goto out;
    }
    if (encryption && !json_is_null(encryption)) {
        err = nb_error(NB_ERR_INTEGRITY,
                       "manifest '%s' names an encrypted archive, which this tool cannot read",
                       where);
        goto out;
    }
    if (strcmp(compression, "gzip") == 0) {
        m->compression = COMPRESSION_GZIP;
    } else if (strcmp(compression, "zstd") == 0) {
        m->compression = COMPRESSION_ZSTD;
    } else {
        err = nb_error(NB_ERR_INTEGRITY, "manifest '%s' names an unknown compression '%s'", where,
                       compression);
        goto out;
    }
    copy_str(m->database, sizeof(m->database), database);
    copy_str(m->timestamp, sizeof(m->timestamp), timestamp);
    copy_str(m->archive_name, sizeof(m->archive_name), name);
    copy_str(m->sha256, sizeof(m->sha256), sha);
    copy_str(m->dialect, sizeof(m->dialect), dialect);
    copy_str(m->neo4j_version, sizeof(m->neo4j_version), version);
    copy_str(m->backup_type, sizeof(m->backup_type), type);
    copy_str(m->consistency, sizeof(m->consistency), consistency);
    copy_str(m->tool_version, sizeof(m->tool_version), tool_version);
    copy_str(m->created, sizeof(m->created), created);
    m->archive_bytes = (uint64_t)bytes;
    m->have_content = content_bytes != NOT_GIVEN && content_files != NOT_GIVEN;
    m->content_bytes = content_bytes != NOT_GIVEN ? (uint64_t)content_bytes : 0;
    m->content_files = content_files != NOT_GIVEN ? (uint64_t)content_files : 0;
out:
    json_decref(root);
    return err;
}
