/* cli_tools.h: dcsfu's operator subcommands, named as livekit-server's.
 *
 *   dcsfu generate-keys
 *       prints a new API key ("API" + 12 [A-Za-z0-9]) and secret (32 random
 *       bytes, base64url without padding: 43 chars) as
 *       "API Key:  <key>\nAPI Secret:  <secret>\n".
 *   dcsfu create-join-token --room R --identity I [--name N] [--metadata M]
 *                           [--valid-for DURATION] [--grant NAME[=true|false]]...
 *                           [--recorder] [--api-key KEY] [config flags]
 *       prints "Token: <jwt>\n": an HS256 access token signed with the
 *       configured API key (the first one, or --api-key), loaded exactly as
 *       the server loads its configuration (--config, --config-body, --keys,
 *       --key-file, --dev, LIVEKIT_CONFIG, LIVEKIT_KEYS).
 *
 * What it does not do: talk to a running server, or read the configuration
 * for anything but the keys.
 *
 * Exit statuses returned by cli_tools_run: 0 success, 2 usage or
 * configuration error (message on `errf`), 1 runtime failure (signing or
 * writing the output failed).  The helpers below are pure (no I/O, no clock)
 * and return 0 or DC_EINVAL. */
#ifndef DC_CLI_TOOLS_H
#define DC_CLI_TOOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Default token lifetime, as livekit-server's create-join-token: 30 days. */
#define CLI_TOOLS_DEFAULT_VALID_FOR_S (30LL * 24 * 3600)
/* Number of video grant booleans --grant knows. */
#define CLI_TOOLS_MAX_GRANTS 15

/* True if `arg` names a subcommand (argv[1] of the dcsfu binary). */
bool cli_tools_is_command(const char *arg);

/* Runs the subcommand argv[0] with arguments argv[1..argc); writes results
 * to `out` and messages to `errf`.  Returns the process exit status. */
int cli_tools_run(int argc, char **argv, FILE *out, FILE *errf);

/* Prints the subcommands' part of `dcsfu --help`. */
void cli_tools_usage(FILE *f);

/* A Go-style duration ("90s", "10m", "6h", "1h30m", "1.5h", "250ms"; units
 * ns us µs ms s m h; no sign) truncated to whole seconds.  Fails on syntax
 * errors, overflow (over ~292 years) and results under one second. */
int cli_tools_parse_duration(const char *s, int64_t *seconds);

struct join_token_req {
    const char *api_key;  /* iss */
    const char *room, *identity;
    const char *name, *metadata; /* NULL: claim left out */
    int64_t valid_for_s;
    struct {
        const char *name; /* static camelCase grant name */
        bool value;
    } grants[CLI_TOOLS_MAX_GRANTS];
    size_t n_grants;
};

/* Parses "canPublish", "canPublish=false", "hidden=true" ... and records it in
 * r (a repeated name replaces the earlier value).  Unknown names and values
 * other than true/false fail. */
int cli_tools_add_grant(struct join_token_req *r, const char *spec);

/* The token's claims as a malloc'd JSON object: iss, sub, nbf = now_s,
 * exp = now_s + valid_for_s, name and metadata when set, and video
 * {roomJoin: true, room, then the grants in order}.  NULL if r lacks
 * api_key, room or identity. */
char *cli_tools_join_claims(const struct join_token_req *r, int64_t now_s);

#endif
