/* token.c: fuzz target for access-token verification (signaling/auth).
 *
 * Input: a token as it comes in ?access_token= or after "Bearer ".  Keys
 * are "devkey" (secret "secret") and "k2"; the clock is fixed, so seeds
 * signed with an exp after 2030 verify. */
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "signaling/auth.h"

#define NOW_S 1900000000LL

static const char *secret_for(void *ctx, const char *key)
{
    (void)ctx;
    if (!strcmp(key, "devkey"))
        return "secret";
    if (!strcmp(key, "k2"))
        return "a-much-longer-secret-for-the-second-key";
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reset();
    if (size > AUTH_TOKEN_MAX + 16)
        return 0;
    char *tok = malloc(size + 1);
    memcpy(tok, data, size);
    tok[size] = '\0';
    struct auth_claims c;
    char why[256];
    if (auth_verify(tok, NOW_S, secret_for, NULL, &c, why, sizeof why) == 0) {
        if (!c.api_key || !c.identity)
            __builtin_trap();
        (void)grant_can_publish(&c.video);
        (void)grant_can_publish_data(&c.video);
        (void)grant_can_update_metadata(&c.video);
    }
    auth_claims_free(&c);
    auth_claims_free(&c);
    const char *w;
    (void)auth_bearer(tok, &w);
    free(tok);
    return 0;
}
