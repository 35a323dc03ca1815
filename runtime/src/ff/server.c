/*
 * server.c - the HTTP side of the Functions Framework on libh2o: listening, routing a
 * request to its function (FUNCTION_TARGET, or every function at /{name} and at the
 * Firebase emulator form /{project}/{region}/{name}), request-level refusals (body
 * limits, conflicting Content-Length), CORS, writing responses, the access log, and
 * graceful shutdown on SIGTERM/SIGINT. Closed connections linger (linger.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "server.h"

typedef struct {
    h2o_handler_t super;
    ff_server *srv;
} ff_handler;

/* ---- responses ----------------------------------------------------------------------- */

static void add_header(h2o_req_t *req, const char *name, const char *value, size_t value_len)
{
    size_t nlen = strlen(name);
    char *lower = h2o_mem_alloc_pool(&req->pool, nlen);
    for (size_t i = 0; i < nlen; i++)
        lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
    h2o_iovec_t v = h2o_strdup(&req->pool, value, value_len);
    h2o_add_header_by_str(&req->pool, &req->res.headers, lower, nlen, 1, NULL, v.base, v.len);
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return status < 400 ? "OK" : "Error";
    }
}

static void add_cors(const ff_function_def *def, h2o_req_t *req)
{
    if (def == NULL || !def->cors)
        return;
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("origin"), -1);
    if (i < 0)
        return;
    h2o_iovec_t origin = req->headers.entries[i].value;
    add_header(req, "access-control-allow-origin", origin.base, origin.len);
    add_header(req, "vary", "Origin", 6);
}

void ff_server_respond(ff_server *srv, const ff_function_def *def, h2o_req_t *req, int status,
                       const ff_kv_list *headers, const char *body, size_t len)
{
    (void)srv;
    req->res.status = status;
    req->res.reason = reason_phrase(status);
    req->res.content_length = len;
    for (size_t i = 0; headers && i < headers->len; i++)
        add_header(req, headers->items[i].name, headers->items[i].value, strlen(headers->items[i].value));
    add_cors(def, req);
    h2o_send_inline(req, body, len);
}

void ff_server_access_log(const ff_request *request, int status, uint64_t latency_ms)
{
    ff_severity sev = status >= 500 ? FF_ERROR : status >= 400 ? FF_WARNING : FF_INFO;
    const char *url = request->url ? request->url : request->path;
    ff_log_http http = {request->method, url, status, latency_ms};
    ff_log_request(request, sev, &http, "%s %s %d %llums", request->method, url, status,
                   (unsigned long long)latency_ms);
}

/* Answers on the loop thread, without an invocation (404s, preflight). */
static void respond_plain(ff_server *srv, const ff_function_def *def, h2o_req_t *req, int status,
                          const char *text)
{
    ff_request r = {0};
    char method[16], path[512];
    snprintf(method, sizeof(method), "%.*s", (int)req->method.len, req->method.base);
    snprintf(path, sizeof(path), "%.*s", (int)req->path.len, req->path.base);
    r.method = method;
    r.path = path;
    r.function = def ? def->name : NULL;
    ff_server_access_log(&r, status, 0);
    ff_kv_list headers = {0};
    if (*text)
        ff_kv_add(&headers, "content-type", 12, "text/plain; charset=utf-8", 25);
    ff_server_respond(srv, def, req, status, &headers, text, strlen(text));
    ff_kv_free(&headers);
}

/* ---- routing --------------------------------------------------------------------------- */

static fn_state *find_fn(ff_server *srv, const char *name, size_t len)
{
    for (size_t i = 0; i < srv->n_fns; i++)
        if (strlen(srv->fns[i].def->name) == len && memcmp(srv->fns[i].def->name, name, len) == 0)
            return &srv->fns[i];
    return NULL;
}

/* Length of the path segment starting at p (after its leading '/'). */
static size_t segment(const char *p, const char *end)
{
    const char *s = p;
    while (s < end && *s != '/')
        s++;
    return (size_t)(s - p);
}

