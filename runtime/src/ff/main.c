/*
 * main.c - ff_main: configuration, --list/--help, signals, the event loop, and the
 * graceful shutdown sequence:
 *   SIGTERM/SIGINT -> stop accepting, close idle connections, set every running
 *   invocation's cancellation flag -> wait for in-flight invocations up to the grace
 *   period -> flush responses -> exit 0.
 * When the grace period ends with invocations still running, nothing they may touch is
 * freed (server, function definitions, app): the process exits around them.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash.h"
#include "log.h"
#include "server.h"

/* The signal thread owns SIGTERM/SIGINT (blocked everywhere else) and forwards them. */
typedef struct {
    ff_server *srv;
    h2o_multithread_message_t msg;
    sigset_t set;
} signal_ctx;

static void *signal_thread(void *arg)
{
    signal_ctx *sc = arg;
    ff_crash_prepare(); /* here, beside the loop serving the first request */
    int sig = 0;
    sigwait(&sc->set, &sig);
    h2o_multithread_send_message(&sc->srv->signal_receiver, &sc->msg);
    return NULL;
}

static void on_signal(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    ff_server *srv = H2O_STRUCT_FROM_MEMBER(ff_server, signal_receiver, receiver);
    while (!h2o_linklist_is_empty(messages))
        h2o_linklist_unlink(messages->next);
    if (srv->shutting_down)
        return;
    srv->shutting_down = 1;
    srv->grace_deadline = h2o_now(srv->loop) + (uint64_t)srv->cfg.grace_s * 1000;
    ff_log(NULL, FF_INFO,
           json_pack("{s:i, s:i}", "inflight", srv->inflight, "graceSeconds", srv->cfg.grace_s),
           "shutdown requested: draining in-flight invocations");
    ff_server_stop_accepting(srv);
    ff_invoke_cancel_all(srv);
}

static void print_list(const ff_app *app)
{
    for (size_t i = 0; i < ff_app_count(app); i++) {
        const ff_function_def *d = ff_app_at(app, i);
        printf("%s\t%s\ttimeout=%us\tconcurrency=%u\tqueue=%u\tcors=%s\n", d->name,
               ff_signature_name(d->signature), d->timeout_s, d->max_concurrency, d->max_queue,
               d->cors ? "on" : "off");
    }
}

static void log_serving(const ff_server *srv)
{
    json_t *fns = json_array();
    for (size_t i = 0; i < srv->n_fns; i++)
        json_array_append_new(fns, json_string(srv->fns[i].def->name));
    ff_log(NULL, FF_INFO,
           json_pack("{s:i, s:o, s:s}", "port", srv->port, "functions", fns, "mode",
                     srv->cfg.target[0] ? "target" : "all-functions"),
           "serving on port %d", srv->port);
}

static int g_port;
static int g_all_mode;

int ff_listen_port(void)
{
    return g_port;
}

int ff_all_functions_mode(void)
{
    return g_all_mode;
}

/* Runs each served function's start-up check. */
static int init_functions(ff_server *srv, ff_error *err)
{
    g_port = srv->port;
    g_all_mode = srv->cfg.target[0] == '\0';
    for (size_t i = 0; i < srv->n_fns; i++) {
        const ff_function_def *d = srv->fns[i].def;
        if (d->init != NULL && d->init(d->userdata, err) != 0) {
            char reason[sizeof(err->message)];
            ff_strlcpy(reason, sizeof(reason), err->message);
            return ff_error_set(err, -1, "%s: %s", d->name, reason);
        }
    }
    return 0;
}

/* Runs the loop until shutdown has drained (or the grace period ran out). */
static void run_loop(ff_server *srv)
{
    while (!srv->shutting_down || (srv->inflight > 0 && h2o_now(srv->loop) < srv->grace_deadline))
        h2o_evloop_run(srv->loop, srv->shutting_down ? 50 : INT32_MAX);
    if (srv->inflight > 0)
        ff_log(NULL, FF_WARNING, json_pack("{s:i}", "inflight", srv->inflight),
               "grace period over with invocations still running; exiting");
    /* Give the last responses a moment to reach their sockets. */
    uint64_t flush_until = h2o_now(srv->loop) + 200;
    while (h2o_now(srv->loop) < flush_until)
        h2o_evloop_run(srv->loop, 20);
}

int ff_main(ff_app *app, int argc, char **argv)
{
    ff_config cfg;
    ff_error err = {0};
    ff_log_configure_from_env();
    if (ff_config_parse(&cfg, argc, argv, NULL, &err) != 0 ||
        (!cfg.help && !cfg.list && ff_config_check(&cfg, app, &err) != 0)) {
        fprintf(stderr, "functions: %s\n", err.message);
        return 2;
    }
    if (cfg.help) {
        fputs(ff_config_usage(), stdout);
        return 0;
    }
    if (cfg.list) {
        print_list(app);
        return 0;
    }
    signal_ctx sc = {0};
    sigemptyset(&sc.set);
    sigaddset(&sc.set, SIGTERM);
    sigaddset(&sc.set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sc.set, NULL); /* before any thread starts, so all inherit it */
    signal(SIGPIPE, SIG_IGN);

    const char *registered = ff_config_signature_conflict(&cfg, app);
    if (registered != NULL)
        ff_log(
            NULL, FF_WARNING,
            json_pack("{s:s, s:s}", "configured", ff_signature_name(cfg.signature), "registered", registered),
            "signature type %s from flags or environment ignored: function '%s' is registered as %s",
            ff_signature_name(cfg.signature), cfg.target, registered);
    ff_crash_install();

    static ff_server srv;
    if (ff_server_init(&srv, app, &cfg, &err) != 0) {
        fprintf(stderr, "functions: %s\n", err.message);
        return 2;
    }
    /* Warm-up before listen: Cloud Run's startup probe passes once the port accepts. */
    if (init_functions(&srv, &err) != 0 || ff_server_listen(&srv, &err) != 0) {
        fprintf(stderr, "functions: %s\n", err.message);
        return 2;
    }
    sc.srv = &srv;
    h2o_multithread_register_receiver(srv.queue, &srv.signal_receiver, on_signal);
    pthread_t tid;
    pthread_create(&tid, NULL, signal_thread, &sc);
    log_serving(&srv);
    run_loop(&srv);
    int drained = srv.inflight == 0;
    pthread_join(tid, NULL);
    if (drained)
        ff_server_dispose(&srv);
    ff_log(NULL, FF_INFO, NULL, "shutdown complete");
    if (!drained) {
        /* Handlers still run on the workers: exit's atexit handlers and the libraries'
         * destructors would free what they use under them. */
        fflush(NULL);
        _exit(0);
    }
    return 0;
}
