/* The BPF objects, built at the same time as the binary, embedded as data:
 * the binary reads no file of its own at run time. The binary embeds each
 * as an LZ4 frame, which object_open decodes (src/lz4.h); the unit tests'
 * build embeds them as they are (ELF), with the frames beside them as
 * tcpdrop_bpf_lz4 and tcpdrop_disc_lz4. 8-byte alignment lets the ELF
 * reader hand out section data as they are. tcpdrop_bpf_object is the
 * tracer; tcpdrop_disc_object the discovery program, loaded only when the
 * kernel has no BTF (src/discover.c). */
	.section .rodata.tcpdrop_bpf, "a"
	.balign 8
	.global tcpdrop_bpf_object
tcpdrop_bpf_object:
	.incbin BPF_OBJ_PATH
	.global tcpdrop_bpf_object_end
tcpdrop_bpf_object_end:
	.byte 0
	.balign 8
	.global tcpdrop_disc_object
tcpdrop_disc_object:
	.incbin DISC_OBJ_PATH
	.global tcpdrop_disc_object_end
tcpdrop_disc_object_end:
	.byte 0
#ifdef BPF_LZ4_PATH
	.balign 8
	.global tcpdrop_bpf_lz4
tcpdrop_bpf_lz4:
	.incbin BPF_LZ4_PATH
	.global tcpdrop_bpf_lz4_end
tcpdrop_bpf_lz4_end:
	.byte 0
	.balign 8
	.global tcpdrop_disc_lz4
tcpdrop_disc_lz4:
	.incbin DISC_LZ4_PATH
	.global tcpdrop_disc_lz4_end
tcpdrop_disc_lz4_end:
	.byte 0
#endif
	.section .note.GNU-stack, "", @progbits