/*
 * All-functions mode: "/{fn}[/rest]" or "/{project}/{region}/{fn}[/rest]". On a match
 * *rest points at the remaining path ("" when none).
 */
static fn_state *route_all(ff_server *srv, const char *path, size_t len, const char **rest)
{
    const char *end = path + len, *p = path + 1;
    if (len < 2)
        return NULL;
    size_t s1 = segment(p, end);
    fn_state *fn = find_fn(srv, p, s1);
    if (fn != NULL) {
        *rest = p + s1;
        return fn;
    }
    const char *p2 = p + s1 + 1;
    if (p2 >= end)
        return NULL;
    const char *p3 = p2 + segment(p2, end) + 1;
    if (p3 >= end)
        return NULL;
    size_t s3 = segment(p3, end);
    fn = find_fn(srv, p3, s3);
    if (fn != NULL)
        *rest = p3 + s3;
    return fn;
}

static int is_preflight(h2o_req_t *req)
{
    return h2o_memis(req->method.base, req->method.len, H2O_STRLIT("OPTIONS")) &&
           h2o_find_header_by_str(&req->headers, H2O_STRLIT("origin"), -1) >= 0 &&
           h2o_find_header_by_str(&req->headers, H2O_STRLIT("access-control-request-method"), -1) >= 0;
}

static void answer_preflight(ff_server *srv, const ff_function_def *def, h2o_req_t *req)
{
    ssize_t m = h2o_find_header_by_str(&req->headers, H2O_STRLIT("access-control-request-method"), -1);
    ssize_t h = h2o_find_header_by_str(&req->headers, H2O_STRLIT("access-control-request-headers"), -1);
    (void)m;
    add_header(req, "access-control-allow-methods", H2O_STRLIT("GET,HEAD,PUT,PATCH,POST,DELETE"));
    if (h >= 0)
        add_header(req, "access-control-allow-headers", req->headers.entries[h].value.base,
                   req->headers.entries[h].value.len);
    add_header(req, "access-control-max-age", H2O_STRLIT("3600"));
    add_header(req, "vary", H2O_STRLIT("Access-Control-Request-Headers"));
    respond_plain(srv, def, req, 204, "");
}

/* The raw HTTP/1 request head, which h2o keeps at the start of the socket's input buffer
 * until the response is sent. */
static h2o_iovec_t raw_head(h2o_req_t *req)
{
    h2o_socket_t *(*get_socket)(h2o_conn_t *) = req->conn->callbacks->get_socket;
    h2o_socket_t *sock = get_socket != NULL && req->version < 0x200 ? get_socket(req->conn) : NULL;
    if (sock == NULL || sock->input == NULL)
        return h2o_iovec_init(NULL, 0);
    const char *end = memmem(sock->input->bytes, sock->input->size, "\r\n\r\n", 4);
    return h2o_iovec_init(sock->input->bytes, end ? (size_t)(end - sock->input->bytes) : 0);
}

/*
 * 1 when the request carries Content-Length headers with different values. h2o frames
 * the body by the first one and drops the others, which a proxy reading another one
 * would frame differently (request smuggling): refuse those requests outright.
 */
