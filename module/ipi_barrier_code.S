/* SPDX-License-Identifier: GPL-2.0 */
/* ntcorral: the instruction seed 002's phase 1 patches on arm64 (ipi_barrier.c). */

/*
 * A page of module text, all ours: its own section, page-aligned and
 * exactly a page long, so that writing it through an alias can never touch
 * live code. BTI C (a NOP without BTI), MOVZ X0, #gen (the instruction
 * phase 1 rewrites; ipi_barrier.c's IB_CODE_MOVZ is its index), RET, and
 * BRK #0 to the end of the page. Called, it returns the generation it was
 * last patched with.
 */
	.pushsection .text.ntc_ib_code, "ax"
	.balign 4096
	.globl	ntc_ib_code
	.type	ntc_ib_code, %function
ntc_ib_code:
	hint	#34
	movz	x0, #0
	ret
	.fill	1021, 4, 0xd4200000
	.size	ntc_ib_code, . - ntc_ib_code
	.popsection
