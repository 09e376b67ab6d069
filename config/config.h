/* config.h: dcsfu's configuration: livekit.yaml keys, CLI flags, environment.
 *
 * What it does: fills a `struct config` with LiveKit's defaults, applies a
 * livekit.yaml document (libyaml), then the command line and environment
 * (LIVEKIT_CONFIG, LIVEKIT_KEYS, NODE_IP, UDP_PORT, LIVEKIT_REGION), loads
 * `key_file` and the `tls` files (read and checked for PEM markers and, for
 * the key, permissions; parsing them is the TLS module's job), and validates
 * the result.  Key names and defaults follow
 * LiveKit's `livekit.yaml`; livekit.yaml.example at the repository root lists
 * every honoured key.  LiveKit keys dcsfu does not use (redis, turn,
 * rtc.port_range_*, ...) and unknown keys are reported with one warning each
 * and otherwise ignored.
 *
 * What it does not do: open sockets, configure logging (the caller passes
 * `logging` to log_configure), exit or print (except LOGW warnings and
 * config_usage).
 *
 * Ownership: every pointer in `struct config` is owned by it and released by
 * config_free.  Lists are replaced, never merged, when a later source sets
 * them.  config_free is safe on a zeroed struct and may be called twice.
 *
 * Return codes: 0, or DC_ECONFIG with a one-line message written into `err`
 * (always NUL-terminated when errlen > 0), of the form
 * "<source>:<line>: <key path>: <problem>". */
#ifndef DC_CONFIG_H
#define DC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_DEV_KEY "devkey"
#define CONFIG_DEV_SECRET "secret"

struct config_key {
    char *key;
    char *secret;
};

/* rtc.sctp: the SCTP stack of the data channels (the same numbers as
 * transport/peer_sctp.h's enum peer_sctp_impl). */
#define CONFIG_SCTP_NATIVE 0
#define CONFIG_SCTP_USRSCTP 1

/* limit.data_queue_full_action: what happens to a receiver whose reliable
 * data queue is full while its channel is open (server/rm_data.c). */
#define CONFIG_QUEUE_FULL_RECONNECT 0 /* removed with Leave{RECONNECT}; it rejoins */
#define CONFIG_QUEUE_FULL_DROP 1      /* the newest messages for it are dropped */

struct config {
    int port;                 /* HTTP/WebSocket port, 7880 */
    char **bind_addresses;    /* IP literals; none (n == 0) = all interfaces */
    size_t n_bind_addresses;
    struct config_key *keys;  /* API key -> secret, keys unique */
    size_t n_keys;
    char *key_file;           /* NULL if none; its keys replace `keys` */
    bool development;
    struct {
        int udp_port;         /* single UDP port for all ICE traffic, 7882 */
        int tcp_port;         /* ICE-TCP, 7881; 0 = off */
        char *node_ip;        /* advertised IP(s) "v4" or "v4,v6"; NULL = auto */
        int sctp;             /* dcsfu's own key rtc.sctp: CONFIG_SCTP_NATIVE or _USRSCTP */
        uint32_t max_pending_handshakes; /* dcsfu's own: DTLS handshakes in flight, 256; 0 = no limit */
    } rtc;
    struct {
        bool auto_create;     /* true */
        uint32_t empty_timeout, departure_timeout, max_participants; /* 300, 20, 0 = unlimited */
    } room;
    struct {
        uint32_t max_metadata_size, max_attributes_size, max_room_name_length,
            max_participant_identity_length, max_participant_name_length;
        uint64_t signal_message_size_limit, max_api_request_body_size;
        uint32_t max_http_header_size; /* dcsfu's own key, 16384 */
        /* dcsfu's own keys (0 = no limit): rooms on this node (4096), open TCP
         * connections on the signaling port (4096), new connections per source
         * address (IPv6: per /64) per second (100). */
        uint32_t max_rooms, max_signal_connections, max_connections_per_ip_per_second;
        /* dcsfu's own keys: each receiver's queue of reliable data waiting for
         * its channel to open or to have room (server/rm_data.c). */
        uint32_t max_data_queue_messages; /* 1024 */
        uint64_t max_data_queue_bytes;    /* 4 MiB */
        int data_queue_full_action;       /* CONFIG_QUEUE_FULL_RECONNECT (default) or _DROP */
    } limit;
    struct {
        int level;            /* enum log_level from common/log.h */
        bool json;
    } logging;
    struct {
        char *api_key;        /* NULL if none */
        char **urls;
        size_t n_urls;
    } webhook;
    struct {
        uint32_t drain_timeout; /* seconds a SIGTERM drain waits for rooms to empty, 30; 0 = none */
    } shutdown;               /* dcsfu's own section (livekit-server waits without limit) */
    struct config_tls {
        char *cert_file;      /* PEM certificate, then its chain; NULL = plain HTTP */
        char *key_file;       /* PEM private key of the first certificate */
        char *cert_pem;       /* contents of cert_file, read by config_setup */
        size_t cert_pem_len;
        char *key_pem;        /* contents of key_file (wiped by config_free) */
        size_t key_pem_len;
    } tls;                    /* dcsfu's own section: TLS on the signaling port */
    int prometheus_port;      /* 0 = off */
    char *region;             /* never NULL; "" by default */
    char *config_path;        /* file it came from, for reloads; NULL if none */
};

