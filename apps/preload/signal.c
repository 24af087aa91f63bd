/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * Signals. The application's handlers are wrapped so that the wait loop
 * knows one ran: a wait that spins (no system call to interrupt) then
 * returns EINTR as the kernel's would (nginx's single-process loop sees
 * SIGTERM only that way), and a sleep the loop itself took is not cut
 * short by signals that are not the application's (net_tap's SIGIO
 * arrives with every packet). Handlers installed while the stack comes
 * up (DPDK's) are left alone.
 */

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "preload.h"

#define EXPORT __attribute__((visibility("default")))

volatile sig_atomic_t pl_sig_gen;
volatile sig_atomic_t pl_sig_restart;

static struct sigaction app_act[NSIG];
static volatile sig_atomic_t wrapped[NSIG];

static void
trampoline(int sig, siginfo_t *si, void *uc)
{
	const struct sigaction *a = &app_act[sig];

	pl_sig_gen++;
	pl_sig_restart = (a->sa_flags & SA_RESTART) != 0;
	if (a->sa_flags & SA_SIGINFO)
		a->sa_sigaction(sig, si, uc);
	else if (a->sa_handler != SIG_IGN && a->sa_handler != SIG_DFL)
		a->sa_handler(sig);
}

static bool
wrappable(int sig, const struct sigaction *act)
{
	return act != NULL && sig > 0 && sig < NSIG && !pl_inside &&
		!((act->sa_flags & SA_SIGINFO) ? act->sa_sigaction == NULL :
		  act->sa_handler == SIG_IGN || act->sa_handler == SIG_DFL);
}

EXPORT int
sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	struct sigaction mine, prev;
	bool was;
	int ret;

	if (pl_inside || sig <= 0 || sig >= NSIG)
		return REAL(sigaction)(sig, act, old);
	was = wrapped[sig];
	if (wrappable(sig, act)) {
		mine = *act;
		mine.sa_sigaction = trampoline;
		mine.sa_flags |= SA_SIGINFO;
		app_act[sig] = *act;
		ret = REAL(sigaction)(sig, &mine, &prev);
		if (ret == 0)
			wrapped[sig] = 1;
	} else {
		ret = REAL(sigaction)(sig, act, &prev);
		if (ret == 0 && act != NULL)
			wrapped[sig] = 0;
	}
	if (ret == 0 && old != NULL) {
		/* The application sees its own handler, not ours. */
		*old = prev;
		if (was && (prev.sa_flags & SA_SIGINFO) &&
				prev.sa_sigaction == trampoline)
			*old = app_act[sig];
	}
	return ret;
}

EXPORT sighandler_t
signal(int sig, sighandler_t h)
{
	struct sigaction act, old;

	memset(&act, 0, sizeof(act));
	act.sa_handler = h;
	act.sa_flags = SA_RESTART;   /* glibc's signal(): BSD semantics */
	sigemptyset(&act.sa_mask);
	if (sig > 0 && sig < NSIG)
		sigaddset(&act.sa_mask, sig);
	if (sigaction(sig, &act, &old) < 0)
		return SIG_ERR;
	return (old.sa_flags & SA_SIGINFO) ? (sighandler_t)(void *)old.sa_sigaction :
		old.sa_handler;
}
