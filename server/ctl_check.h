/* SPDX-License-Identifier: MIT */
/* parleyctl check: finds stored account names that today's preparation would change. */
#ifndef PL_CTL_CHECK_H
#define PL_CTL_CHECK_H

#include <stdio.h>

#include "storage.h"

/*
 * Lists on out every stored account whose name preparation (Nodeprep, Nameprep) refuses or
 * changes, and every group of accounts that prepare to the same name. Changes nothing.
 * Returns the number of accounts listed (0: all names are prepared and distinct), or a
 * negative enum pl_err when the store cannot be read.
 */
int ctl_check_accounts(struct storage *store, FILE *out);

#endif