enum config_action { CONFIG_RUN, CONFIG_HELP, CONFIG_VERSION };

/* Overwrites *c (uninitialised memory is fine) with the defaults. */
void config_defaults(struct config *c);
void config_free(struct config *c);

/* Applies one YAML document to c; keys it does not mention keep their value.
 * `source` names the document in messages ("livekit.yaml", "--config-body",
 * "LIVEKIT_CONFIG").  Unknown keys: one LOGW each naming the key path and
 * line.  Malformed YAML or a bad value: DC_ECONFIG, e.g.
 * "livekit.yaml:7: rtc.udp_port: expected an integer between 1 and 65535, got \"abc\"".
 * On error c may be partly updated but stays valid for config_free. */
int config_apply_yaml(struct config *c, const char *text, size_t len, const char *source, char *err,
                      size_t errlen);

/* Full start-up: defaults, then the YAML from --config-body, else env
 * LIVEKIT_CONFIG, else --config FILE (livekit-server's order); then CLI flags and their environment
 * variables; then key_file; then development-mode defaults; then validation.
 * --help/--version return 0 with *action set and c holding the defaults.
 * On DC_ECONFIG c has been released (config_free is still safe). */
int config_setup(struct config *c, int argc, char **argv, enum config_action *action, char *err,
                 size_t errlen);

/* Flags that belong to the caller (a subcommand's own flags) rather than to
 * the configuration.  config_setup_with hands each occurrence, in command-line
 * order, to on_flag with its value (`--name value` or `--name=value`; NULL for
 * a flag declared without a value).  on_flag returns 0, or DC_ECONFIG with a
 * message in err, which config_setup_with then returns.  A name here shadows a
 * configuration flag of the same name. */
struct config_flag {
    const char *name;
    bool takes_value;
};
struct config_extra {
    const struct config_flag *flags;
    size_t n_flags;
    int (*on_flag)(void *ctx, const struct config_flag *flag, const char *value, char *err,
                   size_t errlen);
    void *ctx;
};

/* config_setup that also accepts the flags in `extra` (NULL: none, the same
 * as config_setup).  argv[0] is skipped as always, so a subcommand passes
 * its own argv (argv[0] = the subcommand's name). */
int config_setup_with(struct config *c, int argc, char **argv, const struct config_extra *extra,
                      enum config_action *action, char *err, size_t errlen);

/* SIGHUP: runs config_setup(argc, argv) again into a new struct and, if that
 * succeeds, moves its keys, key_file, logging settings and tls section
 * (file names and freshly read contents) into *live (which keeps every
 * other field: ports, limits and the rest need a restart).  The
 * `keys` array of *live is replaced, so pointers into it do not survive; the
 * struct itself stays where it is.  On DC_ECONFIG *live is untouched. */
int config_reload(struct config *live, int argc, char **argv, char *err, size_t errlen);

/* The secret for api_key, or NULL if unknown (or api_key is NULL). */
const char *config_secret_for(const struct config *c, const char *api_key);

/* Prints the --help text. */
void config_usage(FILE *f);

#endif
