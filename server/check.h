/* SPDX-License-Identifier: MIT */
/* Checks of a loaded configuration against the machine, for parleyd --check-config. */
#ifndef PL_CHECK_H
#define PL_CHECK_H

struct server;

/* Tries what start-up would do (load and match the TLS certificate and key, bind the ports,
 * create and write in data_dir, open log_file) without keeping anything. Each problem is
 * logged as an error; returns how many were found. */
unsigned server_check(const struct server *srv);

#endif
