/* main.c: start-up, signals and shutdown of the dcsfu daemon, or one of the
 * operator subcommands (server/cli_tools.h) when argv[1] names one.
 *
 * Signals: SIGTERM or SIGINT starts a drain (server_drain: no new joins,
 * rooms in progress carry on until they empty or shutdown.drain_timeout
 * passes, then everyone gets Leave SERVER_SHUTDOWN); a second one stops at
 * once.  Both end with exit status 0.  SIGHUP reloads the API keys (keys,
 * key_file), the logging settings and the TLS certificate and key from the
 * same sources as at start-up (config_reload, server_reload_tls); on error
 * the old configuration (or certificate) stays and nobody is dropped.
 *
 * Exit status: 0 after a clean stop, 2 on a usage or configuration error
 * (a TLS certificate or key that does not load included),
 * 1 when the server cannot run (e.g. a port is taken). */
#include <signal.h>
#include <stdio.h>
#include <uv.h>

#include "common/err.h"
#include "common/log.h"
#include "common/version.h"
#include "config/config.h"
#include "server/cli_tools.h"
#include "server/server.h"
#include "signaling/tls_stream.h"

struct daemon {
    uv_loop_t loop;
    uv_signal_t sigterm, sigint, sighup;
    struct server *srv;
    struct config *cfg;
    int argc;
    char **argv;
    int stops;
};

static void close_signals(void *arg)
{
    struct daemon *d = arg;
    uv_signal_t *hs[] = {&d->sigterm, &d->sigint, &d->sighup};
    for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++)
        if (!uv_is_closing((uv_handle_t *)hs[i]))
            uv_close((uv_handle_t *)hs[i], NULL);
}

static void on_stop_signal(uv_signal_t *h, int signum)
{
    struct daemon *d = h->data;
    if (d->stops++ == 0) {
        LOGI("main", "draining", "signal=%d drain_timeout_s=%u", signum,
             d->cfg->shutdown.drain_timeout);
        server_drain(d->srv, (uint64_t)d->cfg->shutdown.drain_timeout * 1000, close_signals, d);
    } else {
        LOGI("main", "stopping now", "signal=%d", signum);
        server_stop(d->srv);
        close_signals(d);
    }
}

static void on_reload_signal(uv_signal_t *h, int signum)
{
    struct daemon *d = h->data;
    char err[512] = "";
    if (config_reload(d->cfg, d->argc, d->argv, err, sizeof err) < 0) {
        LOGE("main", "configuration reload failed, keeping the current one", "signal=%d error=\"%s\"",
             signum, err);
        return;
    }
    log_configure(d->cfg->logging.level, d->cfg->logging.json);
    server_reload_tls(d->srv);
    LOGI("main", "configuration reloaded", "signal=%d keys=%zu log_level=%s json=%d", signum,
         d->cfg->n_keys, log_level_name(d->cfg->logging.level), d->cfg->logging.json);
}

static void watch(struct daemon *d, uv_signal_t *h, uv_signal_cb cb, int signum)
{
    uv_signal_init(&d->loop, h);
    h->data = d;
    uv_signal_start(h, cb, signum);
}

static int run(struct config *cfg, int argc, char **argv)
{
    struct daemon d = {.cfg = cfg, .argc = argc, .argv = argv};
    uv_loop_init(&d.loop);
    int rc = 0;
    int r = server_start(&d.srv, &d.loop, cfg);
    if (r < 0) {
        server_stop(d.srv);
        rc = r == DC_ECONFIG ? 2 : 1;
    } else {
        watch(&d, &d.sigterm, on_stop_signal, SIGTERM);
        watch(&d, &d.sigint, on_stop_signal, SIGINT);
        watch(&d, &d.sighup, on_reload_signal, SIGHUP);
        LOGI("main", "dcsfu started", "version=%s", DCSFU_VERSION);
    }
    uv_run(&d.loop, UV_RUN_DEFAULT);
    server_free(d.srv);
    if (uv_loop_close(&d.loop) != 0)
        LOGW("main", "loop closed with live handles", NULL);
    return rc;
}

/* A certificate or key that does not load is a configuration error: say so
 * before anything starts. */
static int tls_check(const struct config *cfg)
{
    const struct config_tls *t = &cfg->tls;
    if (!t->cert_pem)
        return 0;
    char err[256];
    struct tls_creds *creds;
    if (tls_creds_new(&creds, t->cert_pem, t->cert_pem_len, t->key_pem, t->key_pem_len, err,
                      sizeof err) < 0) {
        fprintf(stderr, "dcsfu: tls.cert_file %s / tls.key_file %s: %s\n", t->cert_file, t->key_file,
                err);
        return DC_ECONFIG;
    }
    tls_creds_release(creds);
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc > 1 && cli_tools_is_command(argv[1]))
        return cli_tools_run(argc - 1, argv + 1, stdout, stderr);
    struct config cfg;
    enum config_action action = CONFIG_RUN;
    char err[512] = "";
    if (config_setup(&cfg, argc, argv, &action, err, sizeof err) < 0) {
        fprintf(stderr, "dcsfu: %s\n", err);
        config_free(&cfg);
        return 2;
    }
    int rc = 0;
    if (action == CONFIG_HELP) {
        config_usage(stdout);
        fputs("\n", stdout);
        cli_tools_usage(stdout);
    } else if (action == CONFIG_VERSION) {
        printf("dcsfu %s (LiveKit protocol %d)\n", DCSFU_VERSION, DCSFU_LIVEKIT_PROTOCOL);
    } else if (tls_check(&cfg) < 0) {
        rc = 2;
    } else {
        log_configure(cfg.logging.level, cfg.logging.json);
        rc = run(&cfg, argc, argv);
    }
    config_free(&cfg);
    return rc;
}
