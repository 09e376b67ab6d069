/* replay_main.c: main() for fuzz targets built without libFuzzer.
 *
 * Runs every file named on the command line once through the target's
 * LLVMFuzzerTestOneInput (after LLVMFuzzerInitialize, if the target has
 * one), so that any compiler, with or without sanitizers, checks the
 * committed corpora and crash inputs.  Exits 1 if a file cannot be read;
 * a crash in the target ends the process as it would under libFuzzer. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    uint8_t *b = malloc(cap);
    for (;;) {
        if (!b)
            break;
        n += fread(b + n, 1, cap - n, f);
        if (n < cap)
            break;
        uint8_t *nb = realloc(b, cap * 2);
        if (!nb) {
            free(b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(b);
        return NULL;
    }
    *len = n;
    return b;
}

int main(int argc, char **argv)
{
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    int ran = 0;
    for (int i = 1; i < argc; i++) {
        size_t len = 0;
        uint8_t *b = read_file(argv[i], &len);
        if (!b) {
            fprintf(stderr, "replay: cannot read %s\n", argv[i]);
            return 1;
        }
        /* A copy of exactly len bytes, so that ASan sees reads past the end. */
        uint8_t *exact = malloc(len ? len : 1);
        if (!exact)
            abort();
        for (size_t k = 0; k < len; k++)
            exact[k] = b[k];
        free(b);
        LLVMFuzzerTestOneInput(exact, len);
        free(exact);
        ran++;
    }
    fprintf(stderr, "replay: %s: %d inputs\n", argv[0], ran);
    return 0;
}