static int conflicting_content_length(h2o_req_t *req)
{
    h2o_iovec_t head = raw_head(req);
    const char *first = NULL, *p = head.base, *end = head.base + head.len;
    size_t first_len = 0;
    while (p != NULL && p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = eol ? eol : end;
        if ((size_t)(line_end - p) > 15 && strncasecmp(p, "content-length:", 15) == 0) {
            const char *v = p + 15, *ve = line_end;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'))
                ve--;
            if (first == NULL) {
                first = v;
                first_len = (size_t)(ve - v);
            } else if ((size_t)(ve - v) != first_len || memcmp(v, first, first_len) != 0) {
                return 1;
            }
        }
        p = eol ? eol + 1 : NULL;
    }
    return 0;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    ff_server *srv = ((ff_handler *)self)->srv;
    size_t plen = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    const char *path = req->path.base;
    if (h2o_memis(path, plen, H2O_STRLIT("/robots.txt")) ||
        h2o_memis(path, plen, H2O_STRLIT("/favicon.ico"))) {
        respond_plain(srv, NULL, req, 404, "Not Found\n");
        return 0;
    }
    fn_state *fn;
    const char *rest = path;
    if (srv->cfg.target[0] != '\0') {
        fn = &srv->fns[0];
    } else if ((fn = route_all(srv, path, plen, &rest)) == NULL) {
        respond_plain(srv, NULL, req, 404, "Not Found: no such function\n");
        return 0;
    }
    if (conflicting_content_length(req)) {
        req->http1_is_persistent = 0;
        respond_plain(srv, fn->def, req, 400, "Bad Request: conflicting Content-Length headers\n");
        return 0;
    }
    if (fn->def->cors && is_preflight(req)) {
        answer_preflight(srv, fn->def, req);
        return 0;
    }
    if (req->entity.base != NULL && req->entity.len > fn->body_limit) {
        /* all-functions mode only: h2o's limit is the largest of the served functions' */
        req->http1_is_persistent = 0;
        respond_plain(srv, fn->def, req, 413, "Payload Too Large\n");
        return 0;
    }
    size_t rest_len = plen - (size_t)(rest - path);
    ff_invoke_start(srv, fn, req, rest_len ? rest : "/", rest_len ? rest_len : 1);
    return 0;
}

/* ---- setup ------------------------------------------------------------------------------ */

static void on_accept(h2o_socket_t *listener, const char *err)
{
    ff_server *srv = listener->data;
    if (err != NULL)
        return;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock == NULL)
        return;
    ff_linger_watch(&srv->linger, sock);
    h2o_accept(&srv->accept_ctx, sock);
}

/*
 * Binds the port without listening: the port number is known (--port 0, the task URL
 * the functions derive from it) while connections are still refused, so the platform's
 * TCP startup probe waits for the functions' init hooks (warm-up).
 */
static int bind_port(ff_server *srv, ff_error *err)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv->cfg.port)};
    if (inet_pton(AF_INET, srv->cfg.host, &addr.sin_addr) != 1)
        return ff_error_set(err, -1, "invalid listen address '%s'", srv->cfg.host);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1;
    if (fd < 0)
        return ff_error_set(err, -1, "socket: %s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        int e = errno;
        close(fd);
        return ff_error_set(err, -1, "cannot listen on %s:%d: %s", srv->cfg.host, srv->cfg.port, strerror(e));
    }
    socklen_t alen = sizeof(addr);
    getsockname(fd, (struct sockaddr *)&addr, &alen);
    srv->port = ntohs(addr.sin_port);
    srv->listen_fd = fd;
    return 0;
}

int ff_server_listen(ff_server *srv, ff_error *err)
{
    if (listen(srv->listen_fd, SOMAXCONN) != 0)
        return ff_error_set(err, -1, "cannot listen on %s:%d: %s", srv->cfg.host, srv->port, strerror(errno));
    srv->listener = h2o_evloop_socket_create(srv->loop, srv->listen_fd, H2O_SOCKET_FLAG_DONT_READ);
    srv->listen_fd = -1;
    srv->listener->data = srv;
    h2o_socket_read_start(srv->listener, on_accept);
    return 0;
}

