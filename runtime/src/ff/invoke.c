/*
 * invoke.c - the life of one invocation.
 *
 *   arrival (loop) -> admitted: RUNNING on a worker | QUEUED | 429 when the queue is full
 *   worker runs the handler -> "done" message -> loop sends the response, frees
 *   deadline (loop) -> 504 now, cancellation flag set; the late response is dropped
 *   client gone (h2o disposes the request) -> cancellation flag set; dropped when done
 *
 * The invocation is freed on the loop thread only, once no worker holds it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "server.h"

/* Allocated in the h2o request's pool; its dispose hook tells us the request is gone. */
typedef struct inv_slot {
    invocation *inv;
} inv_slot;

static void dispatch(invocation *inv);

static void inv_free(invocation *inv)
{
    if (h2o_timeout_is_linked(&inv->deadline))
        h2o_timeout_unlink(&inv->deadline);
    if (inv->slot != NULL)
        inv->slot->inv = NULL;
    ff_request_dispose(&inv->request);
    ff_response_dispose(&inv->response);
    free(inv);
}

static void respond(invocation *inv, int status, const ff_kv_list *headers, const char *body, size_t len)
{
    inv->responded = 1;
    uint64_t latency = h2o_now(inv->srv->loop) - inv->started_at;
    ff_server_access_log(&inv->request, status, latency);
    if (inv->req != NULL)
        ff_server_respond(inv->srv, inv->fn->def, inv->req, status, headers, body, len);
}

static void respond_error(invocation *inv, int status, const char *text)
{
    ff_kv_list headers = {0};
    ff_kv_add(&headers, "content-type", 12, "text/plain; charset=utf-8", 25);
    respond(inv, status, &headers, text, strlen(text));
    ff_kv_free(&headers);
}

/* Starts queued invocations while the function has free slots. */
static void drain_pending(fn_state *fn)
{
    while (fn->active < fn->def->max_concurrency && !h2o_linklist_is_empty(&fn->pending)) {
        invocation *inv = H2O_STRUCT_FROM_MEMBER(invocation, link, fn->pending.next);
        h2o_linklist_unlink(&inv->link);
        fn->queued--;
        dispatch(inv);
    }
}

static void on_request_disposed(void *p)
{
    inv_slot *slot = p;
    invocation *inv = slot->inv;
    if (inv == NULL)
        return;
    inv->slot = NULL;
    inv->req = NULL;
    ff_request_cancel(&inv->request);
    if (inv->state == INV_QUEUED) {
        h2o_linklist_unlink(&inv->link);
        inv->fn->queued--;
        inv->srv->inflight--;
        inv_free(inv);
    }
}

static void on_deadline(h2o_timeout_entry_t *entry)
{
    invocation *inv = H2O_STRUCT_FROM_MEMBER(invocation, deadline, entry);
    ff_request_cancel(&inv->request);
    if (!inv->responded) {
        ff_log(&inv->request, FF_WARNING,
               json_pack("{s:I}", "timeoutSeconds", (json_int_t)inv->fn->def->timeout_s),
               "function timed out; answering 504 and cancelling the invocation");
        respond_error(inv, 504, "Gateway Timeout\n");
    }
    if (inv->state == INV_QUEUED) {
        h2o_linklist_unlink(&inv->link);
        inv->fn->queued--;
        inv->srv->inflight--;
        inv_free(inv);
    }
}

/* ---- worker side ----------------------------------------------------------------- */

static void run_on_worker(void *arg)
{
    invocation *inv = arg;
    ff_run_handler(inv->fn->def, &inv->request, &inv->response);
    h2o_multithread_send_message(&inv->srv->done_receiver, &inv->msg);
}

/* ---- loop side --------------------------------------------------------------------- */

/*
 * 1 if the client of req closed its connection. h2o does not read an HTTP/1 socket
 * while a request is processed, so it would only notice when writing the response.
 */
