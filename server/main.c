/* main.c: start-up, signals and shutdown of the dcsfu daemon, or one of the
 * operator subcommands (server/cli_tools.h) when argv[1] names one.
 * Exit status: 0 after a clean stop, 2 on a usage or configuration error,
 * 1 when the server cannot run (e.g. a port is taken). */
#include <signal.h>
#include <stdio.h>
#include <uv.h>

#include "common/log.h"
#include "common/version.h"
#include "config/config.h"
#include "server/cli_tools.h"
#include "server/server.h"

struct daemon {
    uv_loop_t loop;
    uv_signal_t sigterm, sigint;
    struct server *srv;
    int stops;
};

static void on_signal(uv_signal_t *h, int signum)
{
    struct daemon *d = h->data;
    LOGI("main", "stopping", "signal=%d", signum);
    if (d->stops++ == 0) {
        server_stop(d->srv);
        uv_close((uv_handle_t *)&d->sigterm, NULL);
        uv_close((uv_handle_t *)&d->sigint, NULL);
    }
}

static int run(struct config *cfg)
{
    struct daemon d = {0};
    uv_loop_init(&d.loop);
    int rc = 0;
    if (server_start(&d.srv, &d.loop, cfg) < 0) {
        server_stop(d.srv);
        rc = 1;
    } else {
        uv_signal_init(&d.loop, &d.sigterm);
        uv_signal_init(&d.loop, &d.sigint);
        d.sigterm.data = d.sigint.data = &d;
        uv_signal_start(&d.sigterm, on_signal, SIGTERM);
        uv_signal_start(&d.sigint, on_signal, SIGINT);
        LOGI("main", "dcsfu started", "version=%s", DCSFU_VERSION);
    }
    uv_run(&d.loop, UV_RUN_DEFAULT);
    server_free(d.srv);
    if (uv_loop_close(&d.loop) != 0)
        LOGW("main", "loop closed with live handles", NULL);
    return rc;
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
    } else {
        log_configure(cfg.logging.level, cfg.logging.json);
        rc = run(&cfg);
    }
    config_free(&cfg);
    return rc;
}
