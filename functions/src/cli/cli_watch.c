/*
 * cli_watch.c - `functions watch-job PROJECT JOB [--timeout SECONDS]` follows a job:
 * a progress bar driven by progress.percentage with the current step and message,
 * then the final job and session documents. Exit 0 when the job completed, 1 when it
 * failed or was cancelled, 3 on timeout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "gcp/firestore.h"

static void draw(const json_t *job, int tty)
{
    const json_t *p = json_object_get(job, "progress");
    int pct = (int)json_number_value(json_object_get(p, "percentage"));
    const char *step = json_string_value(json_object_get(p, "currentStep"));
    const char *msg = json_string_value(json_object_get(p, "message"));
    const char *status = json_string_value(json_object_get(job, "status"));
    char bar[31];
    for (int i = 0; i < 30; i++)
        bar[i] = i < pct * 30 / 100 ? '#' : '.';
    bar[30] = '\0';
    printf("%s[%s] %3d%%  %-9s %-12s %s%s", tty ? "\r" : "", bar, pct, status ? status : "?",
           step ? step : "", msg ? msg : "", tty ? "\033[K" : "\n");
    fflush(stdout);
}

static void print_final(fs_db *db, const char *project, const json_t *job)
{
    printf("\njob:\n");
    cli_print_json(job);
    char path[1024];
    const char *session = json_string_value(json_object_get(job, "sessionId"));
    snprintf(path, sizeof(path), "projects/%s/sessions/%s", project, session ? session : "?");
    fs_doc *s = NULL;
    ff_error err = {0};
    if (fs_doc_get(db, path, NULL, &s, &err) == 0) {
        printf("session:\n");
        cli_print_json(s->fields);
        fs_doc_free(s);
    }
}

int cli_watch_job(int argc, char **argv)
{
    if (argc != 3 && !(argc == 5 && strcmp(argv[3], "--timeout") == 0)) {
        fputs("usage: functions watch-job PROJECT JOB [--timeout SECONDS]\n", stderr);
        return 2;
    }
    int64_t deadline = ff_now_mono_ms() + (argc == 5 ? atoll(argv[4]) : 120) * 1000;
    char path[1024];
    snprintf(path, sizeof(path), "projects/%s/jobs/%s", argv[1], argv[2]);
    ff_error err = {0};
    fs_db *db = fs_db_default(&err);
    if (db == NULL) {
        fprintf(stderr, "watch-job: %s\n", err.message);
        return 2;
    }
    int tty = isatty(STDOUT_FILENO);
    char last[FS_TIME_SIZE] = "";
    while (ff_now_mono_ms() < deadline) {
        fs_doc *doc = NULL;
        if (fs_doc_get(db, path, NULL, &doc, &err) == 0) {
            if (strcmp(doc->update_time, last) != 0)
                draw(doc->fields, tty);
            snprintf(last, sizeof(last), "%s", doc->update_time);
            const char *status = json_string_value(json_object_get(doc->fields, "status"));
            if (status && (strcmp(status, "completed") == 0 || strcmp(status, "failed") == 0 ||
                           strcmp(status, "cancelled") == 0)) {
                print_final(db, argv[1], doc->fields);
                int rc = strcmp(status, "completed") == 0 ? 0 : 1;
                fs_doc_free(doc);
                return rc;
            }
            fs_doc_free(doc);
        }
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "\nwatch-job: timed out\n");
    return 3;
}
