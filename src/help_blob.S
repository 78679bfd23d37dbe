/* tcpdrop --help's text (src/help.txt) as an LZ4 frame: cli_print_help()
 * decodes it (src/lz4.h). */
	.section .rodata.tcpdrop_help, "a"
	.global tcpdrop_help_lz4
tcpdrop_help_lz4:
	.incbin HELP_LZ4_PATH
	.global tcpdrop_help_lz4_end
tcpdrop_help_lz4_end:
	.byte 0
	.section .note.GNU-stack, "", @progbits
