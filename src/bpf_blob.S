/* The BPF object, built at the same time as the binary, embedded as data:
 * the binary reads no file of its own at run time. 8-byte alignment lets
 * the ELF reader hand out section data as they are. */
	.section .rodata.tcpdrop_bpf, "a"
	.balign 8
	.global tcpdrop_bpf_object
tcpdrop_bpf_object:
	.incbin BPF_OBJ_PATH
	.global tcpdrop_bpf_object_end
tcpdrop_bpf_object_end:
	.byte 0
	.section .note.GNU-stack, "", @progbits
