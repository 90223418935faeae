/* SPDX-License-Identifier: MIT */
/* Parley's release version, shared by XEP-0092 answers and the programs' --version output. */
#ifndef PL_VERSION_H
#define PL_VERSION_H

/* A build may pass -DPARLEY_VERSION="..." (e.g. from git describe) to override it. */
#ifndef PARLEY_VERSION
#define PARLEY_VERSION "0.1.0"
#endif

#endif
