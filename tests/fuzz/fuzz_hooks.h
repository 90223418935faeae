/* SPDX-License-Identifier: MIT */
/* The stream owner the fuzz targets share. */
#ifndef PL_FUZZ_HOOKS_H
#define PL_FUZZ_HOOKS_H

#include "stream.h"

/* Streams pretend to be on direct TLS so that PLAIN (user/pencil) can log in and the fuzzer
 * reaches the bound state without computing SCRAM proofs. */
extern const struct stream_hooks fuzz_hooks;
extern const struct stream_config fuzz_cfg;

#endif
