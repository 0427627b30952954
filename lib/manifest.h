/*
 * manifest.h: the JSON document written beside each archive (DESIGN
 * section 4). Readers ignore unknown fields; a newer major format is
 * refused with NB_ERR_INTEGRITY.
 */
#ifndef NB_MANIFEST_H
#define NB_MANIFEST_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "naming.h"

#define MANIFEST_FORMAT_NAME  "neo4j-backup-manifest"
#define MANIFEST_FORMAT_MAJOR 1
#define MANIFEST_MAX_BYTES    (64 * 1024)
/* The largest numbers a manifest may hold (1 EiB, 2^40 files): sums and
 * products of them (free space: bytes + files x 4 KiB) cannot overflow 64
 * bits. Larger ones are NB_ERR_INTEGRITY. */
#define MANIFEST_MAX_SIZE  (UINT64_C(1) << 60)
#define MANIFEST_MAX_FILES (UINT64_C(1) << 40)

struct manifest {
    char database[64];
    char timestamp[NAMING_TIMESTAMP_LEN + 1];
    char archive_name[256];
    uint64_t archive_bytes;
    char sha256[65];
    enum compression compression;
    uint64_t content_bytes;
    uint64_t content_files;
    bool have_content; /* content.bytes and content.files were both given */
    char dialect[8];   /* "4.4" or "5" */
    char neo4j_version[32];
    char backup_type[16]; /* FULL, INCREMENTAL, DIFF, AUTO */
    char consistency[8];  /* passed, failed, skipped */
    char tool_version[32];
    char created[24]; /* 2026-11-24T13:05:07Z */
};

/* Serialises m (indented JSON, trailing newline); *out is malloc'd. */
nb_err manifest_to_json(const struct manifest *m, char **out) NB_WARN_UNUSED;
/* Parses and validates; `where` names the object in error messages. */
nb_err manifest_parse(const char *json, size_t len, const char *where,
                      struct manifest *m) NB_WARN_UNUSED;

#endif
