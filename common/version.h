/* version.h: dcsfu's own version, and the LiveKit server version it reports
 * to clients (SDKs gate features such as RPC on it: it must be strict
 * semver and at least 1.8.0). */
#ifndef DC_VERSION_H
#define DC_VERSION_H

#define DCSFU_VERSION "0.1.0"
#define DCSFU_LIVEKIT_VERSION "1.9.0"
#define DCSFU_LIVEKIT_PROTOCOL 17

#endif
