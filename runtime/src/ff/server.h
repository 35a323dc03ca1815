/*
 * server.h - the HTTP server's internal state, shared by server.c (h2o setup, routing,
 * listening, shutdown) and invoke.c (the life of one invocation: admission, worker,
 * deadline, response). Everything here is touched on the event-loop thread only,
 * except what invoke.c marks as worker-side.
 */
#ifndef FF_SERVER_H
#define FF_SERVER_H

#include <h2o.h>
#include <stdatomic.h>

#include "config.h"
#include "linger.h"
#include "pool.h"
#include "request.h"

typedef struct ff_server ff_server;

/* Per-function admission state: at most max_concurrency running, max_queue waiting. */
typedef struct fn_state {
    const ff_function_def *def;
    size_t body_limit; /* max_body capped by --body-limit */
    h2o_timeout_t timeout;
    unsigned active;
    unsigned queued;
    h2o_linklist_t pending;
} fn_state;

typedef enum { INV_QUEUED, INV_RUNNING, INV_DONE } inv_state;

typedef struct invocation {
    h2o_multithread_message_t msg; /* worker -> loop "done" message */
    ff_request request;            /* read by the worker */
    ff_response response;          /* written by the worker */
    ff_server *srv;
    fn_state *fn;
    h2o_req_t *req;        /* NULL once h2o has disposed of the request */
    struct inv_slot *slot; /* lives in req's pool; points back here */
    h2o_timeout_entry_t deadline;
    h2o_linklist_t link; /* in fn->pending while QUEUED, in srv->running while RUNNING */
    inv_state state;
    int responded;
    uint64_t started_at; /* loop clock, ms */
} invocation;

struct ff_server {
    const ff_app *app;
    ff_config cfg;
    h2o_globalconf_t globalconf;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    h2o_evloop_t *loop;
    h2o_socket_t *listener;
    ff_linger linger; /* connections h2o closed while their client may still be sending */
    int listen_fd;    /* bound, not yet listening (until ff_server_listen); -1 after */
    int port;         /* the bound port (useful with --port 0) */
    h2o_multithread_queue_t *queue;
    h2o_multithread_receiver_t done_receiver;
    h2o_multithread_receiver_t signal_receiver;
    ff_pool *pool;
    h2o_timeout_t pool_flush; /* 0 ms: the end of the loop's iteration hands its jobs to the pool */
    h2o_timeout_entry_t pool_flush_entry;
    h2o_timeout_t pool_check; /* FF_POOL_BOUND_MS: while jobs wait, does the pool need a worker? */
    h2o_timeout_entry_t pool_check_entry;
    h2o_timeout_t pool_watch; /* FF_POOL_WATCH_MS: while jobs run, do their waits need a worker? */
    h2o_timeout_entry_t pool_watch_entry;
    fn_state *fns;
    size_t n_fns;
    h2o_linklist_t running;
    h2o_timeout_t client_check; /* while invocations run: has their client gone away? */
    h2o_timeout_entry_t client_check_entry;
    unsigned inflight; /* invocations not yet finished by their worker */
    int shutting_down;
    uint64_t grace_deadline;
};

/* server.c: sets up h2o and the workers, binds the port (connections refused until
 * ff_server_listen). Returns 0, or -1 with err. */
int ff_server_init(ff_server *srv, const ff_app *app, const ff_config *cfg, ff_error *err);
/* server.c: starts accepting connections on the bound port. Returns 0, or -1 with err. */
int ff_server_listen(ff_server *srv, ff_error *err);
/* server.c: stops accepting connections and asks open ones to close (shutdown, step 1). */
void ff_server_stop_accepting(ff_server *srv);
/* server.c: releases what ff_server_init set up; workers must be idle. */
void ff_server_dispose(ff_server *srv);

/* invoke.c: starts an invocation of fn for h2o request req (loop thread). */
void ff_invoke_start(ff_server *srv, fn_state *fn, h2o_req_t *req, const char *path, size_t path_len);
/* invoke.c: receiver callback for invocations finished by workers. */
void ff_invoke_on_done(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages);
/* invoke.c: timer callback that cancels running invocations whose client closed the connection. */
void ff_invoke_check_clients(h2o_timeout_entry_t *entry);
/* invoke.c: timer callbacks that flush the pool (see pool_flush, pool_check, pool_watch). */
void ff_invoke_flush_pool(h2o_timeout_entry_t *entry);
void ff_invoke_check_pool(h2o_timeout_entry_t *entry);
void ff_invoke_watch_pool(h2o_timeout_entry_t *entry);
/* invoke.c: sets the cancellation flag of every running invocation (shutdown). */
void ff_invoke_cancel_all(ff_server *srv);

/* server.c: sends a complete response on the loop thread, with CORS headers when enabled. */
void ff_server_respond(ff_server *srv, const ff_function_def *def, h2o_req_t *req, int status,
                       const ff_kv_list *headers, const char *body, size_t len);
/* server.c: writes the access-log line for a finished request. */
void ff_server_access_log(const ff_request *request, int status, uint64_t latency_ms);

#endif