static int client_gone(h2o_req_t *req)
{
    h2o_socket_t *(*get_socket)(h2o_conn_t *) = req->conn->callbacks->get_socket;
    h2o_socket_t *sock = get_socket != NULL ? get_socket(req->conn) : NULL;
    if (sock == NULL)
        return 0;
    char c;
    ssize_t n = recv(h2o_socket_get_fd(sock), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

void ff_invoke_check_clients(h2o_timeout_entry_t *entry)
{
    ff_server *srv = H2O_STRUCT_FROM_MEMBER(ff_server, client_check_entry, entry);
    for (h2o_linklist_t *l = srv->running.next; l != &srv->running; l = l->next) {
        invocation *inv = H2O_STRUCT_FROM_MEMBER(invocation, link, l);
        if (inv->req != NULL && !atomic_load(&inv->request.cancelled) && client_gone(inv->req))
            ff_request_cancel(&inv->request);
    }
    if (!h2o_linklist_is_empty(&srv->running))
        h2o_timeout_link(srv->loop, &srv->client_check, entry);
}

/*
 * Hands the jobs submitted during this iteration to the pool, and checks again every
 * FF_POOL_BOUND_MS while some wait, so that a blocked worker holds them up no longer,
 * and every FF_POOL_WATCH_MS while any is in flight, so that no blocked worker holds up
 * the invocations suspended in their waits.
 */
static void flush_pool(ff_server *srv)
{
    if (ff_pool_flush(srv->pool) > 0) {
        if (!h2o_timeout_is_linked(&srv->pool_check_entry))
            h2o_timeout_link(srv->loop, &srv->pool_check, &srv->pool_check_entry);
    } else if (ff_pool_in_flight(srv->pool) > 0 && !h2o_timeout_is_linked(&srv->pool_watch_entry)) {
        h2o_timeout_link(srv->loop, &srv->pool_watch, &srv->pool_watch_entry);
    }
}

void ff_invoke_flush_pool(h2o_timeout_entry_t *entry)
{
    flush_pool(H2O_STRUCT_FROM_MEMBER(ff_server, pool_flush_entry, entry));
}

void ff_invoke_check_pool(h2o_timeout_entry_t *entry)
{
    flush_pool(H2O_STRUCT_FROM_MEMBER(ff_server, pool_check_entry, entry));
}

void ff_invoke_watch_pool(h2o_timeout_entry_t *entry)
{
    flush_pool(H2O_STRUCT_FROM_MEMBER(ff_server, pool_watch_entry, entry));
}

static void dispatch(invocation *inv)
{
    inv->state = INV_RUNNING;
    inv->fn->active++;
    h2o_linklist_insert(&inv->srv->running, &inv->link);
    if (!h2o_timeout_is_linked(&inv->srv->client_check_entry))
        h2o_timeout_link(inv->srv->loop, &inv->srv->client_check, &inv->srv->client_check_entry);
    if (inv->srv->shutting_down)
        ff_request_cancel(&inv->request);
    if (ff_pool_submit(inv->srv->pool, run_on_worker, inv) != 0) {
        h2o_linklist_unlink(&inv->link);
        inv->fn->active--;
        inv->srv->inflight--;
        respond_error(inv, 503, "Service Unavailable\n");
        inv_free(inv);
        return;
    }
    /* a 0 ms timer runs once the loop has handled this iteration's events */
    if (!h2o_timeout_is_linked(&inv->srv->pool_flush_entry))
        h2o_timeout_link(inv->srv->loop, &inv->srv->pool_flush, &inv->srv->pool_flush_entry);
}

static void finish(invocation *inv)
{
    inv->state = INV_DONE;
    h2o_linklist_unlink(&inv->link);
    inv->fn->active--;
    inv->srv->inflight--;
    /* The worker can see the deadline pass a moment before the loop's timer fires: the
     * handler overran all the same, so answer 504 and drop its response. */
    if (!inv->responded && ff_req_remaining_ms(&inv->request) <= 0)
        on_deadline(&inv->deadline);
    if (inv->responded) {
        ff_log(&inv->request, FF_WARNING, json_pack("{s:i}", "status", inv->response.status),
               "late response dropped: the request was already answered (timeout)");
    } else if (inv->req == NULL) {
        ff_log(&inv->request, FF_INFO, json_pack("{s:i}", "status", inv->response.status),
               "response dropped: the client went away");
    } else {
        respond(inv, inv->response.status, &inv->response.headers, inv->response.body,
                inv->response.body_len);
    }
    fn_state *fn = inv->fn;
    inv_free(inv);
    drain_pending(fn);
}

void ff_invoke_on_done(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    while (!h2o_linklist_is_empty(messages)) {
        h2o_multithread_message_t *msg =
            H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
        h2o_linklist_unlink(&msg->link);
        finish((invocation *)msg);
    }
}

/* Copies what the handler may read out of h2o's request. Returns NULL when out of memory. */
static invocation *inv_new(ff_server *srv, fn_state *fn, h2o_req_t *req, const char *path, size_t path_len)
{
    invocation *inv = calloc(1, sizeof(*inv));
    if (inv == NULL)
        return NULL;
    inv->srv = srv;
    inv->fn = fn;
    size_t qlen = req->query_at != SIZE_MAX ? req->path.len - req->query_at : 0;
    char *target = malloc(path_len + qlen + 1);
    if (target == NULL) {
        free(inv);
        return NULL;
    }
    memcpy(target, path, path_len);
    if (qlen)
        memcpy(target + path_len, req->path.base + req->query_at, qlen);
    int rc =
        ff_request_init(&inv->request, req->method.base, req->method.len, target, path_len + qlen,
                        req->entity.base ? req->entity.base : "", req->entity.base ? req->entity.len : 0);
    free(target);
    for (size_t i = 0; rc == 0 && i < req->headers.size; i++) {
        const h2o_header_t *h = &req->headers.entries[i];
        rc = ff_kv_add(&inv->request.headers, h->name->base, h->name->len, h->value.base, h->value.len);
    }
    ff_response_init(&inv->response);
    if (rc != 0) {
        inv_free(inv);
        return NULL;
    }
    inv->request.url = strndup(req->path.base, req->path.len);
    ff_request_parse_trace(&inv->request);
    inv->request.function = fn->def->name;
    inv->request.userdata = fn->def->userdata;
    inv->request.deadline_ms = ff_now_mono_ms() + (int64_t)fn->def->timeout_s * 1000;
    return inv;
}

void ff_invoke_start(ff_server *srv, fn_state *fn, h2o_req_t *req, const char *path, size_t path_len)
{
    invocation *inv = inv_new(srv, fn, req, path, path_len);
    if (inv == NULL) {
        ff_server_respond(srv, fn->def, req, 503, NULL, "Service Unavailable\n", 20);
        return;
    }
    inv->started_at = h2o_now(srv->loop);
    if (fn->active >= fn->def->max_concurrency && fn->queued >= fn->def->max_queue) {
        ff_log(&inv->request, FF_WARNING, json_pack("{s:i}", "maxConcurrency", fn->def->max_concurrency),
               "too many requests: concurrency limit and queue are full");
        inv->req = req;
        respond_error(inv, 429, "Too Many Requests\n");
        inv->req = NULL;
        inv_free(inv);
        return;
    }
    inv->req = req;
    inv->slot = h2o_mem_alloc_shared(&req->pool, sizeof(inv_slot), on_request_disposed);
    inv->slot->inv = inv;
    inv->deadline.cb = on_deadline;
    h2o_timeout_link(srv->loop, &fn->timeout, &inv->deadline);
    srv->inflight++;
    if (fn->active < fn->def->max_concurrency) {
        dispatch(inv);
    } else {
        inv->state = INV_QUEUED;
        fn->queued++;
        h2o_linklist_insert(&fn->pending, &inv->link);
    }
}

void ff_invoke_cancel_all(ff_server *srv)
{
    for (h2o_linklist_t *l = srv->running.next; l != &srv->running; l = l->next)
        ff_request_cancel(&H2O_STRUCT_FROM_MEMBER(invocation, link, l)->request);
}
