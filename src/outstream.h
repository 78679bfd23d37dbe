/* stdout as the run writes it: fully buffered, flushed once per batch of
 * rows (one write() per drained batch instead of one per line), and never
 * able to hold the run forever. When the reader stalls (`tcpdrop | sleep
 * 40`, a terminal stopped with Ctrl-S), a write waits in poll() for room,
 * for the stop fd (the signalfd of SIGINT/SIGTERM/SIGHUP) or for the
 * deadline of --duration, whichever comes first.
 *
 * Pipes, FIFOs and terminals are reopened through /proc/self/fd with
 * O_NONBLOCK: a file description of our own, so the shell's stays as it
 * was even after a kill -9. Where /proc is missing, O_NONBLOCK is set on
 * stdout itself and cleared again by outstream_close(). Sockets are
 * written with MSG_DONTWAIT. Regular files and block devices are written
 * as they are: they do not stall. */
#ifndef TCPDROP_OUTSTREAM_H
#define TCPDROP_OUTSTREAM_H

#include <stdint.h>
#include <stdio.h>

/* What ended a write that did not complete, as -errno from
 * outstream_flush() and through errno for the stdio calls: */
#define OUTSTREAM_STOPPED (-ECANCELED)  /* a stop signal came */
#define OUTSTREAM_EXPIRED (-ETIMEDOUT)  /* the deadline passed */

struct outstream;

/* Wraps `fd` in a FILE with a `buffer_size`-byte buffer. A stalled write
 * gives up when `stop_fd` becomes readable (-1: never). 0 or -errno;
 * *out is the stream, *os its state for the calls below. */
int outstream_open(int fd, int stop_fd, size_t buffer_size, FILE **out,
		   struct outstream **os);

/* A write that stalls past `deadline_ms` (CLOCK_MONOTONIC milliseconds; 0
 * for none) gives up. */
void outstream_set_deadline(struct outstream *os, int64_t deadline_ms);

/* Writes out what is buffered. 0, -EPIPE (the reader is gone),
 * OUTSTREAM_STOPPED, OUTSTREAM_EXPIRED, or the -errno of the failed
 * write (-ENOSPC for a full disk, ...). */
int outstream_flush(FILE *out, struct outstream *os);

/* The error that failed the stream, as above; 0 while none did. */
int outstream_error(const struct outstream *os);

/* Closes the stream without writing what is still buffered (call
 * outstream_flush() first for that), and restores stdout's flags if they
 * were changed. The fd itself stays open. NULL is fine. */
void outstream_close(FILE *out, struct outstream *os);

#endif