int ff_server_init(ff_server *srv, const ff_app *app, const ff_config *cfg, ff_error *err)
{
    memset(srv, 0, sizeof(*srv));
    srv->listen_fd = -1;
    srv->app = app;
    srv->cfg = *cfg;
    h2o_config_init(&srv->globalconf);
    srv->globalconf.server_name = h2o_iovec_init(H2O_STRLIT("ff"));
    srv->globalconf.http1.upgrade_to_http2 = cfg->http2_cleartext; /* h2c: Upgrade and prior knowledge */
    h2o_hostconf_t *host =
        h2o_config_register_host(&srv->globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *pathconf = h2o_config_register_path(host, "/", 0);
    ff_handler *handler = (ff_handler *)h2o_create_handler(pathconf, sizeof(*handler));
    handler->super.on_req = on_req;
    handler->srv = srv;

    srv->loop = h2o_evloop_create();
    ff_linger_init(&srv->linger, srv->loop);
    h2o_context_init(&srv->ctx, srv->loop, &srv->globalconf);
    srv->accept_ctx.ctx = &srv->ctx;
    srv->accept_ctx.hosts = srv->globalconf.hosts;
    h2o_linklist_init_anchor(&srv->running);
    h2o_timeout_init(srv->loop, &srv->client_check, 100);
    srv->client_check_entry.cb = ff_invoke_check_clients;

    size_t n = cfg->target[0] ? 1 : ff_app_count(app);
    srv->fns = calloc(n, sizeof(fn_state));
    unsigned threads = 0;
    size_t entity_limit = 0;
    for (size_t i = 0; i < n; i++) {
        fn_state *fn = &srv->fns[i];
        fn->def = cfg->target[0] ? ff_app_find(app, cfg->target) : ff_app_at(app, i);
        fn->body_limit =
            fn->def->max_body && fn->def->max_body < cfg->body_limit ? fn->def->max_body : cfg->body_limit;
        if (fn->body_limit > entity_limit)
            entity_limit = fn->body_limit;
        h2o_linklist_init_anchor(&fn->pending);
        h2o_timeout_init(srv->loop, &fn->timeout, (uint64_t)fn->def->timeout_s * 1000);
        threads += fn->def->max_concurrency;
    }
    srv->n_fns = n;
    /* h2o refuses a larger Content-Length before reading the body and cuts a chunked body
     * at this size: with a target that is exactly the function's own limit. */
    srv->globalconf.max_request_entity_size = entity_limit;
    srv->pool = ff_pool_new(threads < 1024 ? threads : 1024);
    /* initialized after the functions' deadline timers, so that the loop runs it after them */
    h2o_timeout_init(srv->loop, &srv->pool_flush, 0);
    srv->pool_flush_entry.cb = ff_invoke_flush_pool;
    h2o_timeout_init(srv->loop, &srv->pool_check, FF_POOL_BOUND_MS);
    srv->pool_check_entry.cb = ff_invoke_check_pool;
    h2o_timeout_init(srv->loop, &srv->pool_watch, FF_POOL_WATCH_MS);
    srv->pool_watch_entry.cb = ff_invoke_watch_pool;
    srv->queue = h2o_multithread_create_queue(srv->loop);
    h2o_multithread_register_receiver(srv->queue, &srv->done_receiver, ff_invoke_on_done);
    return bind_port(srv, err);
}

void ff_server_stop_accepting(ff_server *srv)
{
    if (srv->listen_fd >= 0) {
        close(srv->listen_fd);
        srv->listen_fd = -1;
    }
    if (srv->listener != NULL) {
        h2o_socket_read_stop(srv->listener);
        h2o_socket_close(srv->listener);
        srv->listener = NULL;
    }
    h2o_context_request_shutdown(&srv->ctx);
}

void ff_server_dispose(ff_server *srv)
{
    h2o_timeout_unlink(&srv->client_check_entry);
    h2o_timeout_unlink(&srv->pool_flush_entry);
    h2o_timeout_unlink(&srv->pool_check_entry);
    h2o_timeout_unlink(&srv->pool_watch_entry);
    ff_linger_dispose(&srv->linger);
    ff_pool_free(srv->pool);
    srv->pool = NULL;
    h2o_multithread_unregister_receiver(srv->queue, &srv->done_receiver);
    if (srv->signal_receiver.queue != NULL)
        h2o_multithread_unregister_receiver(srv->queue, &srv->signal_receiver);
    free(srv->fns);
    srv->fns = NULL;
}
