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

const char cli_watch_job_usage[] =
    "usage: functions watch-job PROJECT JOB [--timeout SECONDS]\n"
    "  Follows projects/PROJECT/jobs/JOB with a progress bar until it is terminal (SECONDS: 120),\n"
    "  then prints the job and its session. Exit 0 completed, 1 failed or cancelled, 3 timed out.\n"
    "  Firestore: FIRESTORE_EMULATOR_HOST, GOOGLE_CLOUD_PROJECT.\n";

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

/* Parses PROJECT JOB [--timeout SECONDS]; 0, or the exit status of bad usage. */
static int parse(int argc, char **argv, const char **project, const char **job, long long *timeout_s)
{
    *project = *job = NULL;
    *timeout_s = 120;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--timeout") == 0) {
            char *end;
            if (i + 1 >= argc || (*timeout_s = strtoll(argv[++i], &end, 10)) <= 0 || *end != '\0')
                return cli_bad_usage("watch-job", "--timeout needs a number of seconds", NULL);
        } else if (argv[i][0] == '-') {
            return cli_bad_usage("watch-job", "unknown flag", argv[i]);
        } else if (*project == NULL) {
            *project = argv[i];
        } else if (*job == NULL) {
            *job = argv[i];
        } else {
            return cli_bad_usage("watch-job", "unexpected argument", argv[i]);
        }
    }
    return *job == NULL ? cli_bad_usage("watch-job", "PROJECT and JOB are required", NULL) : 0;
}

int cli_watch_job(const ff_app *app, int argc, char **argv)
{
    const char *project, *job;
    long long timeout_s;
    int bad = parse(argc, argv, &project, &job, &timeout_s);
    if (bad != 0)
        return bad;
    int64_t deadline = ff_now_mono_ms() + (int64_t)timeout_s * 1000;
    char path[1024];
    snprintf(path, sizeof(path), "projects/%s/jobs/%s", project, job);
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
            ff_strlcpy(last, sizeof(last), doc->update_time);
            const char *status = json_string_value(json_object_get(doc->fields, "status"));
            if (status && (strcmp(status, "completed") == 0 || strcmp(status, "failed") == 0 ||
                           strcmp(status, "cancelled") == 0)) {
                print_final(db, project, doc->fields);
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
