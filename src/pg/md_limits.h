/*-------------------------------------------------------------------------
 *
 * md_limits.h
 *	  The limits a model must respect to be compiled (limits.c): the
 *	  model_deploy.max_* settings, and the core's interrupt poll.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_LIMITS_H
#define MD_LIMITS_H

#include "md_pg.h"

extern void md_limits_init(void);
extern md_limits md_current_limits(void);

#endif /* MD_LIMITS_H */
