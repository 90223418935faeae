/* SPDX-License-Identifier: MIT */
/* libFuzzer target: arbitrary bytes, in arbitrary chunks, into a client stream. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "fuzz_hooks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct stream *s = stream_new(&fuzz_cfg, &fuzz_hooks, NULL, true, false);
    size_t pos = 0;
    /* Chunk sizes come from the input itself so every split point gets explored. */
    size_t step = size ? (size_t)(data[0] % 64) + 1 : 1;
    while (pos < size) {
        size_t n = size - pos < step ? size - pos : step;
        if (stream_feed(s, (const char *)data + pos, n) != PL_OK)
            break;
        pos += n;
        stream_output_clear(s);
        stream_trim(s);
    }
    stream_free(s);
    return 0;
}
