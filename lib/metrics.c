#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "http.h"
#include "log.h"

/* Every metric the programs publish, with its help text (DESIGN section 12). */
static const struct {
    const char *name;
    const char *help;
} known[] = {
    {"neo4j_backup_last_run_timestamp_seconds",
     "When the last backup run of the database started."},
    {"neo4j_backup_last_success_timestamp_seconds",
     "When the last successful backup of the database ended."},
    {"neo4j_backup_success", "1 when the last backup of the database succeeded, else 0."},
    {"neo4j_backup_exit_code", "Exit status of the last backup of the database (0: success)."},
    {"neo4j_backup_duration_seconds", "Duration of the last backup of the database."},
    {"neo4j_backup_archive_bytes", "Size of the archive the last backup uploaded."},
    {"neo4j_backup_content_bytes", "Bytes of the backup set the last archive holds."},
    {"neo4j_restore_success", "1 when the last restore of the database succeeded, else 0."},
    {"neo4j_restore_exit_code", "Exit status of the last restore of the database (0: success)."},
    {"neo4j_restore_duration_seconds", "Duration of the last restore of the database."},
    {"neo4j_restore_bytes", "Archive bytes the last restore of the database downloaded."},
    {"neo4j_restore_last_run_timestamp_seconds",
     "When the last restore run of the database started."},
    {"neo4j_verify_last_run_timestamp_seconds", "When the last verify of the database started."},
    {"neo4j_verify_last_success_timestamp_seconds",
     "When the last successful verify of the database ended."},
    {"neo4j_verify_success", "1 when the last verify of the database passed, else 0."},
    {"neo4j_verify_exit_code", "Exit status of the last verify of the database (0: passed)."},
    {"neo4j_verify_duration_seconds", "Duration of the last verify of the database."},
    {"neo4j_verify_deep", "1 when the last verify was a restore drill (--deep), else 0."},
};
#define N_KNOWN (sizeof(known) / sizeof(known[0]))

#define MAX_SAMPLES 512

struct sample {
    size_t metric; /* index in known[] */
    char database[64];
    double value;
};

static const char *job_name = "neo4j-backup";
static struct sample samples[MAX_SAMPLES];
static size_t n_samples;

void metrics_init(const char *job)
{
    job_name = job;
    n_samples = 0;
}

void metrics_set(const char *name, const char *database, double value)
{
    size_t m;

    for (m = 0; m < N_KNOWN && strcmp(known[m].name, name) != 0; m++)
        ;
    if (m == N_KNOWN)
        return;
    for (size_t i = 0; i < n_samples; i++) {
        if (samples[i].metric == m && strcmp(samples[i].database, database) == 0) {
            samples[i].value = value;
            return;
        }
    }
    if (n_samples == MAX_SAMPLES)
        return;
    samples[n_samples].metric = m;
    snprintf(samples[n_samples].database, sizeof(samples[n_samples].database), "%s", database);
    samples[n_samples].value = value;
    n_samples++;
}

/* Appends to a growing string; false when out of memory. */
static bool append(char **buf, size_t *len, size_t *cap, const char *text)
{
    size_t add = strlen(text);

    if (*len + add + 1 > *cap) {
        size_t want = (*cap ? *cap * 2 : 4096) + add;
        char *grown = realloc(*buf, want);
        if (!grown)
            return false;
        *buf = grown;
        *cap = want;
    }
    memcpy(*buf + *len, text, add + 1);
    *len += add;
    return true;
}

char *metrics_render(void)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    bool ok = append(&buf, &len, &cap, "");

    /* One family at a time: HELP, TYPE, then its samples. */
    for (size_t m = 0; ok && m < N_KNOWN; m++) {
        bool header = false;
        for (size_t i = 0; ok && i < n_samples; i++) {
            char line[512];
            if (samples[i].metric != m)
                continue;
            if (!header) {
                snprintf(line, sizeof(line), "# HELP %s %s\n# TYPE %s gauge\n", known[m].name,
                         known[m].help, known[m].name);
                ok = append(&buf, &len, &cap, line);
                header = true;
            }
            /* Database names hold no quote, backslash or newline (Neo4j's
             * rules, checked by config_databases). */
            /* Whole numbers (timestamps, bytes, codes) exactly; seconds
             * to the millisecond. */
            snprintf(line, sizeof(line),
                     samples[i].value == (double)(long long)samples[i].value
                         ? "%s{database=\"%s\"} %.0f\n"
                         : "%s{database=\"%s\"} %.3f\n",
                     known[m].name, samples[i].database, samples[i].value);
            ok = ok && append(&buf, &len, &cap, line);
        }
    }
    if (!ok) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void write_file(const char *path, const char *text)
{
    nb_err err = fsutil_write_durable(path, text);

    if (err)
        log_warn("unable to write the metrics file METRICS_FILE=%s: %s", path, nb_errmsg());
    else
        log_info("wrote %zu metric sample(s) to %s", n_samples, path);
}

static void push(const char *base, const char *text)
{
    struct http_retry_policy policy = {.max_retries = 2, .base = 0.25, .cap = 2, .budget = 5};
    struct http_client *client = NULL;
    struct http_response resp;
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: text/plain; version=0.0.4");
    char host[256] = "", url[2048], what[2100];
    const char *instance = getenv("POD_NAME");
    char *job = http_escape(job_name), *inst;
    size_t blen = strlen(base);
    nb_err err;

    if (!instance || !*instance) {
        if (gethostname(host, sizeof(host) - 1) != 0 || !host[0])
            snprintf(host, sizeof(host), "unknown");
        instance = host;
    }
    inst = http_escape(instance);
    while (blen && base[blen - 1] == '/')
        blen--;
    snprintf(url, sizeof(url), "%.*s/metrics/job/%s/instance/%s", (int)blen, base, job ? job : "",
             inst ? inst : "");
    snprintf(what, sizeof(what), "PUT %s", url);
    memset(&resp, 0, sizeof(resp));
    err = http_client_new(&client);
    if (!err) {
        struct http_request req = {.method = "PUT",
                                   .url = url,
                                   .what = what,
                                   .headers = headers,
                                   .body = text,
                                   .body_len = strlen(text)};
        err = http_call(client, &req, &policy, &resp);
    }
    if (err)
        log_warn("unable to push the metrics to the Pushgateway (PUSHGATEWAY_URL): %s; the run's "
                 "result is not affected",
                 nb_errmsg());
    else if (resp.status < 200 || resp.status > 299)
        log_warn("the Pushgateway refused the metrics (%s answered HTTP %ld: %.200s); the run's "
                 "result is not affected",
                 what, resp.status, resp.body ? resp.body : "");
    else
        log_info("pushed %zu metric sample(s) to %s", n_samples, url);
    http_response_free(&resp);
    http_client_free(client);
    curl_slist_free_all(headers);
    free(job);
    free(inst);
}

void metrics_publish(void)
{
    const char *file = getenv("METRICS_FILE");
    const char *gateway = getenv("PUSHGATEWAY_URL");
    char *text;

    if ((!file || !*file) && (!gateway || !*gateway))
        return;
    text = metrics_render();
    if (!text) {
        log_warn("unable to render the metrics: out of memory");
        return;
    }
    if (file && *file)
        write_file(file, text);
    if (gateway && *gateway)
        push(gateway, text);
    free(text);
}
