/* A decoder for LZ4 frames, the format of the lz4 tool (Debian package
 * lz4), in which the build stores the embedded BPF objects: they shrink
 * from 66 KB to 16 KB. Only what `lz4 -12 --content-size --no-frame-crc`
 * writes is read; the formats are lz4's doc/lz4_Frame_format.md and
 * doc/lz4_Block_format.md. The input is the binary's own data, but every
 * length and offset is still checked against both buffers. */
#ifndef TCPDROP_LZ4_H
#define TCPDROP_LZ4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest content the decoder allocates for. */
#define LZ4_CONTENT_MAX (16u << 20)

/* Whether the `len` bytes at `src` start with the LZ4 frame magic. */
bool lz4_is_frame(const void *src, size_t len);

/* Decodes the LZ4 frame of `len` bytes at `src`, which must carry its
 * content size (lz4 --content-size), into a new heap buffer: *out (the
 * caller frees it) of *out_len bytes. Checksums are skipped, not checked:
 * xxHash32 is not worth its code for data the build wrote into the binary.
 * Returns 0; -EINVAL for what it does not read (no content size, a
 * dictionary, another version) or a corrupt frame (a length or match
 * offset outside the input or output, content shorter or longer than
 * announced); -EFBIG for a content size over LZ4_CONTENT_MAX; -ENOMEM. */
int lz4_frame_decode(const void *src, size_t len, uint8_t **out,
		     size_t *out_len);

#endif
