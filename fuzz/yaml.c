/* yaml.c: fuzz target for the livekit.yaml loader (config/yaml.c).
 *
 * Input: one YAML document, applied on top of the defaults as
 * config_apply_yaml does for --config-body; the result is freed (twice, as
 * the contract allows). */
#include "config/config.h"
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reset();
    struct config c;
    config_defaults(&c);
    char err[256];
    (void)config_apply_yaml(&c, (const char *)data, size, "livekit.yaml", err, sizeof err);
    (void)config_secret_for(&c, "devkey");
    config_free(&c);
    config_free(&c);
    return 0;
}
